package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.CohortException;
import io.cohort.CohortNode;
import io.cohort.GetOptions;
import io.cohort.KeyRange;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The test kit itself: lifecycle, kill/restart, partitions, the JUnit extension. */
class TestClusterTest {

    @Test
    void startsMembersOnTemporaryDirectoriesAndDeletesThemOnClose() {
        TestCluster cluster = TestCluster.start(3);
        Path root = cluster.dataRoot();
        try {
            assertThat(cluster.nodes()).extracting(CohortNode::memberId).containsExactly(1L, 2L, 3L);
            assertThat(cluster.node(2).memberId()).isEqualTo(2);
            assertThatThrownBy(() -> cluster.node(4)).isInstanceOf(IllegalArgumentException.class);
            CohortNode leader = cluster.awaitLeader();
            assertThat(cluster.followers()).hasSize(2).doesNotContain(leader);
            assertThat(Files.isDirectory(root.resolve("member-1").resolve("keyspace"))).isTrue();
        } finally {
            cluster.close();
        }
        cluster.close(); // Idempotent.
        assertThat(root).doesNotExist();
    }

    @Test
    void killAndRestartKeepTheMembersData() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode n = cluster.node(3);
            n.kv().put("kit/k", "v");
            cluster.kill(n);
            assertThat(n.isClosed()).isTrue();
            assertThat(cluster.running()).hasSize(2);
            CohortNode back = cluster.restart(n);
            assertThat(cluster.node(3)).isSameAs(back);
            assertThat(back.kv().get(KeyRange.key("kit/k"), GetOptions.serializableRead()).valueUtf8()).contains("v");
        }
    }

    @Test
    void isolatingTheLeaderElectsAnotherAndHealReunites() {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.requestTimeoutMs(500)).start()) {
            CohortNode old = cluster.awaitLeader();
            cluster.isolate(old);
            CohortNode fresh = cluster.awaitLeader();
            assertThat(fresh).isNotSameAs(old);
            fresh.kv().put("kit/p", "majority side");
            assertThatThrownBy(() -> old.kv().get("kit/p")).isInstanceOf(CohortException.class);
            cluster.heal();
            assertThat(old.kv().get("kit/p").valueUtf8()).contains("majority side");
        }
    }

    @Test
    void partitionCutsTheGivenSideFromTheRest() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode minority = cluster.node(1);
            cluster.partition(minority);
            assertThat(cluster.network().isCut(1, 2)).isTrue();
            assertThat(cluster.network().isCut(2, 3)).isFalse();
            CohortNode leader = cluster.awaitLeader();
            assertThat(leader.memberId()).isNotEqualTo(1);
            cluster.heal();
            assertThat(cluster.network().isCut(1, 2)).isFalse();
        }
    }

    private static TestCluster injectedEarlier;

    @Test
    @CohortCluster(size = 3)
    void theExtensionInjectsARunningCluster(TestCluster cluster) {
        checkTheEarlierInjectedClusterWasClosed(cluster);
        assertThat(cluster.nodes()).hasSize(3);
        assertThat(cluster.awaitLeader().kv().put("ext/k", "v").revision()).isPositive();
    }

    @Test
    @CohortCluster(size = 1)
    void theExtensionHonoursTheSize(TestCluster cluster) {
        checkTheEarlierInjectedClusterWasClosed(cluster);
        assertThat(cluster.nodes()).hasSize(1);
        assertThat(cluster.awaitLeader().memberId()).isEqualTo(1);
    }

    /** Whichever extension test runs second checks that the first one's cluster was closed and deleted. */
    private static synchronized void checkTheEarlierInjectedClusterWasClosed(TestCluster now) {
        if (injectedEarlier != null) {
            assertThat(injectedEarlier.nodes()).allMatch(CohortNode::isClosed);
            assertThat(injectedEarlier.dataRoot()).doesNotExist();
        }
        injectedEarlier = now;
    }
}
