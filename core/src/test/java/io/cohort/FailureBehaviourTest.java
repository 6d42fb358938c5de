package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** What callers see when the group cannot serve them: no leader, unknown outcome, overload. */
class FailureBehaviourTest {

    @Test
    void withoutAQuorumRequestsFailWithNoLeaderAfterTheTimeout() throws Exception {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.requestTimeoutMs(400)).start()) {
            CohortNode leader = cluster.leader();
            CohortNode follower = cluster.followers().get(0);
            follower.kv().put("q/k", "v");
            // Every member alone: nobody can lead.
            for (CohortNode n : cluster.nodes()) {
                cluster.isolate(n);
            }
            // Once the members noticed they have no leader, requests wait for one and fail after the timeout. (Just
            // after the cut a follower still forwards to the old leader: that write's outcome would be unknown.)
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (cluster.nodes().stream().anyMatch(n -> n.cluster().leader().isPresent())) {
                assertThat(System.nanoTime()).as("members still see a leader").isLessThan(deadline);
                Thread.sleep(5);
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> follower.kv().put("q/k", "lost"))
                    .isInstanceOf(CohortException.NoLeader.class)
                    .hasMessageContaining("400 ms");
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(elapsedMs).as("fails after the request timeout, not at once").isGreaterThanOrEqualTo(300);
            assertThatThrownBy(() -> follower.kv().get("q/k")).isInstanceOf(CohortException.NoLeader.class);
            assertThatThrownBy(() -> leader.kv().get("q/k")).isInstanceOf(CohortException.NoLeader.class);
            // A serializable read still answers from local state.
            assertThat(follower.kv().get(KeyRange.key("q/k"), GetOptions.serializableRead()).valueUtf8()).contains("v");
            cluster.heal();
            assertThat(cluster.awaitLeader().kv().get("q/k").valueUtf8()).contains("v");
        }
    }

    @Test
    void aWriteStrandedOnADeposedLeaderHasAnUnknownOutcome() {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.requestTimeoutMs(1_000)).start()) {
            CohortNode old = cluster.leader();
            old.kv().put("u/k", "before");
            cluster.isolate(old);
            // The isolated leader takes the write into its log, but it can never commit there.
            CompletableFuture<PutResult> stranded = old.kv().putAsync("u/k", "stranded");
            assertThat(stranded).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(CohortException.OutcomeUnknown.class);
            cluster.heal();
            CohortNode leader = cluster.awaitLeader();
            // Here the outcome was in fact "not applied": the new leader's log replaced the entry.
            assertThat(leader.kv().get("u/k").valueUtf8()).contains("before");
        }
    }

    @Test
    void aSaturatedMemberRefusesAtOnceWithOverloaded() {
        try (TestCluster cluster = TestCluster.builder().size(3)
                .tuning(b -> b.maxPendingRequests(8).requestTimeoutMs(2_000)).start()) {
            CohortNode follower = cluster.followers().get(0);
            cluster.isolate(follower); // Its requests wait for a leader, holding their slots.
            List<CompletableFuture<PutResult>> waiting = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                waiting.add(follower.kv().putAsync("o/" + i, "v"));
            }
            CompletableFuture<PutResult> refused = follower.kv().putAsync("o/refused", "v");
            assertThat(refused).isCompletedExceptionally();
            assertThat(refused).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(CohortException.Overloaded.class)
                    .withMessageContaining("maxPendingRequests");
            CompletableFuture<GetResult> refusedRead = follower.kv().getAsync(KeyRange.key("o/0"), GetOptions.defaults());
            assertThat(refusedRead).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(CohortException.Overloaded.class);
            // Serializable reads take no slot.
            assertThat(follower.kv().get(KeyRange.key("o/0"), GetOptions.serializableRead()).kvs()).isEmpty();
            for (CompletableFuture<PutResult> f : waiting) {
                assertThat(f).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
                        .withCauseInstanceOf(CohortException.class);
            }
            cluster.heal();
            cluster.awaitLeader();
            // Slots are free again once the waiting requests failed.
            assertThat(follower.kv().put("o/after", "v").revision()).isPositive();
        }
    }
}
