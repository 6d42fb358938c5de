package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The watch guarantees: ordered, unique, atomic, reliable, resumable, bookmarkable, bounded. */
class WatchHubTest {
    @TempDir
    Path dir;
    Ks k;
    WatchHub hub;
    final ExecutorService pool = Executors.newFixedThreadPool(4);

    @BeforeEach
    void open() {
        k = new Ks(dir.resolve("ks"));
    }

    @AfterEach
    void close() throws Exception {
        if (hub != null) {
            hub.close();
        }
        pool.shutdownNow();
        k.close();
    }

    void start(WatchHubConfig cfg) {
        hub = WatchHub.start(k.ks, cfg, "test-watch");
    }

    /** Applies through the hub, as the node's apply thread does. */
    ApplyResult write(WriteRequest r) {
        ApplyResult res = k.apply(r);
        hub.publish(List.of(res));
        return res;
    }

    void put(String key, String value) {
        write(PutRequest.of(b(key), b(value)));
    }

    /** Records every message of a watch. */
    static class Recorder implements WatchListener {
        final LinkedBlockingQueue<WatchResponse> messages = new LinkedBlockingQueue<>();
        final List<WatchResponse> seen = new ArrayList<>();

        @Override
        public void onResponse(WatchResponse r) {
            messages.add(r);
        }

        /** Takes messages until one matches; fails after 10 s. */
        WatchResponse until(Predicate<WatchResponse> p) throws InterruptedException {
            while (true) {
                WatchResponse r = messages.poll(10, TimeUnit.SECONDS);
                assertThat(r).as("a watch message within 10 s (seen so far: %s)", seen).isNotNull();
                seen.add(r);
                if (p.test(r)) {
                    return r;
                }
            }
        }

        List<Event> events() {
            List<Event> out = new ArrayList<>();
            for (WatchResponse r : seen) {
                out.addAll(r.events());
            }
            return out;
        }
    }

    static List<String> describe(List<Event> events) {
        return events.stream().map(e -> e.revision() + ":" + e.type() + ":" + e.kv().key().toStringUtf8() + "="
                + e.kv().value().toStringUtf8()).toList();
    }

    @Test
    void liveEventsArriveInOrderOnceEach() throws Exception {
        start(WatchHubConfig.defaults());
        Recorder r = new Recorder();
        WatchCreated c = hub.watch(WatchRequest.range(b("a/"), b("a0")), pool, r);
        assertThat(c.revision()).isEqualTo(1);
        for (int i = 0; i < 200; i++) {
            put("a/" + (i % 7), "v" + i);
            put("b/" + i, "other");
        }
        write(DeleteRangeRequest.of(b("a/3")));
        hub.requestProgress(c.watchId());
        WatchResponse progress = r.until(m -> m.kind() == WatchResponse.Kind.PROGRESS);
        assertThat(progress.revision()).isEqualTo(k.ks.currentRevision());
        List<Event> got = r.events();
        assertThat(got).hasSize(201);
        assertThat(describe(got)).isEqualTo(describe(k.ks.history(2, b("a/"), b("a0"), false, 10_000)));
    }

