package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Event;
import io.cohort.mvcc.LeaseNotFoundException;
import io.cohort.testkit.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Leases expire on the leader's clock, survive keep-alives and leader changes, and checkpoints keep TTLs honest. */
class LeaseExpiryTest {

    private static void putWithLease(KvStore kv, String key, long lease) {
        kv.put(io.cohort.mvcc.Bytes.ofUtf8(key), io.cohort.mvcc.Bytes.ofUtf8("v"), PutOptions.defaults().withLease(lease));
    }

    @Test
    void aLeaseNobodyKeepsAliveExpiresAndItsKeysGoAtOneRevision() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.awaitLeader();
            CohortNode follower = cluster.followers().get(0);
            long lease = follower.leases().grant(2).id();
            for (int i = 0; i < 3; i++) {
                putWithLease(follower.kv(), "svc/" + i, lease);
            }
            List<List<Event>> batches = new ArrayList<>();
            follower.watcher().watch(WatchSpec.prefix("svc/"), (events, rev) -> {
                synchronized (batches) {
                    batches.add(events);
                }
            });
            long start = System.nanoTime();
            while (!follower.kv().get(KeyRange.prefix("svc/")).kvs().isEmpty()) {
                assertThat(System.nanoTime() - start).as("expired within TTL + slack")
                        .isLessThan(TimeUnit.SECONDS.toNanos(10));
                Thread.sleep(50);
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(elapsedMs).as("not before its TTL").isGreaterThanOrEqualTo(1_500);
            assertThat(leader.leases().timeToLive(lease, false).exists()).isFalse();
            assertThat(leader.leases().list().ids()).doesNotContain(lease);
            // The watch saw the three deletes together, at one revision.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                synchronized (batches) {
                    if (!batches.isEmpty() || System.nanoTime() > deadline) {
                        break;
                    }
                }
                Thread.sleep(20);
            }
            synchronized (batches) {
                assertThat(batches).hasSize(1);
                assertThat(batches.get(0)).hasSize(3).allMatch(e -> e.type() == Event.Type.DELETE)
                        .extracting(Event::revision).containsOnly(batches.get(0).get(0).revision());
            }
            assertThatThrownBy(() -> follower.leases().keepAliveOnce(lease))
                    .isInstanceOf(LeaseNotFoundException.class);
        }
    }

    @Test
    void keepAlivesFromAFollowerKeepALeaseAliveAcrossALeaderChange() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.awaitLeader();
            CohortNode follower = cluster.followers().get(0);
            long lease = follower.leases().grant(2).id();
            putWithLease(follower.kv(), "alive", lease);
            try (Leases.KeepAlive ka = follower.leases().keepAlive(lease)) {
                Thread.sleep(3_000);
                cluster.kill(leader);
                cluster.awaitLeader();
                Thread.sleep(3_000);
                assertThat(follower.kv().get("alive").kvs()).as("kept alive for 3 TTLs and a leader change")
                        .hasSize(1);
                assertThat(ka.lost()).isNotDone();
            }
            // Without keep-alives it expires.
            long start = System.nanoTime();
            while (!follower.kv().get("alive").kvs().isEmpty()) {
                assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aNewLeaderResumesFromTheCheckpointedRemainingTtl() throws Exception {
        try (TestCluster cluster = TestCluster.builder().size(3)
                .tuning(b -> b.leaseCheckpointIntervalMs(500)).start()) {
            CohortNode leader = cluster.awaitLeader();
            long lease = leader.leases().grant(20).id();
            Thread.sleep(4_000); // Several checkpoints.
            cluster.kill(leader);
            CohortNode next = cluster.awaitLeader();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            Leases.Info info = next.leases().timeToLive(lease, false);
            while (!next.maintenance().status().isLeader() && System.nanoTime() < deadline) {
                Thread.sleep(20);
                info = next.leases().timeToLive(lease, false);
            }
            assertThat(info.exists()).as("not expired early").isTrue();
            assertThat(info.grantedTtlSeconds()).isEqualTo(20);
            assertThat(info.ttlSeconds()).as("resumed from a checkpoint, not reset to the full 20 s")
                    .isBetween(12L, 18L);
        }
    }

    @Test
    void keepAliveOfAnUnknownLeaseFailsOnEveryMember() {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitLeader();
            for (CohortNode n : cluster.running()) {
                assertThatThrownBy(() -> n.leases().keepAliveOnce(424242)).isInstanceOf(LeaseNotFoundException.class);
                assertThatThrownBy(() -> n.leases().keepAliveOnceAsync(424242).join())
                        .isInstanceOf(CompletionException.class).hasCauseInstanceOf(LeaseNotFoundException.class);
                assertThatThrownBy(() -> n.leases().keepAlive(424242)).isInstanceOf(LeaseNotFoundException.class);
            }
            long lease = cluster.leader().leases().grant(30).id();
            for (CohortNode n : cluster.running()) {
                assertThat(n.leases().keepAliveOnce(lease)).isEqualTo(30);
            }
        }
    }
}
