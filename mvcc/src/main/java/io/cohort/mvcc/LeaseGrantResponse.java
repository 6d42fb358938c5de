package io.cohort.mvcc;

/**
 * The result of a lease grant.
 *
 * @param revision the header revision
 * @param id the lease ID
 * @param ttlSeconds the granted TTL
 */
public record LeaseGrantResponse(long revision, long id, long ttlSeconds) implements Response {
}
