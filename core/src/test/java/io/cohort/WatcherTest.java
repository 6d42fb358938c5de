package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.mvcc.Event;
import io.cohort.testkit.TestCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Watches through the public API on a replicated group: the guarantees across leader changes and snapshots. */
class WatcherTest {
    private final ExecutorService userPool = Executors.newFixedThreadPool(2, r -> new Thread(r, "user-pool"));

    @AfterEach
    void stop() {
        userPool.shutdownNow();
    }

    /** Records a watch's calls, and the threads they ran on. */
    static class Recorder implements WatchListener {
        final LinkedBlockingQueue<Object> calls = new LinkedBlockingQueue<>();
        final List<Event> events = new ArrayList<>();
        final List<String> threads = new ArrayList<>();

        @Override
        public synchronized void onEvents(List<Event> batch, long revision) {
            events.addAll(batch);
            threads.add(Thread.currentThread().getName());
            calls.add(batch);
        }

        @Override
        public void onProgress(long revision) {
            calls.add(revision);
        }

        @Override
        public void onCancelled(WatchCancellation c) {
            calls.add(c);
        }

        Object until(Predicate<Object> p) throws InterruptedException {
            while (true) {
                Object o = calls.poll(20, TimeUnit.SECONDS);
                assertThat(o).as("a watch call within 20 s").isNotNull();
                if (p.test(o)) {
                    return o;
                }
            }
        }

