package io.cohort.mvcc.internal;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.RevisionException;
import io.cohort.mvcc.WatchCreated;
import io.cohort.mvcc.WatchHubConfig;
import io.cohort.mvcc.WatchListener;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import io.cohort.mvcc.WatchResponse.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watch machinery behind {@link io.cohort.mvcc.WatchHub}, after etcd's {@code watchable_store.go}: synced watches
 * get live events as the apply thread publishes them; unsynced ones (starting in the past, or after a snapshot
 * install) catch up from history on the dispatcher thread in bounded steps, then join the synced group. Every watch
 * has a bounded buffer and at most one message with its listener's executor, so messages stay in order and a slow
 * listener only delays (and eventually cancels) its own watch. Listeners never run on the apply or dispatcher
 * thread unless the caller's executor runs tasks inline.
 *
 * <p>One lock guards all watch state; the apply thread holds it only to fan events out.
 *
 * <p>Driven mode (for deterministic simulation): no dispatcher thread; the owner calls {@link #doWork()} and supplies
 * the clock, so with an inline executor every message is delivered on the owner's thread at a time it chooses.
 */
public final class WatchableStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WatchableStore.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Keyspace keyspace;
    private final WatchHubConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread dispatcher; // null in driven mode
    private final LongSupplier nanoClock;
    private long nextProgressNanos; // dispatcher (or driving) thread only
    private final List<Watcher> batch = new ArrayList<>(); // dispatcher (or driving) thread only
    private volatile boolean running = true;
    private volatile boolean dispatcherIdle;

    // Guarded by lock.
    private final Map<Long, Watcher> watchers = new HashMap<>();
    private final WatcherGroup synced = new WatcherGroup();
    private final List<Watcher> unsynced = new ArrayList<>();
    private final ArrayDeque<Watcher> ready = new ArrayDeque<>();
    private long publishedRevision;
    private long nextWatchId = 1;
    private boolean closed;
    private final ArrayList<Watcher> matchScratch = new ArrayList<>();
    private final IdentityHashMap<Event, Event> prevKvCache = new IdentityHashMap<>();

    /** Starts the store and its dispatcher thread named {@code threadName}. */
    public WatchableStore(Keyspace keyspace, WatchHubConfig config, String threadName) {
        this(keyspace, config, System::nanoTime, threadName);
    }

    /** Starts the store in driven mode: no thread; the owner calls {@link #doWork()}, time comes from {@code nanoClock}. */
    public WatchableStore(Keyspace keyspace, WatchHubConfig config, LongSupplier nanoClock) {
        this(keyspace, config, nanoClock, null);
    }

    private WatchableStore(Keyspace keyspace, WatchHubConfig config, LongSupplier nanoClock, String threadName) {
        this.keyspace = keyspace;
        this.config = config;
        this.nanoClock = nanoClock;
        this.publishedRevision = keyspace.currentRevision();
        this.nextProgressNanos = nanoClock.getAsLong() + progressNanos();
        if (threadName == null) {
            this.dispatcher = null;
        } else {
            this.dispatcher = new Thread(this::dispatchLoop, threadName);
            this.dispatcher.setDaemon(true);
            this.dispatcher.start();
        }
    }

    /** Creates a watch; see {@link io.cohort.mvcc.WatchHub#watch}. */
    public WatchCreated watch(WatchRequest r, Executor executor, WatchListener listener) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the watch hub is closed");
            }
            if (watchers.size() >= config.maxWatchers()) {
                throw new IllegalStateException("too many watches: " + watchers.size() + " are open, the limit "
                        + "(maxWatchers) is " + config.maxWatchers());
            }
            Watcher w = new Watcher(nextWatchId++, r, executor, listener);
            w.lastSentNanos = nanoClock.getAsLong();
            watchers.put(w.id, w);
            long start = r.startRevision() <= 0 ? publishedRevision + 1 : r.startRevision();
            w.nextRevision = start;
            if (start > publishedRevision) {
                w.synced = true;
                synced.add(w);
            } else {
                unsynced.add(w);
            }
            wakeDispatcher();
            return new WatchCreated(w.id, publishedRevision);
        } finally {
            lock.unlock();
        }
    }

    /** Cancels a watch; its listener gets {@link Kind#CANCELLED_BY_REQUEST} last. False if it is not open. */
    public boolean cancel(long watchId) {
        lock.lock();
        try {
            Watcher w = watchers.get(watchId);
            if (w == null || w.cancelled) {
                return false;
            }
            long resume = w.firstPendingRevision(nextUnbuffered(w));
            cancelLocked(w, Kind.CANCELLED_BY_REQUEST, resume, "cancelled on request");
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a progress notification behind everything already buffered. False if the watch is not open. */
    public boolean requestProgress(long watchId) {
        lock.lock();
        try {
            Watcher w = watchers.get(watchId);
            if (w == null || w.cancelled) {
                return false;
            }
            w.pending.add(nextUnbuffered(w) - 1);
            markReady(w);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The number of open watches. */
    public int size() {
        lock.lock();
        try {
            return watchers.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Publishes a committed batch's events to the synced watches. Called by the apply thread right after each
     * {@link Keyspace#apply}, in order, before the next apply.
     */
    public void publish(List<ApplyResult> results) {
        long revision = keyspace.currentRevision();
        lock.lock();
        try {
            assert revision >= publishedRevision : "revisions never go back: " + revision + " < " + publishedRevision;
            if (synced.size() > 0) {
                for (int i = 0, n = results.size(); i < n; i++) {
                    List<Event> events = results.get(i).events();
                    for (int j = 0, m = events.size(); j < m; j++) {
                        fanOut(events.get(j));
                    }
                }
                prevKvCache.clear();
            }
            publishedRevision = revision;
        } finally {
            lock.unlock();
        }
        wakeDispatcher();
    }

    private void fanOut(Event e) {
        matchScratch.clear();
        synced.matching(e.kv().key(), matchScratch);
        for (int i = 0, n = matchScratch.size(); i < n; i++) {
            Watcher w = matchScratch.get(i);
            if (w.cancelled || e.revision() < w.nextRevision || !w.accepts(e)) {
                continue;
            }
            Event out = e;
            if (w.prevKv) {
                out = prevKvCache.get(e);
                if (out == null) {
                    out = keyspace.withWatchPrevKv(e);
                    prevKvCache.put(e, out);
                }
            }
            w.pending.add(out);
            w.pendingEvents++;
            if (w.pendingEvents > config.maxPendingEventsPerWatcher()) {
                long resume = w.firstPendingRevision(e.revision());
                cancelLocked(w, Kind.CANCELLED_SLOW_CONSUMER, resume, "the watcher fell behind: more than "
                        + config.maxPendingEventsPerWatcher() + " events (maxPendingEventsPerWatcher) were waiting for"
                        + " its listener; watch again from revision " + resume);
            } else {
                markReady(w);
            }
        }
    }

    /**
     * Tells the store the keyspace was replaced by a snapshot: every watch catches up from the installed history
     * from where it was (or is cancelled as compacted if that history no longer reaches back far enough).
     */
    public void restored() {
        lock.lock();
        try {
            for (Watcher w : synced.all()) {
                w.nextRevision = Math.max(w.nextRevision, publishedRevision + 1);
                w.synced = false;
                unsynced.add(w);
            }
            synced.clear();
            publishedRevision = keyspace.currentRevision();
        } finally {
            lock.unlock();
        }
        wakeDispatcher();
    }

    /** Cancels every watch with {@link Kind#CANCELLED_CLOSED}, delivers that (bounded wait), stops the dispatcher. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (Watcher w : new ArrayList<>(watchers.values())) {
                if (!w.cancelled) {
                    cancelLocked(w, Kind.CANCELLED_CLOSED, w.firstPendingRevision(nextUnbuffered(w)),
                            "the node is closing");
                }
            }
        } finally {
            lock.unlock();
        }
        if (dispatcher == null) {
            // Driven mode: deliver the cancellations now (a listener still busy elsewhere is left, bounded).
            while (size() > 0 && doWork() > 0) {
                // each round hands over at least one message
            }
            return;
        }
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        while (size() > 0 && System.nanoTime() - deadline < 0 && dispatcher.isAlive()) {
            wakeDispatcher();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        running = false;
        LockSupport.unpark(dispatcher);
        try {
            dispatcher.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_DRAIN_NANOS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (size() > 0) {
            LOG.warn("{} watches were not told of the close within {} ms (their listeners are busy)", size(),
                    TimeUnit.NANOSECONDS.toMillis(CLOSE_DRAIN_NANOS));
        }
    }

    // ------------------------------------------------------------------ locked helpers

    /** The lowest revision not yet buffered for {@code w}. */
    private long nextUnbuffered(Watcher w) {
        return w.synced ? Math.max(w.nextRevision, publishedRevision + 1) : w.nextRevision;
    }

    private void cancelLocked(Watcher w, Kind kind, long resumeRevision, String reason) {
        if (w.synced) {
            synced.remove(w);
        } else {
            unsynced.remove(w);
        }
        w.cancelled = true;
        w.pending.clear();
        w.pendingEvents = 0;
        w.pending.add(new WatchResponse(w.id, kind, resumeRevision, List.of(), reason));
        markReady(w);
        LOG.debug("watch {} cancelled ({}): {}", w.id, kind, reason);
    }

    private void markReady(Watcher w) {
        if (!w.queued && !w.inFlight) {
            w.queued = true;
            ready.add(w);
        }
    }

    private void wakeDispatcher() {
        if (dispatcherIdle && dispatcher != null) {
            LockSupport.unpark(dispatcher);
        }
    }

    // ------------------------------------------------------------------ dispatcher thread

    private void dispatchLoop() {
        while (running) {
            try {
                if (doWork() == 0) {
                    dispatcherIdle = true;
                    boolean idle;
                    lock.lock();
                    try {
                        idle = ready.isEmpty() && !catchUpPossible();
                    } finally {
                        lock.unlock();
                    }
                    if (idle && running) {
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                    }
                    dispatcherIdle = false;
                }
            } catch (Throwable t) {
                LOG.error("the watch dispatcher hit an unexpected error; it keeps running", t);
                LockSupport.parkNanos(IDLE_PARK_NANOS);
            }
        }
    }

    /**
     * One round of the dispatcher: hands each ready watch's next message to its executor, takes one catch-up step for
     * each unsynced watch with room, and queues due progress notifications. Returns how much it did (0: nothing to
     * do). The dispatcher thread calls it in a loop; in driven mode the owner calls it (one thread at a time).
     */
    public int doWork() {
        int work = 0;
        lock.lock();
        try {
            batch.addAll(ready);
            ready.clear();
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < batch.size(); i++) {
            work += dispatch(batch.get(i));
        }
        batch.clear();
        work += catchUp();
        long now = nanoClock.getAsLong();
        if (config.progressIntervalMs() > 0 && now - nextProgressNanos >= 0) {
            work += periodicProgress(now);
            nextProgressNanos = now + progressNanos();
        }
        return work;
    }

    private long progressNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.progressIntervalMs()));
    }

    /** Hands {@code w}'s next message to its executor if none is in flight; returns 1 if it did. */
    private int dispatch(Watcher w) {
        WatchResponse message;
        lock.lock();
        try {
            w.queued = false;
            if (w.inFlight || w.pending.isEmpty()) {
                return 0;
            }
            message = nextMessage(w);
            w.inFlight = true;
            w.lastSentNanos = nanoClock.getAsLong();
        } finally {
            lock.unlock();
        }
        try {
            w.executor.execute(() -> deliver(w, message));
        } catch (RejectedExecutionException e) {
            lock.lock();
            try {
                long resume = message.kind() == Kind.EVENTS ? message.events().get(0).revision()
                        : w.firstPendingRevision(nextUnbuffered(w));
                LOG.error("watch {}: its executor refused a message, so the watch ends without a cancellation "
                        + "message; watch again from revision {}", w.id, resume, e);
                if (w.synced) {
                    synced.remove(w);
                } else {
                    unsynced.remove(w);
                }
                w.cancelled = true;
                w.inFlight = false;
                w.pending.clear();
                w.pendingEvents = 0;
                watchers.remove(w.id);
            } finally {
                lock.unlock();
            }
        }
        return 1;
    }

    /** Takes the next message off {@code w}'s buffer: whole revisions of events, a progress mark or the end. */
    private WatchResponse nextMessage(Watcher w) {
        Object head = w.pending.peek();
        if (head instanceof WatchResponse end) {
            w.pending.poll();
            return end;
        }
        if (head instanceof Long progress) {
            w.pending.poll();
            return new WatchResponse(w.id, Kind.PROGRESS, progress, List.of(), "");
        }
        List<Event> events = new ArrayList<>();
        long lastRevision = -1;
        while (w.pending.peek() instanceof Event e
                && (events.size() < config.maxBatchEvents() || e.revision() == lastRevision)) {
            w.pending.poll();
            events.add(e);
            lastRevision = e.revision();
        }
        w.pendingEvents -= events.size();
        return new WatchResponse(w.id, Kind.EVENTS, Math.max(publishedRevision, lastRevision), events, "");
    }

    private void deliver(Watcher w, WatchResponse message) {
        try {
            w.listener.onResponse(message);
        } catch (Throwable t) {
            LOG.warn("watch {}: the listener threw; the watch continues", w.id, t);
        } finally {
            lock.lock();
            try {
                w.inFlight = false;
                if (message.cancelled()) {
                    watchers.remove(w.id);
                } else if (!w.pending.isEmpty()) {
                    markReady(w);
                }
            } finally {
                lock.unlock();
            }
            wakeDispatcher();
        }
    }

    private boolean catchUpPossible() {
        for (int i = 0, n = unsynced.size(); i < n; i++) {
            if (unsynced.get(i).pendingEvents < config.catchUpBatchEvents()) {
                return true;
            }
        }
        return false;
    }

    /** One bounded history read for each unsynced watch whose buffer has room; returns how many reads it did. */
    private int catchUp() {
        List<Watcher> todo;
        lock.lock();
        try {
            if (unsynced.isEmpty()) {
                return 0;
            }
            todo = new ArrayList<>();
            for (Watcher w : unsynced) {
                if (w.pendingEvents < config.catchUpBatchEvents()) {
                    todo.add(w);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Watcher w : todo) {
            catchUpStep(w);
        }
        return todo.size();
    }

    private void catchUpStep(Watcher w) {
        long from;
        lock.lock();
        try {
            if (w.cancelled || w.synced) {
                return;
            }
            from = w.nextRevision;
        } finally {
            lock.unlock();
        }
        long readTo = keyspace.currentRevision();
        List<Event> events;
        try {
            events = keyspace.history(from, w.key, w.rangeEnd, w.prevKv, config.catchUpBatchEvents());
        } catch (RevisionException compacted) {
            long compactedRevision = keyspace.compactedRevision();
            lock.lock();
            try {
                if (!w.cancelled && w.nextRevision == from) {
                    cancelLocked(w, Kind.CANCELLED_COMPACTED, compactedRevision, "revision " + from
                            + " is compacted (the compacted revision is " + compactedRevision + "); read again and "
                            + "watch from the compacted revision");
                }
            } finally {
                lock.unlock();
            }
            return;
        }
        boolean exhaustive = events.size() < config.catchUpBatchEvents();
        long next = exhaustive ? readTo + 1 : from;
        int kept = 0;
        for (Event e : events) {
            if (e.revision() > readTo) {
                next = readTo + 1; // Read past the mark: every event up to it is in hand.
                break;
            }
            kept++;
            next = Math.max(next, e.revision() + 1);
        }
        if (!exhaustive && kept == events.size() && kept > 0) {
            next = events.get(kept - 1).revision() + 1; // The read stopped at a whole revision.
        }
        next = Math.max(next, from);
        lock.lock();
        try {
            if (w.cancelled || w.synced || w.nextRevision != from) {
                return;
            }
            for (int i = 0; i < kept; i++) {
                Event e = events.get(i);
                if (w.accepts(e)) {
                    w.pending.add(e);
                    w.pendingEvents++;
                }
            }
            w.nextRevision = next;
            if (next > publishedRevision) {
                unsynced.remove(w);
                w.synced = true;
                synced.add(w);
            }
            if (!w.pending.isEmpty()) {
                markReady(w);
            }
        } finally {
            lock.unlock();
        }
    }

    private int periodicProgress(long now) {
        long interval = progressNanos();
        int queued = 0;
        lock.lock();
        try {
            for (Watcher w : watchers.values()) {
                if (w.progressNotify && w.synced && !w.cancelled && !w.inFlight && w.pending.isEmpty()
                        && now - w.lastSentNanos >= interval) {
                    w.pending.add(nextUnbuffered(w) - 1);
                    markReady(w);
                    queued++;
                }
            }
        } finally {
            lock.unlock();
        }
        return queued;
    }
}
