package io.cohort.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.raft.internal.MemoryLogStorage;
import io.cohort.raft.internal.RaftLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules that let a node send or apply before a Ready's sync, and the restart rule that goes with them. */
class ReadyRulesTest {
    private static final HardState PERSISTED = new HardState(5, 1, 10);

    private static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(new Entry(i, term, EntryType.COMMAND, new byte[] {(byte) i}));
        }
        return out;
    }

    private static Ready ready(Role role, HardState hs, List<Entry> entries, Snapshot snapshot, List<Entry> committed) {
        return new Ready(1, role, hs, entries, snapshot, List.of(), committed, List.of(), List.of(), null, null);
    }

    @Test
    void onlyALeaderWhoseTermAndVoteAreDurableMaySendFirst() {
        assertThat(ready(Role.LEADER, null, entries(11, 12, 5), null, List.of()).messagesMayPrecedeSync(PERSISTED))
                .isTrue();
        assertThat(ready(Role.LEADER, new HardState(5, 1, 12), entries(11, 12, 5), null, List.of())
                .messagesMayPrecedeSync(PERSISTED)).as("only the commit index changed").isTrue();
        assertThat(ready(Role.LEADER, new HardState(6, 1, 12), List.of(), null, List.of())
                .messagesMayPrecedeSync(PERSISTED)).as("new term").isFalse();
        assertThat(ready(Role.LEADER, new HardState(5, 2, 12), List.of(), null, List.of())
                .messagesMayPrecedeSync(PERSISTED)).as("new vote").isFalse();
        assertThat(ready(Role.FOLLOWER, null, entries(11, 12, 5), null, List.of()).messagesMayPrecedeSync(PERSISTED))
                .as("a follower acknowledges what it persists").isFalse();
        assertThat(ready(Role.CANDIDATE, null, List.of(), null, List.of()).messagesMayPrecedeSync(PERSISTED)).isFalse();
    }

    @Test
    void committedEntriesMayBeAppliedFirstOnlyIfNoneIsAmongTheReadysOwnEntries() {
        assertThat(ready(Role.LEADER, null, entries(11, 12, 5), null, entries(8, 10, 5))
                .committedEntriesMayPrecedeSync()).isTrue();
        assertThat(ready(Role.FOLLOWER, null, List.of(), null, entries(8, 10, 5)).committedEntriesMayPrecedeSync())
                .isTrue();
        // A follower's Ready may bring committed entries that supersede a stale suffix still on disk.
        assertThat(ready(Role.FOLLOWER, null, entries(9, 12, 7), null, entries(8, 10, 7))
                .committedEntriesMayPrecedeSync()).isFalse();
        assertThat(ready(Role.FOLLOWER, null, entries(10, 12, 7), null, entries(8, 10, 7))
                .committedEntriesMayPrecedeSync()).isFalse();
        Snapshot snap = new Snapshot(new SnapshotMeta(7, 5, new Membership(Set.of(1L), Set.of())), new byte[0]);
        assertThat(ready(Role.FOLLOWER, null, List.of(), snap, entries(8, 10, 5)).committedEntriesMayPrecedeSync())
                .isFalse();
        assertThat(ready(Role.LEADER, null, List.of(), null, List.of()).committedEntriesMayPrecedeSync()).isFalse();
    }

    @Test
    void aRestartTrustsWhatTheStateMachineAppliedBeyondTheDurableCommitIndex() {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.append(entries(1, 5, 1));
        storage.setHardState(new HardState(1, 1, 3));
        RaftLog log = new RaftLog(storage, 5);
        assertThat(log.committed()).isEqualTo(5);
        assertThat(log.applied()).isEqualTo(5);
    }

    @Test
    void aStateMachineAheadOfTheDurableLogIsAnError() {
        MemoryLogStorage storage = new MemoryLogStorage();
        storage.append(entries(1, 5, 1));
        storage.setHardState(new HardState(1, 1, 5));
        assertThatThrownBy(() -> new RaftLog(storage, 7))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("applied up to 7").hasMessageContaining("log ends at 5");
    }
}
