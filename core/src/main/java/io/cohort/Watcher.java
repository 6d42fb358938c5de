package io.cohort;

import java.util.concurrent.Executor;

/**
 * Watches on the keyspace this member serves, with etcd's guarantees: ordered, unique, atomic (a revision's events
 * together), reliable (no gap in the retained history), resumable (from the last revision seen + 1) and
 * bookmarkable (progress notifications). They hold on every member, across leader changes and across a snapshot
 * install on this member (the events in between are replayed from the installed history, or the watch is cancelled
 * with the revision to resume from).
 */
public interface Watcher {
    /** Opens a watch whose listener runs on the node's callback executor. */
    Watch watch(WatchSpec spec, WatchListener listener);

    /** Opens a watch whose listener runs on {@code executor}. */
    Watch watch(WatchSpec spec, Executor executor, WatchListener listener);
}
