package io.cohort;

import io.cohort.internal.Await;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/** The group's membership and leadership, as seen from one member. */
public interface Cluster {

    /** The members (voters and learners) as of this member's latest applied configuration. */
    List<Member> members();

    /** The leader's ID as this member knows it, or empty during an election. */
    OptionalLong leader();

    /** Adds {@code memberId} (reachable at {@code address}) as a learner; completes once applied here. */
    CompletableFuture<Void> addLearnerAsync(long memberId, String address);

    /** Promotes learner {@code memberId} to voter; completes once applied here. */
    CompletableFuture<Void> promoteAsync(long memberId);

    /** Removes voter or learner {@code memberId}; completes once applied here. */
    CompletableFuture<Void> removeAsync(long memberId);

    /** Hands leadership to voter {@code memberId}; completes once it leads as seen here. Ask the leader. */
    CompletableFuture<Void> transferLeadershipAsync(long memberId);

    /** Adds a learner and waits. */
    default void addLearner(long memberId, String address) {
        Await.result(addLearnerAsync(memberId, address));
    }

    /** Promotes a learner and waits. */
    default void promote(long memberId) {
        Await.result(promoteAsync(memberId));
    }

    /** Removes a member and waits. */
    default void remove(long memberId) {
        Await.result(removeAsync(memberId));
    }

    /** Transfers leadership and waits. */
    default void transferLeadership(long memberId) {
        Await.result(transferLeadershipAsync(memberId));
    }
}
