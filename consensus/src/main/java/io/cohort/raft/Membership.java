package io.cohort.raft;

import java.util.Set;
import java.util.TreeSet;

/**
 * The members of a Raft group: voters decide elections and commits, learners only receive the log.
 * Member IDs are positive longs. Immutable.
 */
public record Membership(Set<Long> voters, Set<Long> learners) {
    /** No members (a node that has not been bootstrapped). */
    public static final Membership EMPTY = new Membership(Set.of(), Set.of());

    public Membership {
        voters = Set.copyOf(new TreeSet<>(voters));
        learners = Set.copyOf(new TreeSet<>(learners));
        for (long id : voters) {
            if (id <= 0) {
                throw new IllegalArgumentException("member IDs must be > 0, was " + id);
            }
            if (learners.contains(id)) {
                throw new IllegalArgumentException("member " + id + " is both voter and learner");
            }
        }
        for (long id : learners) {
            if (id <= 0) {
                throw new IllegalArgumentException("member IDs must be > 0, was " + id);
            }
        }
    }

    /** True if {@code id} is a voter or a learner. */
    public boolean contains(long id) {
        return voters.contains(id) || learners.contains(id);
    }
}
