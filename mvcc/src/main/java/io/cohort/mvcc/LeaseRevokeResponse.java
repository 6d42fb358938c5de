package io.cohort.mvcc;

/**
 * The result of a lease revoke.
 *
 * @param revision the header revision
 */
public record LeaseRevokeResponse(long revision) implements Response {
}
