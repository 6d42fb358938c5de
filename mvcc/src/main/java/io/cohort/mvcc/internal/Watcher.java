package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.WatchListener;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** One watch's state; every field is guarded by the {@link WatchableStore}'s lock. */
final class Watcher {
    final long id;
    final Bytes key;
    final Bytes rangeEnd;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;
    final boolean progressNotify;
    final Executor executor;
    final WatchListener listener;

    /** The lowest revision still to be buffered: events below it were buffered or delivered already. */
    long nextRevision;
    /** In the synced group: gets live events as they are published. Else it catches up from history. */
    boolean synced;
    /** Events ({@link Event}), progress marks ({@link Long}) and the final cancellation ({@link WatchResponse}). */
    final ArrayDeque<Object> pending = new ArrayDeque<>();
    int pendingEvents;
    /** A message is with the listener's executor; the next waits for it. */
    boolean inFlight;
    /** In the dispatcher's ready queue. */
    boolean queued;
    /** A cancellation is queued: nothing more is buffered. */
    boolean cancelled;
    /** When the last message was handed over, for periodic progress. */
    long lastSentNanos;

    Watcher(long id, WatchRequest r, Executor executor, WatchListener listener) {
        this.id = id;
        this.key = r.key();
        this.rangeEnd = r.rangeEnd();
        this.prevKv = r.prevKv();
        this.noPut = r.noPut();
        this.noDelete = r.noDelete();
        this.progressNotify = r.progressNotify();
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

    /** The revision of the oldest buffered event, or {@code fallback} if none is buffered. */
    long firstPendingRevision(long fallback) {
        for (Object o : pending) {
            if (o instanceof Event e) {
                return e.revision();
            }
        }
        return fallback;
    }
}
