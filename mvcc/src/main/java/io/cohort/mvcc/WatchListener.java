package io.cohort.mvcc;

/**
 * Receives the messages of one watch, one at a time and in order, on the executor given at creation. The next
 * message is handed over only after this call returns; a listener that takes long slows only its own watch (and is
 * cancelled with {@link WatchResponse.Kind#CANCELLED_SLOW_CONSUMER} once its buffer bound is reached).
 */
@FunctionalInterface
public interface WatchListener {
    /** One message; a cancellation is the last. */
    void onResponse(WatchResponse response);
}
