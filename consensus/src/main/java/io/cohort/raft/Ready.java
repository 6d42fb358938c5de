package io.cohort.raft;

import java.util.List;

/**
 * A batch of work from {@link RaftCore#ready()}. The application must, in this order:
 * <ol>
 *   <li>if {@link #snapshot()} is set: restore the state machine from it, store it durably and
 *       {@link LogStorage#compact} the log to its meta;</li>
 *   <li>append {@link #entries()} and set {@link #hardState()} (if not null) in the {@link LogStorage},
 *       then {@link LogStorage#sync()};</li>
 *   <li>only then send {@link #messages()} (they may acknowledge or depend on the persisted state);</li>
 *   <li>apply {@link #committedEntries()} (config changes are interpreted by the core, the state
 *       machine should skip them), serve {@link #readStates()} once their index is applied, and if
 *       {@link #snapshotRequest()} is set take a state machine snapshot at that position after
 *       applying and hand it to {@link RaftCore#snapshotTaken};</li>
 *   <li>call {@link RaftCore#advance(Ready)}.</li>
 * </ol>
 */
public record Ready(
        /* Current leader ID (0 if unknown). */
        long leaderId,
        /* Current role. */
        Role role,
        /* Hard state to persist, or null if unchanged. */
        HardState hardState,
        /* Entries to append to the log. */
        List<Entry> entries,
        /* Snapshot to install, or null. */
        Snapshot snapshot,
        /* Committed entries to apply, in order. */
        List<Entry> committedEntries,
        /* Messages to send after persisting. */
        List<Message> messages,
        /* Confirmed linearizable reads. */
        List<ReadState> readStates,
        /* Take a snapshot at this position after applying, or null. */
        SnapshotMeta snapshotRequest) {

    /** True if there is nothing to persist (no hard state, entries or snapshot). */
    public boolean nothingToPersist() {
        return hardState == null && entries.isEmpty() && snapshot == null;
    }
}
