package io.cohort.mvcc;

import java.util.List;

/**
 * The leases that exist, as etcd's {@code LeaseLeasesResponse}.
 *
 * @param revision the header revision
 * @param ids the lease IDs
 */
public record LeaseList(long revision, List<Long> ids) {
    /** Copies the list. */
    public LeaseList {
        ids = List.copyOf(ids);
    }
}
