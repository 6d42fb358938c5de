package io.cohort;

import io.cohort.internal.Await;
import io.cohort.mvcc.Bytes;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Leases, as etcd's: a key put with a lease is deleted when the lease is revoked.
 *
 * <p><b>Not yet:</b> leases do not expire on their own and there is no keep-alive in this version (TTL counting
 * by the leader and expiry through Raft are a later issue); a lease lives until {@link #revokeAsync revoked}.
 * The TTLs are recorded and reported as etcd does.
 */
public interface Leases {

    /** Grants a lease of {@code ttlSeconds} (raised to the minimum, 2 s) with an ID the group chooses. */
    default CompletableFuture<Grant> grantAsync(long ttlSeconds) {
        return grantAsync(ttlSeconds, 0);
    }

    /** Grants a lease of {@code ttlSeconds} with ID {@code id} (0: the group chooses). */
    CompletableFuture<Grant> grantAsync(long ttlSeconds, long id);

    /** Revokes lease {@code id}, deleting its keys at one revision; completes with the header revision. */
    CompletableFuture<Long> revokeAsync(long id);

    /** Lease {@code id}'s time to live (TTL -1 if it does not exist), with its keys if {@code withKeys}. */
    CompletableFuture<Info> timeToLiveAsync(long id, boolean withKeys);

    /** The leases that exist. */
    CompletableFuture<Listing> listAsync();

    /** Grants a lease of {@code ttl} (whole seconds, rounded up) and waits. */
    default Grant grant(java.time.Duration ttl) {
        long seconds = ttl.getSeconds() + (ttl.getNano() > 0 ? 1 : 0);
        return grant(seconds);
    }

    /** Grants a lease and waits. */
    default Grant grant(long ttlSeconds) {
        return Await.result(grantAsync(ttlSeconds));
    }

    /** Grants a lease with ID {@code id} (0: the group chooses) and waits. */
    default Grant grant(long ttlSeconds, long id) {
        return Await.result(grantAsync(ttlSeconds, id));
    }

    /** Revokes a lease and waits; returns the header revision. */
    default long revoke(long id) {
        return Await.result(revokeAsync(id));
    }

    /** Reads a lease's time to live and waits. */
    default Info timeToLive(long id, boolean withKeys) {
        return Await.result(timeToLiveAsync(id, withKeys));
    }

    /** Lists the leases and waits. */
    default Listing list() {
        return Await.result(listAsync());
    }

    /**
     * A granted lease.
     *
     * @param id the lease ID
     * @param ttlSeconds the granted TTL
     * @param revision the header revision
     */
    record Grant(long id, long ttlSeconds, long revision) {
    }

    /**
     * A lease's time to live.
     *
     * @param id the lease ID
     * @param ttlSeconds the remaining TTL, -1 if the lease does not exist
     * @param grantedTtlSeconds the granted TTL (0 if it does not exist)
     * @param keys the attached keys, when asked for
     * @param revision the header revision
     */
    record Info(long id, long ttlSeconds, long grantedTtlSeconds, List<Bytes> keys, long revision) {
        /** Copies the list. */
        public Info {
            keys = List.copyOf(keys);
        }

        /** True if the lease exists. */
        public boolean exists() {
            return ttlSeconds != -1;
        }
    }

    /**
     * The leases that exist.
     *
     * @param ids the lease IDs
     * @param revision the header revision
     */
    record Listing(List<Long> ids, long revision) {
        /** Copies the list. */
        public Listing {
            ids = List.copyOf(ids);
        }
    }
}
