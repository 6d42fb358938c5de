package io.cohort;

/** An open watch. Closing it cancels it. */
public interface Watch extends AutoCloseable {
    /** The watch's ID on its member. */
    long id();

    /** The member's revision when the watch was created. */
    long createdRevision();

    /**
     * Asks for a progress notification, delivered after every event already buffered for this watch; false if the
     * watch has ended.
     */
    boolean requestProgress();

    /** Cancels the watch; the listener's last call is {@link WatchListener#onCancelled}. Idempotent. */
    void cancel();

    /** Same as {@link #cancel()}. */
    @Override
    default void close() {
        cancel();
    }
}
