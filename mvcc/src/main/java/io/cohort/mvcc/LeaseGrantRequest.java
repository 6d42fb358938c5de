package io.cohort.mvcc;

/**
 * Grants a lease, as etcd's {@code LeaseGrantRequest}.
 *
 * @param ttlSeconds the requested TTL (raised to the configured minimum)
 * @param id the lease ID, 0 to let the keyspace choose one (deterministically)
 */
public record LeaseGrantRequest(long ttlSeconds, long id) implements WriteRequest {
}
