package io.cohort.mvcc;

/**
 * A lease as the keyspace stores it, for the node's lease clock.
 *
 * @param id the lease ID
 * @param grantedTtlSeconds the TTL it was granted with (after clamping)
 * @param checkpointedTtlSeconds the remaining TTL the last checkpoint recorded, 0 if none since the grant
 */
public record LeaseInfo(long id, long grantedTtlSeconds, long checkpointedTtlSeconds) {
}
