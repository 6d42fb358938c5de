package io.cohort.raft.internal;

import io.cohort.raft.Snapshot;

/** The leader's view of one member's log: what matches, what to send next and how (flow control). */
public final class Progress {
    /** How the leader currently replicates to this member. */
    public enum State {
        /** One append at a time until the match point is found. */
        PROBE,
        /** Pipelined appends, bounded by {@link Inflights}. */
        REPLICATE,
        /** Sending a snapshot in chunks; appends paused. */
        SNAPSHOT
    }

    /** Highest index known to be replicated on the member. */
    public long match;
    /** Next index to send. */
    public long next;
    /** Current replication state. */
    public State state = State.PROBE;
    /** In PROBE: an append is outstanding, wait for a response or heartbeat. */
    public boolean probeSent;
    /** Appends in flight (REPLICATE). */
    public final Inflights inflights;
    /** Heard from this member since the last check-quorum round. */
    public boolean recentActive;
    /** The member does not vote. */
    public boolean learner;
    /** In SNAPSHOT: the snapshot being sent. */
    public Snapshot pendingSnapshot;
    /** In SNAPSHOT: the byte offset the member asked for last. */
    public long snapshotOffset;
    /** In SNAPSHOT: the offset of the last chunk sent (-1 if none). */
    public long snapshotSentOffset = -1;

    /** A progress starting at {@code next} with the given flow-control bounds. */
    public Progress(long next, int maxInflightMsgs, long maxInflightBytes, boolean learner) {
        this.next = next;
        this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
        this.learner = learner;
    }

    /** Switches to probing from {@code match + 1}. */
    public void becomeProbe() {
        if (state == State.SNAPSHOT && pendingSnapshot != null) {
            next = Math.max(match, pendingSnapshot.meta().index()) + 1;
        } else {
            next = match + 1;
        }
        reset(State.PROBE);
    }

    /** Switches to pipelined replication from {@code match + 1}. */
    public void becomeReplicate() {
        next = match + 1;
        reset(State.REPLICATE);
    }

    /** Switches to sending {@code snapshot} from byte 0. */
    public void becomeSnapshot(Snapshot snapshot) {
        reset(State.SNAPSHOT);
        pendingSnapshot = snapshot;
        snapshotOffset = 0;
        snapshotSentOffset = -1;
    }

    private void reset(State s) {
        state = s;
        probeSent = false;
        pendingSnapshot = null;
        inflights.reset();
    }

    /** Records an acknowledgement up to {@code n}; returns true if match advanced. */
    public boolean maybeUpdate(long n) {
        boolean updated = false;
        if (match < n) {
            match = n;
            updated = true;
            probeSent = false;
        }
        next = Math.max(next, n + 1);
        return updated;
    }

    /**
     * Handles a rejected append at {@code rejected} with the member's hint; returns false if the
     * rejection is stale.
     */
    public boolean maybeDecrTo(long rejected, long hint) {
        if (state == State.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            return true;
        }
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, hint + 1), match + 1);
        probeSent = false;
        return true;
    }

    /** True if no append should be sent now. */
    public boolean isPaused() {
        switch (state) {
            case PROBE: return probeSent;
            case REPLICATE: return inflights.full();
            case SNAPSHOT: return true;
            default: throw new AssertionError(state);
        }
    }

    @Override
    public String toString() {
        return state + " match=" + match + " next=" + next + (learner ? " learner" : "")
                + (state == State.SNAPSHOT ? " snapOff=" + snapshotOffset : "");
    }
}
