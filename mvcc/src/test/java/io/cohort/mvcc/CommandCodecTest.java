package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.INF;
import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every request type survives encode/decode, and applying decoded bytes gives identical results. */
class CommandCodecTest {
    @TempDir
    Path dir;

    static List<WriteRequest> samples() {
        TxnRequest nested = new TxnRequest(
                List.of(Compare.value(b("k"), Compare.Result.NOT_EQUAL, b("x")),
                        new Compare(b("a"), b("b"), Compare.Target.MOD, Compare.Result.LESS, null, 0, Bytes.EMPTY),
                        new Compare(b("l"), Bytes.EMPTY, Compare.Target.LEASE, Compare.Result.GREATER,
                                Compare.Target.LEASE, -1, Bytes.EMPTY)),
                List.of(PutRequest.of(b("k"), b("v")), TxnOp.EMPTY,
                        new RangeRequest(b("a"), INF, -3, 5, RangeRequest.SortOrder.DESCEND,
                                RangeRequest.SortTarget.VALUE, true, true, 1, 2, 3, Long.MAX_VALUE)),
                List.of(new DeleteRangeRequest(b("d"), b("e"), true),
                        new TxnRequest(List.of(), List.of(PutRequest.of(b("n"), Bytes.EMPTY)), List.of())));
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        return List.of(
                PutRequest.of(b("k"), b("v")),
                new PutRequest(Bytes.wrap(all), Bytes.EMPTY, Long.MIN_VALUE, true, true, true),
                new PutRequest(b("big"), Bytes.wrap(new byte[100_000]), 7, false, false, false),
                new DeleteRangeRequest(b("a"), INF, true),
                DeleteRangeRequest.of(b("x")),
                nested,
                new TxnRequest(List.of(), List.of(), List.of()),
                new CompactRequest(0),
                new CompactRequest(-1),
                new LeaseGrantRequest(300, 0),
                new LeaseGrantRequest(-5, -5),
                new LeaseRevokeRequest(Long.MAX_VALUE));
    }

    @Test
    void roundTripOfEveryRequestType() {
        for (WriteRequest r : samples()) {
            byte[] enc = CommandCodec.encode(r);
            assertThat(CommandCodec.decode(enc)).isEqualTo(r);
            assertThat(Command.decode(3, enc)).isEqualTo(new Command(3, r));
        }
        assertThat(CommandCodec.encode(PutRequest.of(b("k"), b("v")))).as("compact").hasSizeLessThan(12);
    }

    @Test
    void malformedBytesAreRejected() {
        byte[] enc = CommandCodec.encode(samples().get(5));
        for (int cut = 0; cut < enc.length; cut++) {
            byte[] truncated = Arrays.copyOf(enc, cut);
            assertThatThrownBy(() -> CommandCodec.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] badVersion = enc.clone();
        badVersion[0] = 9;
        assertThatThrownBy(() -> CommandCodec.decode(badVersion)).hasMessageContaining("version 9");
        byte[] trailing = Arrays.copyOf(enc, enc.length + 1);
        assertThatThrownBy(() -> CommandCodec.decode(trailing)).hasMessageContaining("trailing");
    }

    @Test
    void applyingDecodedBytesEqualsApplyingObjects() {
        List<WriteRequest> reqs = new ArrayList<>();
        reqs.add(new LeaseGrantRequest(300, 42));
        reqs.add(new PutRequest(b("a"), b("1"), 42, false, false, false));
        reqs.add(PutRequest.of(b("b"), b("2")));
        reqs.addAll(samples());
        try (Keyspace x = Keyspace.open(dir.resolve("x"), KeyspaceConfig.defaults());
             Keyspace y = Keyspace.open(dir.resolve("y"), KeyspaceConfig.defaults())) {
            List<Command> objects = new ArrayList<>();
            List<Command> decoded = new ArrayList<>();
            for (int i = 0; i < reqs.size(); i++) {
                objects.add(new Command(i + 1, reqs.get(i)));
                decoded.add(Command.decode(i + 1, CommandCodec.encode(reqs.get(i))));
            }
            List<ApplyResult> rx = x.apply(objects);
            List<ApplyResult> ry = y.apply(decoded);
            assertThat(rx).extracting(ApplyResult::status).contains(ApplyResult.Status.FAILED,
                    ApplyResult.Status.APPLIED);
            for (int i = 0; i < rx.size(); i++) {
                assertThat(ry.get(i).status()).isEqualTo(rx.get(i).status());
                assertThat(ry.get(i).response()).isEqualTo(rx.get(i).response());
                assertThat(ry.get(i).events()).isEqualTo(rx.get(i).events());
                if (rx.get(i).error() != null) {
                    assertThat(ry.get(i).error().getMessage()).isEqualTo(rx.get(i).error().getMessage());
                }
            }
            assertThat(x.hash(0)).isEqualTo(y.hash(0));
        }
    }
}
