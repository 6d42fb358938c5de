package io.cohort.mvcc.internal;

import io.cohort.mvcc.Event;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The next message of up to {@link #MAX_WATCHERS} watches that share an executor, handed to it as one task: with
 * 10,000 watches on one pool a revision costs some 160 tasks, not 10,000. Each watch has at most one message in
 * flight, so its messages stay in order.
 *
 * <p>Runners claim the watches one at a time, so a listener that blocks holds up only the watches not yet claimed
 * in its batch, and only until the dispatcher sees the batch make no progress and hands the same batch to the
 * executor once more: the extra runner claims the rest.
 *
 * <p>A runner reports each delivery on the watch itself (a release store to {@link Watcher#delivered}, then one count
 * in the batch), not through a queue shared by all listener threads: the dispatcher looks at a batch again when its
 * count moved, and frees the delivered watches it finds there. So a delivery costs a listener thread no contended
 * atomic, and a batch no more than its array of watches.
 */
final class DeliveryBatch implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryBatch.class);
    /** Watches per task: small enough that a pool's threads share a revision's deliveries. */
    static final int MAX_WATCHERS = 64;

    /** Set by the dispatcher before each hand-off ({@link #start}). */
    Executor executor;
    private final WatchableStore store;
    private final Watcher[] watchers = new Watcher[MAX_WATCHERS];
    /** Written by the dispatcher before the hand-off only. */
    private int size;
    private final AtomicInteger nextToClaim = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    // The dispatcher's bookkeeping: deliveries it noted (their slots are cleared).
    private int notedCount;
    private int doneAtLastLook;
    // The dispatcher's progress tracking.
    private int claimedAtLastCheck;
    private long lastProgressNanos;
    private int extraRunners;
    /** Runs handed to the executor (dispatcher only) and runs returned: the batch is reusable once they are equal. */
    private int handOvers;
    private final AtomicInteger returned = new AtomicInteger();

    DeliveryBatch(WatchableStore store) {
        this.store = store;
    }

    /**
     * Dispatcher: makes this (new or cleared) batch the next one for {@code executor}. A batch is reused only after
     * every run handed over has returned, and the next hand-off publishes these writes to its runner.
     */
    void start(Executor executor) {
        assert size == 0 && handOvers == 0 && returned.get() == 0 : "a batch is cleared before it is reused";
        this.executor = executor;
    }

    /** Dispatcher: the executor accepted a run of this batch. */
    void handedOver() {
        handOvers++;
    }

    /** Dispatcher: true once every run handed to the executor returned (none can touch the batch any more). */
    boolean runnersReturned() {
        return returned.get() == handOvers;
    }

    /** Dispatcher: empties a batch no runner holds, for reuse. */
    void clear() {
        assert returned.get() == handOvers : "no runner holds a cleared batch";
        java.util.Arrays.fill(watchers, 0, size, null);
        size = 0;
        nextToClaim.set(0);
        done.set(0);
        notedCount = 0;
        doneAtLastLook = 0;
        claimedAtLastCheck = 0;
        lastProgressNanos = 0;
        extraRunners = 0;
        handOvers = 0;
        returned.set(0);
        executor = null;
    }

    boolean isFull() {
        return size == MAX_WATCHERS;
    }

    int size() {
        return size;
    }

    Watcher watcher(int i) {
        return watchers[i];
    }

    void add(Watcher w) {
        assert size < MAX_WATCHERS && w.inFlight && (w.inFlightEvents == null) != (w.inFlightMessage == null)
                && !w.delivered : "one in-flight message per slot, not yet delivered";
        watchers[size++] = w;
    }

    /** Dispatcher: true if deliveries were counted since the last {@link #takeDelivered}. */
    boolean hasNewDeliveries() {
        return done.get() != doneAtLastLook;
    }

    /**
     * Dispatcher: appends the watches delivered since the last call to {@code out}; returns how many. Reading the
     * count first makes every delivery it counts visible (each runner marks its watch before counting it); a
     * noted watch's slot is cleared (its runner is done with it) and its mark reset for its next message.
     */
    int takeDelivered(java.util.List<Watcher> out) {
        int d = done.get();
        if (d == doneAtLastLook) {
            return 0;
        }
        doneAtLastLook = d;
        int n = 0;
        for (int i = 0; i < size && notedCount < size; i++) {
            Watcher w = watchers[i];
            if (w != null && (boolean) Watcher.DELIVERED.getAcquire(w)) {
                w.delivered = false;
                watchers[i] = null;
                notedCount++;
                out.add(w);
                n++;
            }
        }
        return n;
    }

    /** Dispatcher: true once every delivery of the batch was taken by {@link #takeDelivered}. */
    boolean allNoted() {
        return notedCount == size;
    }

    /**
     * The dispatcher's check, given the time: true if a runner started, some watches are unclaimed and none was
     * claimed for {@code stallNanos} (a listener is stuck), and fewer than {@link #MAX_WATCHERS} extra runners were asked for; it then counts one more.
     */
    boolean needsExtraRunner(long nowNanos, long stallNanos) {
        int claimed = Math.min(nextToClaim.get(), size);
        if (claimed != claimedAtLastCheck || lastProgressNanos == 0) {
            claimedAtLastCheck = claimed;
            lastProgressNanos = nowNanos;
            return false;
        }
        // Not started (claimed == 0): the executor is busy elsewhere and an extra runner would only queue behind.
        if (claimed == 0 || claimed >= size || nowNanos - lastProgressNanos < stallNanos
                || extraRunners >= MAX_WATCHERS) {
            return false;
        }
        extraRunners++;
        lastProgressNanos = nowNanos;
        return true;
    }

    @Override
    public void run() {
        int delivered = 0;
        for (int i; (i = nextToClaim.getAndIncrement()) < size; ) {
            Watcher w = watchers[i];
            List<Event> events = w.inFlightEvents;
            try {
                if (events != null) {
                    w.listener.onEvents(w.id, events, w.inFlightRevision);
                } else {
                    w.listener.onResponse(w.inFlightMessage);
                }
            } catch (Throwable t) {
                LOG.warn("watch {}: the listener threw; the watch continues", w.id, t);
            } finally {
                Watcher.DELIVERED.setRelease(w, true); // The watch is the dispatcher's again from here on.
                done.incrementAndGet();
                delivered++;
            }
        }
        returned.incrementAndGet(); // Last: from here on the dispatcher may reuse the batch.
        if (delivered > 0) {
            store.wakeDispatcher();
        }
    }
}
