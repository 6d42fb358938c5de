package io.cohort.raft;

/** The role a Raft node currently plays. */
public enum Role {
    /** Follows a leader (or waits for one). */
    FOLLOWER,
    /** Asking peers whether an election could succeed, without changing the term. */
    PRE_CANDIDATE,
    /** Running an election in a new term. */
    CANDIDATE,
    /** Leads the group in the current term. */
    LEADER
}
