package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.KeyValue;
import io.cohort.testkit.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sessions, leader election and locks on a replicated group. */
class RecipesTest {
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void oneCampaignerLeadsAtATimeAndLeadershipPassesOnInOrder() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitLeader();
            List<CohortNode> nodes = cluster.running();
            List<Session> sessions = new ArrayList<>();
            List<CompletableFuture<LeaderElection.Leadership>> campaigns = new ArrayList<>();
            List<Optional<KeyValue>> observed = Collections.synchronizedList(new ArrayList<>());
            Session watcherSession = nodes.get(0).newSession(Duration.ofSeconds(10));
            Watch observing = watcherSession.election("jobs/scheduler").observe(pool, observed::add);
            for (int i = 0; i < 3; i++) {
                Session s = nodes.get(i).newSession(Duration.ofSeconds(10));
                sessions.add(s);
                campaigns.add(s.election("jobs/scheduler").campaignAsync("replica-" + i, pool));
                Thread.sleep(50); // Campaign in a known order.
            }
            LeaderElection.Leadership first = campaigns.get(0).get(10, TimeUnit.SECONDS);
            Thread.sleep(300);
            assertThat(campaigns.get(1)).as("only one leads").isNotDone();
            assertThat(campaigns.get(2)).isNotDone();
            assertThat(sessions.get(2).election("jobs/scheduler").leader()).get()
                    .extracting(kv -> kv.value().toStringUtf8()).isEqualTo("replica-0");
            assertThat(first.proclaim("replica-0 v2")).isTrue();

            first.resign();
            LeaderElection.Leadership second = campaigns.get(1).get(10, TimeUnit.SECONDS);
            assertThat(second.revision()).as("fencing: strictly increasing").isGreaterThan(first.revision());
            assertThat(first.proclaim("too late")).as("a resigned leader cannot proclaim").isFalse();

            sessions.get(1).close(); // The leader's session ends: its key goes with its lease.
            LeaderElection.Leadership third = campaigns.get(2).get(10, TimeUnit.SECONDS);
            assertThat(third.revision()).isGreaterThan(second.revision());

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline && !observed.stream().flatMap(Optional::stream)
                    .anyMatch(kv -> kv.value().toStringUtf8().equals("replica-2"))) {
                Thread.sleep(20);
            }
            List<String> leaders = observed.stream().map(o -> o.map(kv -> kv.value().toStringUtf8()).orElse("-"))
                    .distinct().toList();
            assertThat(leaders).containsSubsequence("replica-0", "replica-0 v2", "replica-1", "replica-2");
            observing.close();
            sessions.get(0).close();
            sessions.get(2).close();
            watcherSession.close();
        }
    }

    @Test
    void lockHoldersExcludeEachOtherAndTheirFencingTokensIncrease() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitLeader();
            List<CohortNode> nodes = cluster.running();
            AtomicInteger holders = new AtomicInteger();
            List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<Void>> workers = new ArrayList<>();
            nodes.get(0).kv().put("counter", "0");
            for (int w = 0; w < 3; w++) {
                CohortNode node = nodes.get(w);
                workers.add(CompletableFuture.runAsync(() -> {
                    try (Session s = node.newSession(Duration.ofSeconds(10))) {
                        Lock lock = s.lock("locks/counter");
                        for (int i = 0; i < 8; i++) {
                            try (Lock.Held held = lock.acquire(Duration.ofSeconds(20))) {
                                assertThat(holders.incrementAndGet()).as("one holder at a time").isEqualTo(1);
                                tokens.add(held.fencingToken());
                                long n = Long.parseLong(node.kv().get("counter").valueUtf8().orElseThrow());
                                TxnResult r = node.kv().txn().when(held.isHeld())
                                        .then(Op.put("counter", Long.toString(n + 1))).commit();
                                assertThat(r.succeeded()).as("the write guarded by the lock").isTrue();
                                holders.decrementAndGet();
                            }
                        }
                    } catch (TimeoutException e) {
                        throw new AssertionError(e);
                    }
                }, pool));
            }
            CompletableFuture.allOf(workers.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            assertThat(nodes.get(1).kv().get("counter").valueUtf8()).hasValue("24");
            assertThat(tokens).hasSize(24).isSorted().doesNotHaveDuplicates();
        }
    }

    @Test
    void aWaiterGivesUpAfterItsTimeoutAndLeavesTheQueue() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode node = cluster.awaitLeader();
            try (Session a = node.newSession(Duration.ofSeconds(10));
                 Session b = cluster.followers().get(0).newSession(Duration.ofSeconds(10));
                 Lock.Held held = a.lock("locks/t").acquire(Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> b.lock("locks/t").acquire(Duration.ofMillis(300)))
                        .isInstanceOf(TimeoutException.class).hasMessageContaining("300 ms");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (node.kv().get(KeyRange.prefix("locks/t/")).kvs().size() > 1 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(node.kv().get(KeyRange.prefix("locks/t/")).kvs()).as("only the holder's key").hasSize(1);
                assertThat(held.fencingToken()).isPositive();
            }
        }
    }

    /**
     * Regression (found by the keyspace simulation): a waiter whose session's lease goes while it waits must not take
     * the lock once the keys before it are gone; its key is gone too, so it fails with LeaseLost (as etcd's Mutex
     * does), instead of holding a lock alongside the next waiter.
     */
    @Test
    void aWaiterWhoseLeaseWentWhileWaitingDoesNotGetTheLock() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode node = cluster.awaitLeader();
            // Long TTLs: the sessions' keep-alives (every third of the TTL) do not notice the revoke in time.
            try (Session a = node.newSession(Duration.ofSeconds(30));
                 Session b = node.newSession(Duration.ofSeconds(30))) {
                Lock.Held held = a.lock("locks/r").acquire(Duration.ofSeconds(5));
                CompletableFuture<Lock.Held> waiting = b.lock("locks/r").acquireAsync();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (node.kv().get(KeyRange.prefix("locks/r/")).kvs().size() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                node.leases().revoke(b.leaseId()); // b's key goes with it
                held.close(); // a's key goes: nobody is before b's (gone) key
                assertThatThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(io.cohort.CohortException.LeaseLost.class);
            }
        }
    }

    @Test
    void aDeadHoldersLockIsFreedWhenItsLeaseExpires() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            cluster.awaitLeader();
            CohortNode doomed = cluster.followers().get(0);
            CohortNode other = cluster.followers().get(1);
            Session dying = doomed.newSession(Duration.ofSeconds(2));
            long token = dying.lock("locks/d").acquire(Duration.ofSeconds(5)).fencingToken();
            cluster.kill(doomed); // Its keep-alives stop with it; nobody revokes its lease.
            try (Session s = other.newSession(Duration.ofSeconds(10))) {
                long start = System.nanoTime();
                Lock.Held held = s.lock("locks/d").acquire(Duration.ofSeconds(15));
                assertThat(held.fencingToken()).isGreaterThan(token);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("after the TTL")
                        .isGreaterThanOrEqualTo(500);
                held.close();
            }
        }
    }
}
