package io.cohort.mvcc;

/**
 * Bounds and timings of a {@link WatchHub}.
 *
 * @param maxWatchers most watches open at once
 * @param maxPendingEventsPerWatcher events buffered for one watch beyond what its listener is handling; past it the
 *     watch is cancelled as a slow consumer with the revision to resume from
 * @param maxBatchEvents most events in one {@link WatchResponse} (a revision is never split, so a single larger
 *     revision still goes whole)
 * @param catchUpBatchEvents events read from history per step for a watch that starts in the past
 * @param progressIntervalMs period of progress notifications for watches that asked for them (0: never)
 */
public record WatchHubConfig(int maxWatchers, int maxPendingEventsPerWatcher, int maxBatchEvents,
                             int catchUpBatchEvents, long progressIntervalMs) {
    /** Checks the bounds. */
    public WatchHubConfig {
        positive("maxWatchers", maxWatchers);
        positive("maxPendingEventsPerWatcher", maxPendingEventsPerWatcher);
        positive("maxBatchEvents", maxBatchEvents);
        positive("catchUpBatchEvents", catchUpBatchEvents);
        if (progressIntervalMs < 0) {
            throw new IllegalArgumentException("progressIntervalMs must be >= 0, was " + progressIntervalMs);
        }
    }

    /**
     * The defaults: 100,000 watches, 10,000 buffered events per watch, batches of up to 1,000 events, catch-up reads of
     * 1,000 events, progress every 10 minutes (etcd's default).
     */
    public static WatchHubConfig defaults() {
        return new WatchHubConfig(100_000, 10_000, 1_000, 1_000, 600_000);
    }

    /** These settings with {@code n} buffered events per watch. */
    public WatchHubConfig withMaxPendingEventsPerWatcher(int n) {
        return new WatchHubConfig(maxWatchers, n, maxBatchEvents, catchUpBatchEvents, progressIntervalMs);
    }

    /** These settings with progress notifications every {@code ms} milliseconds. */
    public WatchHubConfig withProgressIntervalMs(long ms) {
        return new WatchHubConfig(maxWatchers, maxPendingEventsPerWatcher, maxBatchEvents, catchUpBatchEvents, ms);
    }

    /** These settings with at most {@code n} watches. */
    public WatchHubConfig withMaxWatchers(int n) {
        return new WatchHubConfig(n, maxPendingEventsPerWatcher, maxBatchEvents, catchUpBatchEvents, progressIntervalMs);
    }

    private static void positive(String name, long v) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + v);
        }
    }
}
