package io.cohort.mvcc;

/**
 * Compacts history up to {@code revision}, as etcd's {@code CompactionRequest}.
 *
 * @param revision the revision to compact at; reads below it fail afterwards
 */
public record CompactRequest(long revision) implements WriteRequest {
}
