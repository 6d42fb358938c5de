package io.cohort.raft;

import java.util.List;

/**
 * The application the Raft engine replicates into. Committed entries arrive in log order, exactly
 * once per index as far as the state machine reports ({@link #appliedIndex()}), in batches.
 * A {@link RaftNode} calls it from one thread at a time, but not always the same thread (its
 * pipeline thread, or its raft thread for small batches), with a happens-before edge between
 * calls: do not keep thread-confined state (such as an open LMDB write transaction) across calls. The one
 * exception is {@link SnapshotCapture#write()}, which runs on the node's snapshot thread beside the applies.
 */
public interface StateMachine {

    /** The index of the last entry this state machine durably or volatilely holds (0 if none). */
    long appliedIndex();

    /**
     * Applies committed {@link EntryType#COMMAND} entries in order (entries at or below {@link #appliedIndex()} are
     * skipped) and returns one result per entry of {@code committed}, in the same order, or an empty list if this
     * state machine has no results. A {@link RaftNode} completes the proposer's future with the entry's result.
     */
    List<?> apply(List<Entry> committed);

    /**
     * Writes the state as of {@link #appliedIndex()}, which must equal {@code meta.index()} (asked for by
     * {@link Ready#snapshotRequest()}), durably, and returns its contents; a large state should live in a file
     * ({@link FileSnapshotData}) that is never rewritten, since the leader reads it in chunks while sending it.
     * Called on the applying thread, through the default {@link #captureSnapshot}; a large state machine overrides
     * that instead. The default does not support snapshots.
     */
    default SnapshotData takeSnapshot(SnapshotMeta meta) {
        throw new UnsupportedOperationException("snapshots not supported by " + getClass().getName());
    }

    /**
     * Captures the state as of {@link #appliedIndex()}, which must equal {@code meta.index()} (asked for by
     * {@link Ready#snapshotRequest()}), on the applying thread, and returns it to be written later on a snapshot thread
     * ({@link SnapshotCapture#write()}) while this state machine keeps applying: capturing must be cheap (for example
     * a read transaction opened now), the write may take long. The default writes it here and now with
     * {@link #takeSnapshot}, which suits a small state machine.
     *
     * <p>A state machine that keeps its state in durable storage of its own need not copy it: its capture's write
     * only makes that storage durable up to at least {@code meta.index()} and returns {@link SnapshotData#onDemand};
     * {@link #appliedIndex()} may then be past {@code meta.index()} when capturing. The log is discarded behind such a
     * snapshot as behind any other, and a follower that needs it gets one written by {@link #captureSnapshotToSend}.
     */
    default SnapshotCapture captureSnapshot(SnapshotMeta meta) {
        return SnapshotCapture.written(meta, takeSnapshot(meta));
    }

    /**
     * Captures the state as it is now, on a state machine whose latest snapshot ({@code meta}) is
     * {@link SnapshotData#onDemand}, for a follower whose next entries the log no longer holds: the capture's
     * {@link SnapshotCapture#write()} writes bytes that {@link #restoreSnapshot} installs, labelled {@code meta}.
     * Both are called on the node's snapshot thread, beside the applies, so the state written may be at an applied
     * index past {@code meta.index()}: the follower's state machine then holds entries its log does not, and skips
     * them when they come (as {@link #apply} skips every entry at or below {@link #appliedIndex()}). Closing the
     * capture stops a write in progress. The default does not support it.
     */
    default SnapshotCapture captureSnapshotToSend(SnapshotMeta meta) {
        throw new UnsupportedOperationException("snapshots on demand not supported by " + getClass().getName());
    }

    /**
     * A new staging for a snapshot the leader is sending, written chunk by chunk and verified before
     * {@link #restoreSnapshot} installs it. The default stages in memory up to 64 MiB; a state machine whose state
     * can be larger stages in a file ({@link FileSnapshotStaging}).
     */
    default SnapshotStaging stageSnapshot(SnapshotMeta meta, long sizeBytes, int checksum) {
        return SnapshotStaging.inMemory(meta, sizeBytes, checksum, 64 << 20);
    }

    /**
     * Replaces the whole state with {@code snapshot} (sent by the leader, staged by {@link #stageSnapshot} and
     * verified, see {@link Ready#snapshot()}). A {@link RaftNode} closes a capture still being written first; a
     * state machine must never publish that older capture over the restored snapshot.
     */
    default void restoreSnapshot(Snapshot snapshot) {
        throw new UnsupportedOperationException("snapshots not supported by " + getClass().getName());
    }

    /**
     * The latest snapshot this state machine took or restored and still holds durably, or null if
     * none; a {@link RaftNode} reads it at start, and after installing a leader's snapshot (the state machine may
     * then hold it {@link SnapshotData#onDemand} rather than keep the bytes it received). Because a node discards log entries behind
     * the snapshots it takes, a state machine that enables snapshots must return one at or above
     * the log's compaction point after a restart ({@link LogStorage#snapshot()}).
     */
    default Snapshot latestSnapshot() {
        return null;
    }
}
