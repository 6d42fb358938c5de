package io.cohort.raft.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.HardState;
import io.cohort.raft.LogCompactedException;
import io.cohort.raft.Membership;
import io.cohort.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemoryLogStorageTest {

    static List<Entry> ents(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(new Entry(i, term, EntryType.COMMAND, new byte[] {(byte) i, (byte) term}));
        }
        return out;
    }

    @Test
    void appendTruncatesConflictingSuffix() {
        MemoryLogStorage s = new MemoryLogStorage();
        assertThat(s.hardState()).isEqualTo(HardState.EMPTY);
        s.append(ents(1, 10, 1));
        s.append(ents(6, 7, 2));
        assertThat(s.lastIndex()).isEqualTo(7);
        assertThat(s.term(5)).isEqualTo(1);
        assertThat(s.term(6)).isEqualTo(2);
        assertThatThrownBy(() -> s.term(8)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> s.append(ents(9, 9, 2))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void entriesRespectsMaxBytesButReturnsAtLeastOne() {
        MemoryLogStorage s = new MemoryLogStorage();
        s.append(ents(1, 10, 1));
        assertThat(s.entries(1, 11, 0)).hasSize(1);
        assertThat(s.entries(1, 11, 4)).hasSize(2);
        assertThat(s.entries(3, 11, Long.MAX_VALUE)).extracting(Entry::index).containsExactly(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void compactKeepsSuffixOrDiscardsAllOnMismatch() {
        MemoryLogStorage s = new MemoryLogStorage();
        s.append(ents(1, 10, 1));
        Membership m = new Membership(Set.of(1L), Set.of());
        s.compact(new SnapshotMeta(4, 1, m));
        assertThat(s.firstIndex()).isEqualTo(5);
        assertThat(s.lastIndex()).isEqualTo(10);
        assertThat(s.term(4)).isEqualTo(1);
        assertThatThrownBy(() -> s.entries(3, 5, 100)).isInstanceOf(LogCompactedException.class);
        assertThatThrownBy(() -> s.term(3)).isInstanceOf(LogCompactedException.class);
        s.compact(new SnapshotMeta(20, 3, m));
        assertThat(s.firstIndex()).isEqualTo(21);
        assertThat(s.lastIndex()).isEqualTo(20);
        assertThat(s.snapshot().term()).isEqualTo(3);
        s.append(ents(21, 22, 3));
        assertThat(s.lastIndex()).isEqualTo(22);
    }
}
