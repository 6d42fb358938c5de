package io.cohort.mvcc;

import java.util.List;

/**
 * A lease's time to live, as etcd's {@code LeaseTimeToLiveResponse}.
 *
 * @param revision the header revision
 * @param id the lease ID
 * @param ttlSeconds the remaining TTL, -1 if the lease does not exist
 * @param grantedTtlSeconds the granted TTL (0 if the lease does not exist)
 * @param keys the attached keys in byte order, when asked for
 */
public record LeaseTimeToLive(long revision, long id, long ttlSeconds, long grantedTtlSeconds, List<Bytes> keys) {
    /** Copies the list. */
    public LeaseTimeToLive {
        keys = List.copyOf(keys);
    }

    /** True if the lease exists. */
    public boolean exists() {
        return ttlSeconds != -1;
    }
}
