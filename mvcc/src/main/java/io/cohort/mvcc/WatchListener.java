package io.cohort.mvcc;

import java.util.List;

/**
 * Receives the messages of one watch, one at a time and in order, on the executor given at creation. The next
 * message is handed over only after this call returns; a listener that takes long slows only its own watch (and is
 * cancelled with {@link WatchResponse.Kind#CANCELLED_SLOW_CONSUMER} once its buffer bound is reached). Watches that
 * share an executor are delivered in batches, so a listener that blocks can delay the others of its batch by a few
 * milliseconds, until the hub hands the rest of the batch to the executor again.
 */
@FunctionalInterface
public interface WatchListener {
    /** One message; a cancellation is the last. */
    void onResponse(WatchResponse response);

    /**
     * An {@link WatchResponse.Kind#EVENTS} message without its wrapper: the hub calls this for events, so a listener
     * that overrides it costs no allocation per message. The default wraps the events and calls {@link #onResponse}.
     *
     * @param watchId the watch
     * @param events one or more whole revisions, in order (an immutable list, possibly shared with other watches)
     * @param revision the store revision when the batch was sent
     */
    default void onEvents(long watchId, List<Event> events, long revision) {
        onResponse(new WatchResponse(watchId, WatchResponse.Kind.EVENTS, revision, events, ""));
    }
}
