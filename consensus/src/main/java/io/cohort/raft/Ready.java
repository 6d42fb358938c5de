package io.cohort.raft;

import java.util.List;

/**
 * A batch of work from {@link RaftCore#ready()}. The application must, in this order:
 * <ol>
 *   <li>if {@link #snapshot()} is set: restore the state machine from it, store it durably and
 *       {@link LogStorage#compact} the log to its meta;</li>
 *   <li>write {@link #snapshotChunks()} into a staging ({@link SnapshotReceiver}); once a snapshot's last chunk
 *       is in and verified, hand it to {@link RaftCore#snapshotReceived} (or report {@link RaftCore#snapshotRefused});</li>
 *   <li>append {@link #entries()} and set {@link #hardState()} (if not null) in the {@link LogStorage},
 *       then {@link LogStorage#sync()} (the sync may be skipped if {@link #mustSync} is false);</li>
 *   <li>only then send {@link #messages()} (they may acknowledge or depend on the persisted state);</li>
 *   <li>apply {@link #committedEntries()} (config changes are interpreted by the core, the state
 *       machine should skip them), serve {@link #readStates()} once their index is applied, and if
 *       {@link #snapshotRequest()} is set take a state machine snapshot at that position after
 *       applying and hand it to {@link RaftCore#snapshotTaken};</li>
 *   <li>if {@link #snapshotToSend()} is set, have the state machine write the snapshot on demand
 *       ({@link StateMachine#captureSnapshotToSend}), off the apply path, and hand it to
 *       {@link RaftCore#snapshotToSendWritten} (or report {@link RaftCore#snapshotToSendFailed});</li>
 *   <li>call {@link RaftCore#advance(Ready)}.</li>
 * </ol>
 * Committed entries may include entries of this same Ready's {@link #entries()}: they are durable
 * once step 2 is done. Messages are sent after the sync, except where
 * {@link #messagesMayPrecedeSync} allows a leader to send first, and committed entries are applied
 * after it, except where {@link #committedEntriesMayPrecedeSync} allows applying them first; a leader's own log counts towards
 * the commit quorum only after {@link RaftCore#advance(Ready)}.
 *
 * @param leaderId current leader ID (0 if unknown)
 * @param role current role
 * @param hardState hard state to persist, or null if unchanged
 * @param entries entries to append to the log (may supersede a suffix)
 * @param snapshot snapshot received from the leader and verified, to install, or null
 * @param snapshotChunks chunks of a snapshot the leader is sending, to stage in order
 * @param committedEntries committed entries to apply, in index order
 * @param messages messages to send, only after persisting this Ready
 * @param readStates confirmed linearizable reads
 * @param snapshotRequest take a snapshot at this position after applying, or null
 * @param snapshotToSend the latest snapshot, held by the state machine ({@link SnapshotData#onDemand}), to write for
 *     a follower that needs it, or null
 */
public record Ready(
        long leaderId,
        Role role,
        HardState hardState,
        List<Entry> entries,
        Snapshot snapshot,
        List<SnapshotChunk> snapshotChunks,
        List<Entry> committedEntries,
        List<Message> messages,
        List<ReadState> readStates,
        SnapshotMeta snapshotRequest,
        SnapshotMeta snapshotToSend) {

    /**
     * True if this Ready's messages may be sent before its entries and hard state are synced, given
     * the hard state last made durable: a leader's appends, heartbeats and read-index replies depend
     * on nothing it persists unless its term or vote changes, because its own entries count towards
     * a commit only after {@link RaftCore#advance} (the Raft thesis, section 10.2.1). Sending them
     * first takes the leader's fsync off the commit path.
     */
    public boolean messagesMayPrecedeSync(HardState persisted) {
        return role == Role.LEADER && snapshot == null && snapshotChunks.isEmpty()
                && (hardState == null
                    || hardState.term() == persisted.term() && hardState.votedFor() == persisted.votedFor());
    }

    /**
     * True if this Ready's committed entries may be applied before its entries are persisted: none of
     * them is among this Ready's own entries (which may also supersede a stale suffix on disk), so
     * all of them are already stable, and no snapshot comes first. A leader's committed entries
     * usually are, since it counts its own log only after {@link RaftCore#advance}; applying them
     * first keeps the next batch's fsync out of their callers' latency.
     */
    public boolean committedEntriesMayPrecedeSync() {
        if (snapshot != null || committedEntries.isEmpty()) {
            return false;
        }
        long lastCommitted = committedEntries.get(committedEntries.size() - 1).index();
        return entries.isEmpty() || entries.get(0).index() > lastCommitted;
    }

    /**
     * True if this Ready needs a {@link LogStorage#sync()} before its messages go out: it has entries
     * or a snapshot, or its hard state changes the term or vote of {@code persisted} (the hard state
     * last made durable). A hard state that only advances the commit index is written but need not
     * be synced on its own (as in etcd's {@code MustSync}): a commit index lost in a crash is learnt
     * again from the leader, and what was applied is bounded by the state machine's own applied index.
     */
    public boolean mustSync(HardState persisted) {
        return !entries.isEmpty() || snapshot != null
                || hardState != null && (hardState.term() != persisted.term() || hardState.votedFor() != persisted.votedFor());
    }

    /** True if there is nothing to persist (no hard state, entries or snapshot). */
    public boolean nothingToPersist() {
        return hardState == null && entries.isEmpty() && snapshot == null;
    }
}
