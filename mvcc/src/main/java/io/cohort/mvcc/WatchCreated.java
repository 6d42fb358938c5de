package io.cohort.mvcc;

/**
 * A watch just created.
 *
 * @param watchId the watch's ID, unique within its hub
 * @param revision the store revision when it was created (etcd's creation header revision)
 */
public record WatchCreated(long watchId, long revision) {
}