        /** Waits until every event up to {@code revision} was delivered (asking for progress until it is). */
        void awaitDelivered(Watch w, long revision) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                assertThat(w.requestProgress()).as("watch still open").isTrue();
                Object o = calls.poll(1, TimeUnit.SECONDS);
                if (o instanceof Long r && r >= revision) {
                    return;
                }
            }
            throw new AssertionError("events up to " + revision + " not delivered within 20 s");
        }

        synchronized List<Long> revisions() {
            return events.stream().map(Event::revision).toList();
        }
    }

    @Test
    void aWatchOnAFollowerSeesEveryWriteOnceInOrderAcrossALeaderChange() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.awaitLeader();
            CohortNode follower = cluster.followers().get(0);
            Recorder r = new Recorder();
            Watch w = follower.watcher().watch(WatchSpec.prefix("w/").withPrevKv(), userPool, r);
            for (int i = 0; i < 50; i++) {
                leader.kv().put("w/" + (i % 5), "a" + i);
            }
            cluster.kill(leader);
            CohortNode next = cluster.awaitLeader();
            for (int i = 0; i < 50; i++) {
                next.kv().put("w/" + (i % 5), "b" + i);
            }
            long last = next.kv().get(KeyRange.key("w/0")).revision();
            r.awaitDelivered(w, last);
            // Exactly the history: ordered, unique, nothing missing.
            List<Long> expected = new ArrayList<>();
            GetResult all = follower.kv().get(KeyRange.prefix("w/"));
            assertThat(all.kvs()).hasSize(5);
            assertThat(r.revisions()).hasSize(100).isSorted().doesNotHaveDuplicates();
            for (Event e : r.events) {
                expected.add(e.revision());
                if (e.kv().version() > 1) {
                    assertThat(e.prevKv()).as("prev kv of %s", e).isNotNull();
                    assertThat(e.prevKv().version()).isEqualTo(e.kv().version() - 1);
                }
            }
            assertThat(r.threads).allMatch(t -> t.equals("user-pool"));
            // Resumable: a watch from a revision in the middle replays exactly the rest.
            Recorder resumed = new Recorder();
            long from = expected.get(60);
            Watch again = follower.watcher().watch(WatchSpec.prefix("w/").fromRevision(from), userPool, resumed);
            resumed.awaitDelivered(again, last);
            assertThat(resumed.revisions()).isEqualTo(expected.subList(60, 100));
        }
    }

    @Test
    void aMemberThatInstallsASnapshotKeepsItsWatchesExact() throws Exception {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.snapshotIntervalEntries(25)).start()) {
            CohortNode leader = cluster.awaitLeader();
            CohortNode lagging = cluster.followers().get(0);
            Recorder r = new Recorder();
            Watch w = lagging.watcher().watch(WatchSpec.prefix("s/"), userPool, r);
            leader.kv().put("s/first", "0");
            r.awaitDelivered(w, leader.kv().get(KeyRange.key("s/first")).revision());
            cluster.isolate(lagging);
            for (int i = 0; i < 200; i++) {
                leader.kv().put("s/" + (i % 10), "v" + i);
            }
            cluster.heal();
            long last = leader.kv().get(KeyRange.key("s/0")).revision();
            r.awaitDelivered(w, last);
            assertThat(r.revisions()).hasSize(201).isSorted().doesNotHaveDuplicates();
            assertThat(r.revisions().get(200)).isEqualTo(last);
        }
    }

    @Test
    void aWatchWhoseHistoryWasCompactedAwayEndsWithTheRevisionToResumeFrom() throws Exception {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode leader = cluster.awaitLeader();
            for (int i = 0; i < 10; i++) {
                leader.kv().put("c", "v" + i);
            }
            long compactAt = leader.kv().get(KeyRange.key("c")).revision() - 3;
            leader.kv().compact(compactAt);
            Recorder r = new Recorder();
            CohortNode follower = cluster.followers().get(1);
            // A linearizable read first: the follower has then applied the compaction too (until it has, its
            // history still reaches back to revision 2, and the watch would rightly replay it).
            follower.kv().get("c");
            follower.watcher().watch(WatchSpec.key("c").fromRevision(2), userPool, r);
            WatchCancellation c = (WatchCancellation) r.until(o -> o instanceof WatchCancellation);
            assertThat(c.reason()).isEqualTo(WatchCancellation.Reason.COMPACTED);
            assertThat(c.resumeRevision()).isEqualTo(compactAt);
        }
    }

    @Test
    void aSlowListenerIsCancelledWhileOthersKeepUp() throws Exception {
        try (TestCluster cluster = TestCluster.builder().size(1).tuning(b -> b.maxWatchLagEvents(20)).start()) {
            CohortNode node = cluster.awaitLeader();
            CountDownLatch stuck = new CountDownLatch(1);
            Recorder slow = new Recorder() {
                @Override
                public synchronized void onEvents(List<Event> batch, long revision) {
                    super.onEvents(batch, revision);
                    try {
                        stuck.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            Recorder fast = new Recorder();
            node.watcher().watch(WatchSpec.key("x"), userPool, slow);
            Watch f = node.watcher().watch(WatchSpec.key("x"), userPool, fast);
            node.kv().put("x", "first");
            slow.until(o -> o instanceof List);
            for (int i = 0; i < 40; i++) {
                node.kv().put("x", "v" + i); // Sequential writes: the fast listener keeps up easily.
            }
            stuck.countDown();
            WatchCancellation c = (WatchCancellation) slow.until(o -> o instanceof WatchCancellation);
            assertThat(c.reason()).isEqualTo(WatchCancellation.Reason.SLOW_CONSUMER);
            assertThat(c.resumeRevision()).isEqualTo(slow.revisions().get(slow.revisions().size() - 1) + 1);
            fast.awaitDelivered(f, node.kv().get(KeyRange.key("x")).revision());
            assertThat(fast.revisions()).hasSize(41);
        }
    }

    @Test
    void cancelAndCloseEndWatchesWithALastCall() throws Exception {
        TestCluster cluster = TestCluster.start(1);
        CohortNode node = cluster.awaitLeader();
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Watch wa = node.watcher().watch(WatchSpec.key("k"), userPool, a);
        node.watcher().watch(WatchSpec.key("k"), userPool, b);
        wa.close();
        assertThat(((WatchCancellation) a.until(o -> o instanceof WatchCancellation)).reason())
                .isEqualTo(WatchCancellation.Reason.CANCELLED);
        assertThat(wa.requestProgress()).isFalse();
        cluster.close();
        assertThat(((WatchCancellation) b.until(o -> o instanceof WatchCancellation)).reason())
                .isEqualTo(WatchCancellation.Reason.NODE_CLOSED);
    }
}
