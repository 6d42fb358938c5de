package io.cohort.raft.sim;

import io.cohort.raft.Entry;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotMeta;
import java.util.List;

/**
 * The state machine of one simulated node, as {@link RaftSimulation} drives it: applies committed
 * entries, takes and installs snapshots, is made durable before the log is compacted, and survives
 * (or partly loses) a crash.
 */
public interface Replica {

    /** The last log index applied (0 if none); after a restart, what survived the crash. */
    long appliedIndex();

    /**
     * Applies committed entries (consecutive, starting at {@code appliedIndex() + 1}); returns for each a
     * digest of what applying it produced, which must be equal on every replica at that index.
     */
    long[] apply(List<Entry> entries);

    /** A hash of the whole state, equal on every replica at the same applied index. */
    long stateHash();

    /** True if {@link #apply}'s digests are {@link #stateHash()}es (so both are checked against each other). */
    default boolean digestsAreStateHashes() {
        return false;
    }

    /** A snapshot of the state; {@code meta.index()} is {@link #appliedIndex()}. */
    Snapshot snapshot(SnapshotMeta meta);

    /**
     * The state as it is now, at {@link #appliedIndex()} (at or past {@code meta.index()}), as bytes labelled
     * {@code meta}: a copy of a snapshot held in place written for a follower ({@code StateMachine.captureSnapshotToSend}),
     * or a copying state machine's snapshot taken while it is ahead of its log after installing such a copy.
     * {@link #restore} installs it at the applied index it holds.
     */
    Snapshot snapshotNow(SnapshotMeta meta);

    /**
     * The applied index the state of {@code snapshot} stands for, at or past its meta's index: a held snapshot's
     * {@code heldIndex()}, else the applied index its bytes hold.
     */
    long appliedIndexOf(Snapshot snapshot);

    /**
     * Captures the state at {@code meta} ({@code meta.index()} is {@link #appliedIndex()}) for a snapshot written
     * later, after more entries were applied, as a node's snapshot thread writes it beside the applies; null (the
     * default) to have {@link #snapshot} take it now.
     */
    default Capture capture(SnapshotMeta meta) {
        return null;
    }

    /** A snapshot captured at one index and written later ({@link #capture}). */
    interface Capture {
        /** The position captured. */
        SnapshotMeta meta();

        /** Writes the captured state (exactly the state at {@link #meta()}) as a snapshot. Called once. */
        Snapshot write();

        /** Abandons the capture (crash, or a newer snapshot installed): nothing is written. */
        void abandon();
    }

    /**
     * Replaces the whole state with {@code snapshot}'s; {@link #appliedIndex()} is then the applied index its bytes
     * hold, which may be past {@code snapshot.meta().index()} (a copy of a held snapshot, {@link #snapshotNow}).
     */
    void restore(Snapshot snapshot);

    /**
     * Makes everything applied so far durable; called before the log is compacted past it, and to hold a snapshot in
     * place. Returns the applied index a restart now comes back to at least: a replica with durable storage of its
     * own returns what it synced (for a keyspace, its last write command's index); a volatile one, whose state comes
     * back from the durable snapshot and the log, returns its applied index.
     */
    long makeDurable();

    /**
     * The node crashed; the replica is not used again ({@link RaftSimulation#openReplica} opens the next).
     * {@code machineCrash}: the machine lost power (unsynced writes lost), else only the process died.
     */
    void crash(boolean machineCrash);
}
