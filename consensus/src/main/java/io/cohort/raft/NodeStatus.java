package io.cohort.raft;

/**
 * A point-in-time view of one {@link RaftNode}: who it is, what role it plays and how far its log and
 * state machine are. Immutable.
 */
public record NodeStatus(long memberId, Role role, long term, long leaderId, long commitIndex, long appliedIndex,
                         Membership membership) {
    /** True if this node is the leader. */
    public boolean isLeader() {
        return role == Role.LEADER;
    }
}
