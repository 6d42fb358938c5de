package io.cohort.mvcc;

/**
 * The result of a compaction.
 *
 * @param revision the header revision
 */
public record CompactResponse(long revision) implements Response {
}
