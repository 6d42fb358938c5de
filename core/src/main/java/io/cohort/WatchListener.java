package io.cohort;

import io.cohort.mvcc.Event;
import java.util.List;

/**
 * Receives one watch's messages in order, one call at a time, on the executor the watch was opened with (never on
 * the node's own threads). The next call waits for this one to return; a listener that stays behind by more than
 * the node's bound is cancelled with {@link WatchCancellation.Reason#SLOW_CONSUMER} and the revision to resume from.
 */
@FunctionalInterface
public interface WatchListener {
    /**
     * Events: one or more whole revisions (a revision's events always arrive together), in revision order, each
     * event once.
     *
     * @param events the events
     * @param revision the member's revision when they were sent
     */
    void onEvents(List<Event> events, long revision);

    /** A progress notification: every event up to {@code revision} has been delivered. */
    default void onProgress(long revision) {
    }

    /** The watch ended; no call follows. */
    default void onCancelled(WatchCancellation cancellation) {
    }
}
