package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.testkit.TestCluster;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Membership, leadership, status and the consistency check through the public API. */
class ClusterAndMaintenanceTest {
    @TempDir
    Path tmp;

    @Test
    void membersLeaderAndLeadershipTransfer() throws InterruptedException {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.leader();
            CohortNode follower = cluster.followers().get(0);
            assertThat(follower.cluster().members()).extracting(Member::id).containsExactly(1L, 2L, 3L);
            assertThat(follower.cluster().members()).allMatch(m -> !m.learner() && m.address().startsWith("in-memory:"));
            // A follower learns who leads from the leader's first message, which may still be on its way.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (follower.cluster().leader().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(follower.cluster().leader()).hasValue(leader.memberId());

            leader.cluster().transferLeadership(follower.memberId());
            assertThat(cluster.awaitLeader().memberId()).isEqualTo(follower.memberId());
            // The old leader steps down once a message of the new term reaches it, which may still be on its way.
            deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (leader.maintenance().status().isLeader() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(leader.maintenance().status().isLeader()).isFalse();
            // Writes keep working through the old leader, now a follower.
            assertThat(leader.kv().put("t/k", "v").revision()).isPositive();
        }
    }

    @Test
    void aLearnerJoinsIsPromotedAndIsRemoved() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.leader();
            leader.kv().put("l/k", "before the learner");
            try (CohortNode joining = CohortNode.builder().memberId(4).dataDir(tmp.resolve("member-4"))
                    .members(Map.of(1L, "in-memory:1", 2L, "in-memory:2", 3L, "in-memory:3"))
                    .joinExisting()
                    .transport(TransportFactory.of(cluster.network()::transport))
                    .tickMs(10).electionTimeoutMs(150).start()) {
                leader.cluster().addLearner(4, "in-memory:4");
                assertThat(leader.cluster().members()).contains(new Member(4, "in-memory:4", true));
                // The learner catches up and serves linearizable reads.
                assertThat(joining.kv().get("l/k").valueUtf8()).contains("before the learner");
                leader.cluster().promote(4);
                assertThat(cluster.leader().cluster().members()).contains(new Member(4, "in-memory:4", false));
                assertThat(joining.kv().put("l/k2", "from member 4").revision()).isPositive();
                cluster.leader().cluster().remove(4);
                assertThat(cluster.leader().cluster().members()).extracting(Member::id).containsExactly(1L, 2L, 3L);
            }
        }
    }

    @Test
    void refusedMembershipChangesSaySo() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.leader();
            assertThatThrownBy(() -> leader.cluster().remove(99)).isInstanceOf(CohortException.Refused.class)
                    .hasMessageContaining("99");
            assertThatThrownBy(() -> leader.cluster().promote(2)).isInstanceOf(CohortException.class);
            assertThatThrownBy(() -> leader.cluster().addLearner(0, "x")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void statusHashAndConsistencyCheck() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode follower = cluster.followers().get(0);
            for (int i = 0; i < 10; i++) {
                follower.kv().put("h/" + i, "v" + i);
            }
            long rev = follower.kv().put("h/last", "v").revision();
            MemberStatus s = follower.maintenance().status();
            assertThat(s.memberId()).isEqualTo(follower.memberId());
            assertThat(s.leaderId()).isEqualTo(cluster.leader().memberId());
            assertThat(s.isLeader()).isFalse();
            assertThat(s.term()).isPositive();
            assertThat(s.revision()).isEqualTo(rev);
            assertThat(s.appliedIndex()).isPositive().isLessThanOrEqualTo(s.commitIndex());
            assertThat(s.dataSizeBytes()).isPositive();
            assertThat(s.corruptionDetected()).isFalse();

            Map<Long, Long> hashes = cluster.awaitConvergedHashes();
            assertThat(hashes.values()).containsOnly(hashes.get(1L));
            assertThat(follower.maintenance().hash(rev - 1)).isNotEqualTo(follower.maintenance().hash(rev));

            ConsistencyCheck check = follower.maintenance().checkConsistency();
            assertThat(check.revision()).isEqualTo(rev);
            assertThat(check.compared()).isTrue();
            assertThat(check.matched()).isTrue();
            cluster.awaitConvergedHashes();
            for (CohortNode n : cluster.nodes()) {
                assertThat(n.maintenance().status().corruptionDetected()).as("member %d", n.memberId()).isFalse();
            }
            follower.maintenance().defragment(); // A documented no-op (LMDB reuses freed pages).
        }
    }
}
