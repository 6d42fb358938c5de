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
 * <p>Fan-out cost is per group of watches, not per watch, where it can be: watches of one range and one filter
 * combination are sent the same immutable event lists (built once per published batch), and the dispatcher hands
 * the messages of up to {@link DeliveryBatch#MAX_WATCHERS} watches that share an executor to it as one task. The
 * apply thread only matches events to groups and queues the lists; the per-watch work (buffering each list for each
 * watch) is the dispatcher's, which joins a group's lists queued meanwhile into one before it buffers them, so a
 * watch that is behind costs one buffered list per dispatcher round, not one per published batch.
 *
 * <p>One lock guards all watch state; the apply thread holds it only to match and queue published events (or, with
 * the queue full, to fan them out), the dispatcher to fan out, take messages and note deliveries; listener threads never take it (they report deliveries in their batch).
 *
 * <p>Driven mode (for deterministic simulation): no dispatcher thread; the owner calls {@link #doWork()} and supplies
 * the clock, so with an inline executor every message is delivered on the owner's thread at a time it chooses.
 */
public final class WatchableStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WatchableStore.class);
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How often the dispatcher looks at batches still with executors. */
    private static final long IN_FLIGHT_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** A batch none of whose listeners returned for this long gets an extra runner for its unclaimed watches. */
    private static final long BATCH_STALL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /**
     * Bound on remembered backlog joins. Each pins up to maxBatchEvents events, so this stays small (a thousand
     * joins could keep a million events alive per member after a burst).
     */
    private static final int MAX_JOINS = 64;
    /** Bound on published event lists waiting for the dispatcher's fan-out. */
    private static final int MAX_QUEUED_PUBLICATIONS = 1024;
    /** Fan-outs a dispatcher round does one lock hold each before it takes the lock for the rest of the round. */
    private static final int MAX_FAN_OUTS_UNLOCKED = 16;
    /** Bound on delivery batches kept for reuse (a round with 20,000 watches on one executor uses ~313). */
    private static final int MAX_FREE_BATCHES = 1024;

    private final Keyspace keyspace;
    private final WatchHubConfig config;
    private final ReentrantLock lock = new ReentrantLock();
    private final Thread dispatcher; // null in driven mode
    private final LongSupplier nanoClock;
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
    private final ArrayList<WatcherGroup.SameRange> touchedScratch = new ArrayList<>();
    private final IdentityHashMap<Event, Event> prevKvCache = new IdentityHashMap<>();
    /**
     * Published event lists not yet buffered for their watches, in order: the apply thread queues them, the
     * dispatcher fans them out (joining a group's consecutive lists into one while they fit in a message). At most
     * {@link #MAX_QUEUED_PUBLICATIONS}: past that the apply thread fans out itself. Every operation that depends on
     * what a watch has buffered (cancel, progress, restore, close) fans out the queue first.
     */
    private final ArrayDeque<Publication> toFanOut = new ArrayDeque<>();

    // Dispatcher thread only.
    /** Scratch: the watches a batch reports delivered. */
    private final ArrayList<Watcher> deliveredScratch = new ArrayList<>(DeliveryBatch.MAX_WATCHERS);
    private final ArrayList<DeliveryBatch> inFlightBatches = new ArrayList<>();
    /** Batches whose runners all returned, for reuse: at most {@link #MAX_FREE_BATCHES}. */
    private final ArrayDeque<DeliveryBatch> freeBatches = new ArrayDeque<>();
    private final IdentityHashMap<java.util.concurrent.Executor, DeliveryBatch> openBatches = new IdentityHashMap<>();
    private final ArrayList<DeliveryBatch> toHandOver = new ArrayList<>();
    /** Recent backlog joins, by their first list, for the other watches that hold the same lists. */
    private final IdentityHashMap<Object, Join> joins = new IdentityHashMap<>();
    private long nextProgressNanos;

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
            fanOutQueued();
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
            fanOutQueued(); // The mark goes behind every event up to it.
            w.bufferMark(nextUnbuffered(w) - 1);
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
        boolean dispatcherHasWork;
        lock.lock();
        try {
            assert revision >= publishedRevision : "revisions never go back: " + revision + " < " + publishedRevision;
            if (synced.size() > 0) {
                try {
                    for (int i = 0, n = results.size(); i < n; i++) {
                        List<Event> events = results.get(i).events();
                        for (int j = 0, m = events.size(); j < m; j++) {
                            synced.match(events.get(j), touchedScratch);
                        }
                    }
                    for (int i = 0, n = touchedScratch.size(); i < n; i++) {
                        queuePublications(touchedScratch.get(i));
                    }
                } finally {
                    // The scratch lists never carry events over to the next batch, even after a failed read.
                    for (int i = 0, n = touchedScratch.size(); i < n; i++) {
                        touchedScratch.get(i).matched.clear();
                    }
                    touchedScratch.clear();
                    prevKvCache.clear();
                }
            }
            publishedRevision = revision;
            if (toFanOut.size() > MAX_QUEUED_PUBLICATIONS) {
                fanOutQueued(); // The dispatcher is behind: the queue stays bounded, the apply thread pays.
            }
            // Only a fan-out or a catch-up (which reads up to the new revision) is new work; a wake-up for nothing
            // costs the apply thread a futex call and a context switch on every batch.
            dispatcherHasWork = !toFanOut.isEmpty() || unsynced.size() > 0;
        } finally {
            lock.unlock();
        }
        if (dispatcherHasWork) {
            wakeDispatcher();
        }
    }

    /**
     * One group's published events in whole revisions, as the immutable list each filter combination of the group
     * gets ({@code byVariant[variant]}, null for combinations no watch of the group had at publication), and the
     * published revision before its batch (every event of the batch is above it).
     */
    private record Publication(WatcherGroup.SameRange group, List<Event>[] byVariant, long firstRevision,
                               long lastRevision, int events, long publishedBefore) {
    }

    /** Queues {@code g.matched} for the dispatcher's fan-out, as lists of whole revisions per filter combination. */
    private void queuePublications(WatcherGroup.SameRange g) {
        List<Event> matched = g.matched;
        int from = 0;
        while (from < matched.size()) {
            int to = chunkEnd(matched, from, matched.size());
            @SuppressWarnings("unchecked")
            List<Event>[] byVariant = new List[g.variantCounts.length];
            for (int v = 0; v < byVariant.length; v++) {
                if (g.variantCounts[v] > 0) {
                    byVariant[v] = filtered(v, matched, from, to); // Prev kv now: the keyspace moves on.
                }
            }
            toFanOut.add(new Publication(g, byVariant, matched.get(from).revision(), matched.get(to - 1).revision(),
                    to - from, publishedRevision));
            from = to;
        }
    }

    /**
     * Locked: the revision up to which every watch has buffered every published event it takes (a message's header
     * revision must not claim events still queued for the fan-out).
     */
    private long fannedOutRevision() {
        Publication next = toFanOut.peek();
        return next == null ? publishedRevision : next.publishedBefore; // The queue is in publication order.
    }

    /** Locked: fans out everything queued, so every watch has buffered every published event it takes. */
    private void fanOutQueued() {
        while (fanOutNext()) {
            // one publication (or a join of a group's consecutive ones) at a time
        }
    }

    /**
     * Locked: fans out the next queued publication, joined with the same group's publications right behind it while
     * the join fits in one message. False if none was queued.
     */
    private boolean fanOutNext() {
        Publication p = toFanOut.poll();
        if (p == null) {
            return false;
        }
        Publication next = toFanOut.peek();
        if (next != null && joinable(p, next, p.events)) {
            ArrayList<Publication> joined = new ArrayList<>();
            joined.add(p);
            int events = p.events;
            while ((next = toFanOut.peek()) != null && joinable(p, next, events)) {
                joined.add(toFanOut.poll());
                events += next.events;
            }
            p = join(joined, events);
        }
        fanOut(p);
        return true;
    }

    /**
     * True if {@code next} can join a join of {@code events} events that starts with {@code first}: the same group,
     * lists built for the same filter combinations (a watch that joined the group in between must still get the
     * later lists), and the join still fits in one message.
     */
    private boolean joinable(Publication first, Publication next, int events) {
        if (next.group != first.group || events + next.events > config.maxBatchEvents()) {
            return false;
        }
        for (int v = 0; v < first.byVariant.length; v++) {
            if ((first.byVariant[v] == null) != (next.byVariant[v] == null)) {
                return false;
            }
        }
        return true;
    }

    /** One publication with the events of {@code parts} (one group's, consecutive), per filter combination. */
    private static Publication join(List<Publication> parts, int events) {
        Publication first = parts.get(0);
        @SuppressWarnings("unchecked")
        List<Event>[] byVariant = new List[first.byVariant.length];
        for (int v = 0; v < byVariant.length; v++) {
            if (first.byVariant[v] == null) {
                continue; // Null in every part (joinable): no watch of this combination was in the group.
            }
            Event[] all = new Event[events];
            int n = 0;
            for (int i = 0; i < parts.size(); i++) {
                List<Event> part = parts.get(i).byVariant[v];
                for (int k = 0, m = part.size(); k < m; k++) {
                    all[n++] = part.get(k);
                }
            }
            byVariant[v] = readOnly(all, n);
        }
        return new Publication(first.group, byVariant, first.firstRevision,
                parts.get(parts.size() - 1).lastRevision, events, first.publishedBefore);
    }

    /** Locked: buffers {@code p}'s events for each watch of its group that takes them (one shared list each). */
    private void fanOut(Publication p) {
        WatcherGroup.SameRange g = p.group;
        // Backwards, so that a watch cancelled (and removed from the group) does not shift those still to come.
        for (int i = g.watchers.size() - 1; i >= 0; i--) {
            Watcher w = g.watchers.get(i);
            if (w.cancelled || p.lastRevision < w.nextRevision) {
                continue; // Cancelled, or joined the group after these revisions (they came from history).
            }
            List<Event> events = p.byVariant[w.variant];
            assert events != null : "watch " + w.id + " was in the group at publication, so its lists were built";
            if (events == null) {
                continue;
            }
            if (p.firstRevision < w.nextRevision) {
                events = from(events, w.nextRevision); // A watch that starts inside this batch: rare.
            }
            if (events.isEmpty()) {
                continue;
            }
            w.bufferEvents(events);
            if (w.pendingEvents > config.maxPendingEventsPerWatcher()) {
                long resume = w.firstPendingRevision(p.firstRevision);
                cancelLocked(w, Kind.CANCELLED_SLOW_CONSUMER, resume, "the watcher fell behind: more than "
                        + config.maxPendingEventsPerWatcher() + " events (maxPendingEventsPerWatcher) were waiting"
                        + " for its listener; watch again from revision " + resume);
            } else {
                markReady(w);
            }
        }
    }

    /** The events of {@code events} (in revision order) at or above {@code revision}. */
    private static List<Event> from(List<Event> events, long revision) {
        int i = 0;
        while (i < events.size() && events.get(i).revision() < revision) {
            i++;
        }
        return List.copyOf(events.subList(i, events.size()));
    }

    /**
     * The end (exclusive) of the list of whole revisions that starts at {@code from}: at most maxBatchEvents events
     * unless one revision alone has more.
     */
    private int chunkEnd(List<Event> events, int from, int n) {
        int to = from + 1;
        while (to < n && events.get(to).revision() == events.get(to - 1).revision()) {
            to++;
        }
        while (to < n) {
            int next = to + 1;
            while (next < n && events.get(next).revision() == events.get(to).revision()) {
                next++;
            }
            if (next - from > config.maxBatchEvents()) {
                break;
            }
            to = next;
        }
        return to;
    }

    /** The events of {@code events[from, to)} that watches of filter combination {@code variant} take. */
    private List<Event> filtered(int variant, List<Event> events, int from, int to) {
        boolean addPrevKv = (variant & Watcher.VARIANT_PREV_KV) != 0;
        boolean noPut = (variant & Watcher.VARIANT_NO_PUT) != 0;
        boolean noDelete = (variant & Watcher.VARIANT_NO_DELETE) != 0;
        Event[] out = new Event[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            Event e = events.get(i);
            if (e.type() == Event.Type.PUT ? noPut : noDelete) {
                continue;
            }
            if (addPrevKv) {
                Event withPrev = prevKvCache.get(e);
                if (withPrev == null) {
                    withPrev = keyspace.withWatchPrevKv(e);
                    prevKvCache.put(e, withPrev);
                }
                e = withPrev;
            }
            out[n++] = e;
        }
        return readOnly(out, n);
    }

    /** The events of {@code events[from, to)} that {@code w} takes (a history read: prev kv is in place already). */
    private static List<Event> filtered(Watcher w, List<Event> events, int from, int to) {
        Event[] out = new Event[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            Event e = events.get(i);
            if (e.revision() >= w.nextRevision && w.accepts(e)) {
                out[n++] = e;
            }
        }
        return readOnly(out, n);
    }

    /**
     * The first {@code n} events of {@code events} as a read-only list over that array (copied only if {@code n} is
     * short of it): the caller hands the array over, so an event list costs one array, not a second copy.
     */
    private static List<Event> readOnly(Event[] events, int n) {
        return java.util.Collections.unmodifiableList(
                java.util.Arrays.asList(n == events.length ? events : java.util.Arrays.copyOf(events, n)));
    }

    /**
     * Tells the store the keyspace was replaced by a snapshot: every watch catches up from the installed history
     * from where it was (or is cancelled as compacted if that history no longer reaches back far enough).
     */
    public void restored() {
        lock.lock();
        try {
            fanOutQueued();
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
            fanOutQueued();
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
                // each round hands over or notes at least one message
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
        w.clearPending();
        w.bufferMark(new WatchResponse(w.id, kind, resumeRevision, List.of(), reason));
        markReady(w);
        LOG.debug("watch {} cancelled ({}): {}", w.id, kind, reason);
    }

    private void markReady(Watcher w) {
        if (!w.queued && !w.inFlight) {
            w.queued = true;
            ready.add(w);
        }
    }

    /** Wakes the dispatcher if it is parked. Any thread. */
    void wakeDispatcher() {
        if (dispatcherIdle && dispatcher != null) {
            LockSupport.unpark(dispatcher);
        }
    }

    // ------------------------------------------------------------------ listener threads

    // ------------------------------------------------------------------ dispatcher thread

    private void dispatchLoop() {
        while (running) {
            try {
                if (doWork() == 0) {
                    joins.clear(); // Nothing is behind: keep no events alive for joins.
                    dispatcherIdle = true;
                    boolean idle;
                    lock.lock();
                    try {
                        idle = ready.isEmpty() && toFanOut.isEmpty() && !newDeliveries() && !catchUpPossible();
                    } finally {
                        lock.unlock();
                    }
                    if (idle && running) {
                        // Batches with executors are looked at often, to help a stalled one along.
                        LockSupport.parkNanos(inFlightBatches.isEmpty() ? IDLE_PARK_NANOS : IN_FLIGHT_PARK_NANOS);
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
     * One round of the dispatcher: notes deliveries, hands ready messages to executors, helps stalled batches, takes
     * one catch-up step per lagging watch, sends due progress notifications. Returns how much it did (0: idle). The
     * dispatcher thread calls it in a loop; in driven mode the owner calls it (one thread at a time).
     */
    public int doWork() {
        int work = 0;
        // One publication per lock hold, so the apply thread's next publish waits for one fan-out at most (a bounded
        // number of them: the rest are fanned out below, under the lock, before messages are taken).
        for (int round = 0, more = 1; more > 0 && round < MAX_FAN_OUTS_UNLOCKED; round++) {
            lock.lock();
            try {
                more = fanOutNext() ? 1 : 0;
            } finally {
                lock.unlock();
            }
            work += more;
        }
        lock.lock();
        try {
            work += noteDeliveries();
            // Publications queued meanwhile wait for the next round: this lock hold stays short for the apply thread.
            work += takeMessages();
        } finally {
            lock.unlock();
        }
        long now = nanoClock.getAsLong();
        for (int i = 0, n = toHandOver.size(); i < n; i++) {
            handOver(toHandOver.get(i));
        }
        toHandOver.clear();
        work += helpStalledBatches(now);
        work += catchUp();
        if (config.progressIntervalMs() > 0 && now - nextProgressNanos >= 0) {
            work += periodicProgress(now);
            nextProgressNanos = now + progressNanos();
        }
        return work;
    }

    private long progressNanos() {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, config.progressIntervalMs()));
    }

    /** Dispatcher: true if a batch with an executor reported deliveries not yet noted. */
    private boolean newDeliveries() {
        for (int i = 0, n = inFlightBatches.size(); i < n; i++) {
            if (inFlightBatches.get(i).hasNewDeliveries()) {
                return true;
            }
        }
        return false;
    }

    /** Locked: frees the watches whose message was delivered; a delivered cancellation ends the watch. */
    private int noteDeliveries() {
        int n = 0;
        for (int b = 0, batches = inFlightBatches.size(); b < batches; b++) {
            inFlightBatches.get(b).takeDelivered(deliveredScratch);
        }
        for (int i = 0, m = deliveredScratch.size(); i < m; i++) {
            Watcher w = deliveredScratch.get(i);
            n++;
            assert w.inFlight : "watch " + w.id + " had nothing in flight";
            boolean ended = w.inFlightMessage != null && w.inFlightMessage.cancelled();
            w.inFlight = false;
            w.inFlightEvents = null;
            w.inFlightMessage = null;
            if (ended) {
                watchers.remove(w.id);
            } else if (w.hasPending()) {
                markReady(w);
            }
        }
        deliveredScratch.clear();
        return n;
    }

    /** Locked: takes the next message of each ready watch into per-executor batches, ready to hand over. */
    private int takeMessages() {
        int n = 0;
        long now = nanoClock.getAsLong();
        Watcher w;
        while ((w = ready.poll()) != null) {
            w.queued = false;
            if (w.inFlight || !w.hasPending()) {
                continue;
            }
            takeNextMessage(w);
            w.inFlight = true;
            w.lastSentNanos = now;
            DeliveryBatch batch = openBatches.get(w.executor);
            if (batch == null) {
                batch = freeBatches.isEmpty() ? new DeliveryBatch(this) : freeBatches.poll();
                batch.start(w.executor);
                openBatches.put(w.executor, batch);
            }
            batch.add(w);
            if (batch.isFull()) {
                toHandOver.add(batch);
                openBatches.remove(w.executor);
            }
            n++;
        }
        toHandOver.addAll(openBatches.values());
        openBatches.clear();
        if (joins.size() > MAX_JOINS) {
            joins.clear();
        }
        return n;
    }

    private void handOver(DeliveryBatch batch) {
        try {
            batch.executor.execute(batch);
            batch.handedOver();
            inFlightBatches.add(batch);
        } catch (RejectedExecutionException e) {
            lock.lock();
            try {
                for (int i = 0; i < batch.size(); i++) {
                    refused(batch.watcher(i), e);
                }
                recycle(batch); // No runner has it.
            } finally {
                lock.unlock();
            }
        }
    }

    /** Locked: the executor refused {@code w}'s message, so the watch ends without a cancellation message. */
    private void refused(Watcher w, RejectedExecutionException e) {
        fanOutQueued();
        long resume = w.inFlightEvents != null ? w.inFlightEvents.get(0).revision()
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
        w.inFlightEvents = null;
        w.inFlightMessage = null;
        w.clearPending();
        watchers.remove(w.id);
    }

    /**
     * Forgets batches whose deliveries were all noted (reusing those whose runners all returned); gives one whose
     * listeners stopped returning an extra runner.
     */
    private int helpStalledBatches(long now) {
        int helped = 0;
        for (int i = inFlightBatches.size() - 1; i >= 0; i--) {
            DeliveryBatch b = inFlightBatches.get(i);
            if (b.allNoted()) {
                int last = inFlightBatches.size() - 1;
                inFlightBatches.set(i, inFlightBatches.get(last));
                inFlightBatches.remove(last);
                if (b.runnersReturned()) {
                    recycle(b);
                } // Else an extra runner is still queued: it finds nothing to claim, and the batch is not reused.
            } else if (b.needsExtraRunner(now, BATCH_STALL_NANOS)) {
                try {
                    b.executor.execute(b);
                    b.handedOver();
                    helped++;
                } catch (RejectedExecutionException e) {
                    LOG.debug("an executor refused an extra runner for a stalled watch batch", e);
                }
            }
        }
        return helped;
    }

    /** Keeps {@code b} for a later round (bounded), so that a round of deliveries allocates no batches. */
    private void recycle(DeliveryBatch b) {
        if (freeBatches.size() < MAX_FREE_BATCHES) {
            b.clear();
            freeBatches.add(b);
        }
    }

    /** Event lists ({@code chunks}, in order) joined into one message's {@code events}. */
    private record Join(Object[] chunks, List<Event> events) {
    }

    /**
     * Takes the next message off {@code w}'s buffer into its in-flight fields: whole revisions of events (no
     * wrapper), a progress mark or the end.
     */
    private void takeNextMessage(Watcher w) {
        Object head = w.peekPending();
        if (head instanceof WatchResponse end) {
            w.pollPending();
            w.inFlightMessage = end;
            return;
        }
        if (head instanceof Long progress) {
            w.pollPending();
            w.inFlightMessage = new WatchResponse(w.id, Kind.PROGRESS, progress, List.of(), "");
            return;
        }
        @SuppressWarnings("unchecked")
        List<Event> events = (List<Event>) w.pollPending();
        if (w.peekPending() instanceof List<?> more && events.size() + more.size() <= config.maxBatchEvents()) {
            // A backlog: join whole revisions up to the batch bound into one message. Watches of one range that are
            // equally behind hold the same lists, so one join serves them all.
            Join join = joins.get(events);
            if (join != null && w.pendingStartsWith(join.chunks, 1)) {
                for (int k = 1; k < join.chunks.length; k++) {
                    w.pollPending();
                }
                events = join.events;
            } else {
                ArrayList<Object> chunks = new ArrayList<>();
                chunks.add(events);
                int total = events.size();
                while (w.peekPending() instanceof List<?> next && total + next.size() <= config.maxBatchEvents()) {
                    chunks.add(w.pollPending());
                    total += next.size();
                }
                // One array of the exact size, wrapped read-only (no one else holds it): no growth, no second copy.
                Event[] joined = new Event[total];
                int n = 0;
                for (int c = 0; c < chunks.size(); c++) {
                    @SuppressWarnings("unchecked")
                    List<Event> chunk = (List<Event>) chunks.get(c);
                    for (int i = 0, m = chunk.size(); i < m; i++) {
                        joined[n++] = chunk.get(i);
                    }
                }
                Object first = events;
                events = readOnly(joined, n);
                joins.put(first, new Join(chunks.toArray(), events));
            }
        }
        w.inFlightEvents = events;
        w.inFlightRevision = Math.max(fannedOutRevision(), events.get(events.size() - 1).revision());
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
            for (int i = 0; i < kept; ) {
                int to = chunkEnd(events, i, kept);
                List<Event> chunk = filtered(w, events, i, to);
                if (!chunk.isEmpty()) {
                    w.bufferEvents(chunk);
                }
                i = to;
            }
            w.nextRevision = next;
            if (next > publishedRevision) {
                unsynced.remove(w);
                w.synced = true;
                synced.add(w);
            }
            if (w.hasPending()) {
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
            fanOutQueued();
            for (Watcher w : watchers.values()) {
                if (w.progressNotify && w.synced && !w.cancelled && !w.inFlight && !w.hasPending()
                        && now - w.lastSentNanos >= interval) {
                    w.bufferMark(nextUnbuffered(w) - 1);
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