    @Test
    void aWatchFromThePastCatchesUpThenFollowsLiveWithoutGapOrDuplicate() throws Exception {
        start(new WatchHubConfig(100, 10_000, 7, 5, 0));
        for (int i = 0; i < 300; i++) {
            put("k" + (i % 13), "v" + i);
        }
        Recorder r = new Recorder();
        // Writes keep coming while the watch catches up in steps of 5 events.
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 300; i++) {
                put("k" + (i % 11), "w" + i);
            }
        });
        WatchCreated c = hub.watch(WatchRequest.range(b("k"), b("l")).fromRevision(2).withPrevKv(), pool, r);
        writer.start();
        writer.join();
        long end = k.ks.currentRevision();
        hub.requestProgress(c.watchId());
        r.until(m -> m.kind() == WatchResponse.Kind.PROGRESS && m.revision() >= end
                || m.kind() == WatchResponse.Kind.PROGRESS && retry(c));
        List<Event> expected = k.ks.history(2, b("k"), b("l"), true, 100_000);
        assertThat(expected).hasSize(600);
        assertThat(r.events()).containsExactlyElementsOf(expected);
    }

    /** Asks again for progress (a watch still catching up reports how far it got); returns false. */
    private boolean retry(WatchCreated c) {
        hub.requestProgress(c.watchId());
        return false;
    }

    @Test
    void aRevisionIsNeverSplitAcrossMessages() throws Exception {
        start(new WatchHubConfig(100, 10_000, 1, 1, 0)); // At most one event per message, unless one revision has more.
        Recorder r = new Recorder();
        WatchCreated c = hub.watch(WatchRequest.range(b("t"), b("u")), pool, r);
        List<TxnOp> puts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            puts.add(PutRequest.of(b("t" + i), b("x")));
        }
        write(new TxnRequest(List.of(), puts, List.of()));
        put("t9", "y");
        hub.requestProgress(c.watchId());
        r.until(m -> m.kind() == WatchResponse.Kind.PROGRESS);
        List<WatchResponse> batches = r.seen.stream().filter(m -> m.kind() == WatchResponse.Kind.EVENTS).toList();
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).events()).hasSize(5).allMatch(e -> e.revision() == 2);
        assertThat(batches.get(1).events()).hasSize(1);
    }

    @Test
    void filtersAndPrevKvFollowEtcd() throws Exception {
        start(WatchHubConfig.defaults());
        put("f", "1");
        Recorder noPut = new Recorder();
        Recorder noDelete = new Recorder();
        WatchCreated a = hub.watch(WatchRequest.key(b("f")).withFilters(true, false).withPrevKv(), pool, noPut);
        WatchCreated d = hub.watch(WatchRequest.key(b("f")).withFilters(false, true).withPrevKv(), pool, noDelete);
        put("f", "2");
        write(DeleteRangeRequest.of(b("f")));
        hub.requestProgress(a.watchId());
        hub.requestProgress(d.watchId());
        noPut.until(m -> m.kind() == WatchResponse.Kind.PROGRESS);
        noDelete.until(m -> m.kind() == WatchResponse.Kind.PROGRESS);
        assertThat(noPut.events()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(Event.Type.DELETE);
            assertThat(e.prevKv().value()).isEqualTo(b("2"));
        });
        assertThat(noDelete.events()).singleElement().satisfies(e -> {
            assertThat(e.kv().value()).isEqualTo(b("2"));
            assertThat(e.prevKv().value()).isEqualTo(b("1"));
        });
    }

    @Test
    void watchesOfOneRangeWithDifferentFiltersEachGetTheirOwnViewOfABatchOfRevisions() throws Exception {
        start(new WatchHubConfig(100, 10_000, 3, 5, 0)); // At most 3 events per message, unless one revision has more.
        put("m/a", "0");
        put("m/b", "0");
        long start = k.ks.currentRevision() + 1;
        Recorder plain = new Recorder();
        Recorder plainToo = new Recorder();
        Recorder noPut = new Recorder();
        Recorder noDelete = new Recorder();
        Recorder prevKv = new Recorder();
        Recorder later = new Recorder();
        List<WatchCreated> created = new ArrayList<>();
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")), pool, plain));
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")), pool, plainToo));
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")).withFilters(true, false), pool, noPut));
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")).withFilters(false, true), pool, noDelete));
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")).withPrevKv(), pool, prevKv));
        // Starts in the middle of the batch published below.
        created.add(hub.watch(WatchRequest.range(b("m/"), b("m0")).fromRevision(start + 3), pool, later));
        // One published batch of several revisions, one of them a txn of four events (more than a message's 3).
        List<ApplyResult> batch = new ArrayList<>();
        batch.add(k.apply(PutRequest.of(b("m/a"), b("1"))));
        batch.add(k.apply(PutRequest.of(b("x/outside"), b("1"))));
        batch.add(k.apply(new TxnRequest(List.of(), List.of(PutRequest.of(b("m/a"), b("2")),
                PutRequest.of(b("m/c"), b("2")), DeleteRangeRequest.of(b("m/b")), PutRequest.of(b("m/d"), b("2"))),
                List.of())));
        batch.add(k.apply(DeleteRangeRequest.of(b("m/a"))));
        batch.add(k.apply(PutRequest.of(b("m/e"), b("3"))));
        batch.add(k.apply(PutRequest.of(b("m/c"), b("3"))));
        hub.publish(batch);
        long end = k.ks.currentRevision();
        Recorder[] all = {plain, plainToo, noPut, noDelete, prevKv, later};
        for (int i = 0; i < all.length; i++) {
            hub.requestProgress(created.get(i).watchId());
            all[i].until(m -> m.kind() == WatchResponse.Kind.PROGRESS && m.revision() >= end);
        }
        List<Event> history = k.ks.history(start, b("m/"), b("m0"), false, 1_000);
        assertThat(history).hasSize(8);
        assertThat(describe(plain.events())).isEqualTo(describe(history));
        assertThat(describe(plainToo.events())).isEqualTo(describe(history));
        assertThat(describe(noPut.events())).isEqualTo(describe(history.stream()
                .filter(e -> e.type() == Event.Type.DELETE).toList()));
        assertThat(describe(noDelete.events())).isEqualTo(describe(history.stream()
                .filter(e -> e.type() == Event.Type.PUT).toList()));
        assertThat(prevKv.events()).containsExactlyElementsOf(k.ks.history(start, b("m/"), b("m0"), true, 1_000));
        assertThat(describe(later.events())).isEqualTo(describe(history.stream()
                .filter(e -> e.revision() >= start + 3).toList()));
        for (Recorder r : all) {
            for (WatchResponse m : r.seen) {
                if (m.kind() == WatchResponse.Kind.EVENTS) {
                    // Whole revisions, at most 3 events unless one revision alone has more.
                    long revisions = m.events().stream().mapToLong(Event::revision).distinct().count();
                    assertThat(m.events().size() <= 3 || revisions == 1).as("message %s", m).isTrue();
                }
            }
        }
    }

    @Test
    void aListenerStuckInItsCallDoesNotHoldUpOtherWatchesOnTheSameExecutor() throws Exception {
        start(WatchHubConfig.defaults());
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch stuck = new CountDownLatch(1);
        List<Recorder> others = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Recorder r = new Recorder();
            others.add(r);
            hub.watch(WatchRequest.key(b("s")), pool, r);
        }
        // Registered last, so it is among the first handed over for a revision, ahead of the others in their batch.
        Recorder stuckOne = new Recorder() {
            @Override
            public void onResponse(WatchResponse r) {
                super.onResponse(r);
                stuck.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        hub.watch(WatchRequest.key(b("s")), pool, stuckOne);
        try {
            put("s", "1");
            assertThat(stuck.await(10, TimeUnit.SECONDS)).isTrue();
            put("s", "2");
            long rev = k.ks.currentRevision();
            for (Recorder r : others) {
                r.until(m -> m.kind() == WatchResponse.Kind.EVENTS && m.events().get(m.events().size() - 1)
                        .revision() == rev);
                assertThat(r.events()).extracting(e -> e.kv().value().toStringUtf8()).containsExactly("1", "2");
            }
            assertThat(release.getCount()).as("still stuck while the others were served").isEqualTo(1);
        } finally {
            release.countDown();
        }
        stuckOne.until(m -> m.kind() == WatchResponse.Kind.EVENTS && m.events().get(0).kv().value().equals(b("2")));
        assertThat(stuckOne.events()).extracting(e -> e.kv().value().toStringUtf8()).containsExactly("1", "2");
    }

    @Test
    void aWatchBelowTheCompactedRevisionIsCancelledWithIt() throws Exception {
        start(WatchHubConfig.defaults());
        for (int i = 0; i < 10; i++) {
            put("c", "v" + i);
        }
        write(new CompactRequest(6));
        Recorder r = new Recorder();
        hub.watch(WatchRequest.key(b("c")).fromRevision(3), pool, r);
        WatchResponse end = r.until(WatchResponse::cancelled);
        assertThat(end.kind()).isEqualTo(WatchResponse.Kind.CANCELLED_COMPACTED);
        assertThat(end.revision()).isEqualTo(6);
        assertThat(r.events()).isEmpty();
        // From the compacted revision itself, history is still there.
        Recorder at = new Recorder();
        WatchCreated c = hub.watch(WatchRequest.key(b("c")).fromRevision(6), pool, at);
        hub.requestProgress(c.watchId());
        at.until(m -> m.kind() == WatchResponse.Kind.PROGRESS && (m.revision() >= 11 || retry(c)));
        assertThat(at.events()).extracting(Event::revision).containsExactly(6L, 7L, 8L, 9L, 10L, 11L);
    }

    @Test
    void aSlowConsumerIsCancelledWithItsResumeRevisionAndDoesNotSlowOthers() throws Exception {
        start(WatchHubConfig.defaults().withMaxPendingEventsPerWatcher(10));
        CountDownLatch release = new CountDownLatch(1);
        Recorder slow = new Recorder() {
            @Override
            public void onResponse(WatchResponse r) {
                super.onResponse(r);
                try {
                    release.await(); // Stuck on its first message.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Recorder fast = new Recorder();
        WatchCreated s = hub.watch(WatchRequest.key(b("s")), pool, slow);
        WatchCreated f = hub.watch(WatchRequest.key(b("s")), pool, fast);
        put("s", "first");
        slow.until(m -> m.kind() == WatchResponse.Kind.EVENTS); // Now stuck in the listener.
        for (int i = 0; i < 30; i++) {
            put("s", "v" + i);
            long rev = k.ks.currentRevision();
            // The fast watcher keeps up event by event while the slow one's buffer fills.
            fast.until(m -> m.kind() == WatchResponse.Kind.EVENTS && m.events().get(m.events().size() - 1).revision() == rev);
        }
        assertThat(fast.events()).hasSize(31);
        assertThat(fast.seen).noneMatch(WatchResponse::cancelled);
        release.countDown();
        WatchResponse end = slow.until(WatchResponse::cancelled);
        assertThat(end.kind()).isEqualTo(WatchResponse.Kind.CANCELLED_SLOW_CONSUMER);
        assertThat(end.reason()).contains("maxPendingEventsPerWatcher");
        // Resumable: what was delivered plus a new watch from the resume revision is the whole history.
        List<Event> delivered = slow.events();
        assertThat(delivered).hasSize(1);
        assertThat(end.revision()).isEqualTo(delivered.get(0).revision() + 1);
        Recorder resumed = new Recorder();
        WatchCreated again = hub.watch(WatchRequest.key(b("s")).fromRevision(end.revision()), pool, resumed);
        hub.requestProgress(again.watchId());
        resumed.until(m -> m.kind() == WatchResponse.Kind.PROGRESS && (m.revision() >= k.ks.currentRevision()
                || retry(again)));
        List<Event> all = new ArrayList<>(delivered);
        all.addAll(resumed.events());
        assertThat(all).containsExactlyElementsOf(k.ks.history(2, b("s"), Bytes.EMPTY, false, 1000));
        assertThat(hub.cancel(s.watchId())).as("already cancelled").isFalse();
    }

    @Test
    void progressIsABookmarkAfterEveryEarlierEvent() throws Exception {
        start(WatchHubConfig.defaults().withProgressIntervalMs(50));
        Recorder r = new Recorder();
        hub.watch(WatchRequest.key(b("p")).withProgressNotify(), pool, r);
        put("p", "1");
        put("q", "unrelated");
        WatchResponse events = r.until(m -> m.kind() == WatchResponse.Kind.EVENTS);
        assertThat(events.events()).extracting(Event::revision).containsExactly(2L);
        // A periodic notification comes while no events do, and it covers the unrelated revision 3.
        WatchResponse p = r.until(m -> m.kind() == WatchResponse.Kind.PROGRESS && m.revision() == 3);
        assertThat(r.seen.subList(r.seen.indexOf(events), r.seen.size())).allMatch(m -> m.revision() >= 2);
    }

    @Test
    void cancelAndCloseEndWatchesWithALastMessage() throws Exception {
        start(WatchHubConfig.defaults().withMaxWatchers(2));
        Recorder a = new Recorder();
        Recorder b2 = new Recorder();
        WatchCreated ca = hub.watch(WatchRequest.key(b("x")), pool, a);
        hub.watch(WatchRequest.key(b("x")), pool, b2);
        assertThatThrownBy(() -> hub.watch(WatchRequest.key(b("x")), pool, new Recorder()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxWatchers");
        assertThat(hub.cancel(ca.watchId())).isTrue();
        assertThat(a.until(WatchResponse::cancelled).kind()).isEqualTo(WatchResponse.Kind.CANCELLED_BY_REQUEST);
        put("x", "after cancel");
        hub.close();
        WatchResponse closed = b2.until(WatchResponse::cancelled);
        assertThat(closed.kind()).isEqualTo(WatchResponse.Kind.CANCELLED_CLOSED);
        // The put at revision 2 was either delivered before the close, or the close says to resume from it.
        assertThat(closed.revision()).isEqualTo(b2.events().isEmpty() ? 2 : 3);
        assertThat(b2.events()).extracting(Event::revision).isSubsetOf(2L);
        assertThat(a.messages).isEmpty();
        assertThat(hub.size()).isZero();
        hub = null;
    }

    @Test
    void afterASnapshotInstallWatchesContinueFromTheInstalledHistory() throws Exception {
        start(WatchHubConfig.defaults());
        put("r", "0");
        Recorder r = new Recorder();
        WatchCreated c = hub.watch(WatchRequest.key(b("r")), pool, r);
        put("r", "1");
        // Another replica went further; this one installs its snapshot.
        Path snap = dir.resolve("snap");
        long ahead;
        try (Ks other = new Ks(dir.resolve("other"))) {
            other.put("r", "0");
            other.put("r", "1");
            for (int i = 2; i < 6; i++) {
                other.put("r", "" + i);
            }
            other.ks.writeSnapshot(snap);
            ahead = other.ks.currentRevision();
        }
        k.ks.restoreSnapshot(snap);
        k.index = k.ks.appliedIndex();
        hub.restored();
        put("r", "6");
        hub.requestProgress(c.watchId());
        r.until(m -> m.kind() == WatchResponse.Kind.PROGRESS && (m.revision() >= ahead + 1 || retry(c)));
        assertThat(r.events()).extracting(e -> e.kv().value().toStringUtf8())
                .containsExactly("1", "2", "3", "4", "5", "6");
    }
}
