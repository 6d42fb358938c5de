package io.cohort.mvcc;

import java.util.List;
import java.util.Objects;

/**
 * One message on a watch: a batch of events (one or more whole revisions, in order), a progress notification, or
 * the cancellation that ends the watch.
 *
 * @param watchId the watch
 * @param kind what this message is
 * @param revision for {@link Kind#EVENTS}: the store revision when the batch was sent (etcd's header revision); for
 *     {@link Kind#PROGRESS}: every event at or below it has been delivered; for a cancellation: the revision to
 *     resume from with a new watch (for {@link Kind#CANCELLED_COMPACTED}, the compacted revision: re-read, then watch
 *     from it)
 * @param events the events of an {@link Kind#EVENTS} message, else empty
 * @param reason why a watch was cancelled, in words; empty otherwise
 */
public record WatchResponse(long watchId, Kind kind, long revision, List<Event> events, String reason) {
    /** What a watch message is. */
    public enum Kind {
        /** Events. */
        EVENTS,
        /** A progress notification (bookmark). */
        PROGRESS,
        /** Cancelled: the start revision or the next revision to deliver is compacted. */
        CANCELLED_COMPACTED,
        /** Cancelled: the consumer fell too far behind (its buffer bound was reached). */
        CANCELLED_SLOW_CONSUMER,
        /** Cancelled on request. */
        CANCELLED_BY_REQUEST,
        /** Cancelled because the watch hub closed (the node stopped). */
        CANCELLED_CLOSED
    }

    /** Copies the events. */
    public WatchResponse {
        Objects.requireNonNull(kind, "kind");
        events = List.copyOf(events);
        Objects.requireNonNull(reason, "reason");
    }

    /** True for every kind of cancellation: no message follows. */
    public boolean cancelled() {
        return kind != Kind.EVENTS && kind != Kind.PROGRESS;
    }
}
