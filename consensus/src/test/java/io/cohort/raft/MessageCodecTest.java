package io.cohort.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MessageCodecTest {

    static Message sample(MessageType type) {
        Message.Builder b = Message.builder(type).from(3).to(Long.MAX_VALUE).term(7).logTerm(6).index(1234567890123L)
                .commit(99).reject(type.ordinal() % 2 == 0).rejectHint(-1).context(new byte[] {1, 2, 3});
        switch (type) {
            case APPEND, PROPOSE -> b.entries(List.of(
                    new Entry(5, 2, EntryType.COMMAND, new byte[] {9, 8, 7}),
                    new Entry(6, 2, EntryType.EMPTY, new byte[0]),
                    new Entry(7, 3, EntryType.CONFIG_CHANGE, ConfChange.of(ConfChange.Type.ADD_LEARNER, 4).encode())));
            case SNAPSHOT_CHUNK -> b.snapshot(new SnapshotMeta(100, 5, new Membership(Set.of(1L, 2L, 3L), Set.of(9L))))
                    .snapshotOffset(4096).snapshotSize(1 << 20).chunk(new byte[] {42, 43});
            default -> { }
        }
        return b.build();
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void roundTripsEveryType(MessageType type) {
        Message m = sample(type);
        ExpandableArrayBuffer buf = new ExpandableArrayBuffer(16);
        buf.checkLimit(17 + MessageCodec.encodedLength(m));
        int n = MessageCodec.encode(m, buf, 17);
        assertThat(n).isEqualTo(MessageCodec.encodedLength(m));
        Message back = MessageCodec.decode(buf, 17, n);
        assertThat(back).isEqualTo(m);
        assertThat(back.toString()).isEqualTo(m.toString());
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void rejectsTruncatedInput(MessageType type) {
        byte[] bytes = MessageCodec.encode(sample(type));
        for (int len = 0; len < bytes.length; len += 1 + len / 4) {
            int l = len;
            assertThatThrownBy(() -> MessageCodec.decode(new UnsafeBuffer(bytes), 0, l))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void rejectsTrailingGarbage(MessageType type) {
        byte[] bytes = MessageCodec.encode(sample(type));
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> MessageCodec.decode(new UnsafeBuffer(longer), 0, longer.length))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void confChangeRoundTrips() {
        for (ConfChange.Type t : ConfChange.Type.values()) {
            ConfChange cc = t == ConfChange.Type.BOOTSTRAP
                    ? ConfChange.bootstrap(new Membership(Set.of(1L, 2L), Set.of(3L)))
                    : ConfChange.of(t, 77);
            assertThat(ConfChange.decode(cc.encode())).isEqualTo(cc);
        }
    }

    @org.junit.jupiter.api.Test
    void corruptInputOnlyEverFailsWithIllegalArgument() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            MessageType type = MessageType.values()[rnd.nextInt(MessageType.values().length)];
            byte[] bytes = MessageCodec.encode(sample(type));
            for (int flips = 1 + rnd.nextInt(3); flips > 0; flips--) {
                bytes[rnd.nextInt(bytes.length)] = (byte) rnd.nextInt(256);
            }
            try {
                Message m = MessageCodec.decode(new UnsafeBuffer(bytes), 0, bytes.length);
                byte[] again = MessageCodec.encode(m);
                assertThat(MessageCodec.decode(new UnsafeBuffer(again), 0, again.length)).isEqualTo(m);
            } catch (IllegalArgumentException expected) {
                // rejected cleanly
            }
        }
    }
}
