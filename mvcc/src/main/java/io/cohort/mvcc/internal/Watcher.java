package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.WatchListener;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One watch's state. Every mutable field is guarded by the {@link WatchableStore}'s lock, except that a
 * {@link DeliveryBatch} reads the in-flight message ({@link #inFlightEvents} and {@link #inFlightRevision}, or
 * {@link #inFlightMessage}) while the dispatcher leaves it alone (from the hand-off to the executor until the
 * delivery is reported back through {@link #delivered}).
 */
final class Watcher {
    /** A buffer that grew past this many entries is dropped once empty, so one burst does not pin memory forever. */
    private static final int SHRINK_ABOVE_ENTRIES = 64;

    final long id;
    final Bytes key;
    final Bytes rangeEnd;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;
    final boolean progressNotify;
    /** Index of this watch's filter combination: watches of one range with one variant get the same event lists. */
    final int variant;
    /** {@link #variant} bits: the watch takes prev kv, drops puts, drops deletes. */
    static final int VARIANT_PREV_KV = 4;
    static final int VARIANT_NO_PUT = 2;
    static final int VARIANT_NO_DELETE = 1;
    /** How many variants there are (every combination of the bits). */
    static final int VARIANTS = 8;
    final Executor executor;
    final WatchListener listener;

    /** The lowest revision still to be buffered: events below it were buffered or delivered already. */
    long nextRevision;
    /** In the synced group: gets live events as they are published. Else it catches up from history. */
    boolean synced;
    /**
     * Immutable lists of events (whole revisions, in order, often shared with other watches), progress marks
     * ({@link Long}) and the final cancellation ({@link WatchResponse}).
     */
    private ArrayDeque<Object> pending = new ArrayDeque<>();
    private int pendingEntriesHighWater;
    /** Events in {@link #pending}. */
    int pendingEvents;
    /** A message is with the listener's executor; the next waits for it. */
    boolean inFlight;
    /** The events with the executor while {@link #inFlight}, else null: events need no {@link WatchResponse}. */
    List<Event> inFlightEvents;
    /** The revision of the events message in flight. */
    long inFlightRevision;
    /** The progress mark or cancellation with the executor while {@link #inFlight}, else null. */
    WatchResponse inFlightMessage;
    /**
     * Set (release, through {@link #DELIVERED}) by the runner whose listener call for the in-flight message returned;
     * the dispatcher reads it (acquire) and resets it when it notes the delivery.
     */
    boolean delivered;
    /** In the dispatcher's ready queue. */
    boolean queued;
    /** A cancellation is queued: nothing more is buffered. */
    boolean cancelled;
    /** When the last message was handed over, for periodic progress. */
    long lastSentNanos;

    static final VarHandle DELIVERED;

    static {
        try {
            DELIVERED = MethodHandles.lookup().findVarHandle(Watcher.class, "delivered", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Watcher(long id, WatchRequest r, Executor executor, WatchListener listener) {
        this.id = id;
        this.key = r.key();
        this.rangeEnd = r.rangeEnd();
        this.prevKv = r.prevKv();
        this.noPut = r.noPut();
        this.noDelete = r.noDelete();
        this.progressNotify = r.progressNotify();
        this.variant = (prevKv ? VARIANT_PREV_KV : 0) | (noPut ? VARIANT_NO_PUT : 0)
                | (noDelete ? VARIANT_NO_DELETE : 0);
        this.executor = executor;
        this.listener = listener;
    }

    boolean isSingleKey() {
        return rangeEnd.isEmpty();
    }

    /** True if the filters let {@code e} through. */
    boolean accepts(Event e) {
        return e.type() == Event.Type.PUT ? !noPut : !noDelete;
    }

    /** Buffers {@code events}: an immutable list of whole revisions above everything buffered so far. */
    void bufferEvents(List<Event> events) {
        assert !events.isEmpty() && events.get(0).revision() >= nextRevisionFloor() : "events go forward";
        addPending(events);
        pendingEvents += events.size();
    }

    /** Buffers a progress mark or the final cancellation. */
    void bufferMark(Object mark) {
        assert mark instanceof Long || mark instanceof WatchResponse : mark;
        addPending(mark);
    }

    private void addPending(Object o) {
        pending.add(o);
        if (pending.size() > pendingEntriesHighWater) {
            pendingEntriesHighWater = pending.size();
        }
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    Object peekPending() {
        return pending.peek();
    }

    Object pollPending() {
        Object o = pending.poll();
        if (o instanceof List<?> events) {
            pendingEvents -= events.size();
        }
        if (pending.isEmpty() && pendingEntriesHighWater > SHRINK_ABOVE_ENTRIES) {
            pending = new ArrayDeque<>();
            pendingEntriesHighWater = 0;
        }
        return o;
    }

    /** True if the buffer starts with {@code entries[from..]}, the same objects in the same order. */
    boolean pendingStartsWith(Object[] entries, int from) {
        if (pending.size() < entries.length - from) {
            return false;
        }
        java.util.Iterator<Object> it = pending.iterator();
        for (int i = from; i < entries.length; i++) {
            if (it.next() != entries[i]) {
                return false;
            }
        }
        return true;
    }

    void clearPending() {
        pending.clear();
        pendingEvents = 0;
    }

    /** The revision of the oldest buffered event, or {@code fallback} if none is buffered. */
    long firstPendingRevision(long fallback) {
        for (Object o : pending) {
            if (o instanceof List<?> events) {
                return ((Event) events.get(0)).revision();
            }
        }
        return fallback;
    }

    private long nextRevisionFloor() {
        for (java.util.Iterator<Object> it = pending.descendingIterator(); it.hasNext(); ) {
            if (it.next() instanceof List<?> events) {
                return ((Event) events.get(events.size() - 1)).revision() + 1;
            }
        }
        return Long.MIN_VALUE;
    }
}
