package io.cohort.mvcc;

/**
 * Revokes a lease and deletes its keys at one revision, as etcd's {@code LeaseRevokeRequest}.
 *
 * @param id the lease ID
 */
public record LeaseRevokeRequest(long id) implements WriteRequest {
}
