package io.cohort.mvcc;

/**
 * The result of a put.
 *
 * @param revision the header revision
 * @param prevKv the previous key-value when asked for and present, else null
 */
public record PutResponse(long revision, KeyValue prevKv) implements Response {
}
