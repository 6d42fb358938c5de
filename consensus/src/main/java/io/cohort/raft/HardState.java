package io.cohort.raft;

/**
 * The Raft state that must be durable before any message depending on it is sent:
 * current term, the vote cast in it ({@link #NO_VOTE} if none) and the commit index.
 */
public record HardState(long term, long votedFor, long commitIndex) {
    /** Marks "no vote cast in this term". Member IDs are never 0. */
    public static final long NO_VOTE = 0L;

    /** The state of a node that has never run. */
    public static final HardState EMPTY = new HardState(0, NO_VOTE, 0);

    public HardState {
        if (term < 0 || commitIndex < 0) {
            throw new IllegalArgumentException("term and commitIndex must be >= 0: " + term + ", " + commitIndex);
        }
    }
}
