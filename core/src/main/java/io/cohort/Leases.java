package io.cohort;

import io.cohort.internal.Await;
import io.cohort.mvcc.Bytes;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Leases, as etcd's: a key put with a lease is deleted when the lease is revoked or expires.
 *
 * <p>Only the leader counts TTLs. A lease nobody keeps alive expires after its TTL (plus at most an election
 * timeout if the leader changes meanwhile) and is revoked through Raft, deleting its keys at one revision. A
 * keep-alive sent to the leader renews the lease in memory once the leader has confirmed it still leads; one sent to
 * another member travels through the Raft log and renews the lease when the leader applies it. Remaining TTLs of
 * long leases are checkpointed through Raft, so a new leader neither expires a lease early nor resets it to full.
 * The remaining TTL reported by {@link #timeToLiveAsync} is exact on the leader and an estimate elsewhere.
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

    /**
     * Renews lease {@code id} once; completes with its granted TTL in seconds, or fails with the keyspace's
     * {@link io.cohort.mvcc.LeaseNotFoundException} if it does not exist (any more).
     */
    CompletableFuture<Long> keepAliveOnceAsync(long id);

    /**
     * Keeps lease {@code id} alive in the background (a keep-alive every third of its TTL) until the handle is
     * closed; {@link KeepAlive#lost()} completes if the lease is gone or could not be renewed within its TTL.
     */
    KeepAlive keepAlive(long id);

    /** Renews a lease once and waits; returns its granted TTL. */
    default long keepAliveOnce(long id) {
        return Await.result(keepAliveOnceAsync(id));
    }

    /** A lease kept alive in the background. Closing it stops the keep-alives (the lease then expires). */
    interface KeepAlive extends AutoCloseable {
        /** The lease. */
        long leaseId();

        /**
         * Completes (exceptionally, with the reason) when the lease is lost: it no longer exists, or no keep-alive
         * succeeded within its TTL. Never completes while the lease is kept alive, nor after {@link #close()}.
         */
        CompletableFuture<Void> lost();

        /** Stops keeping the lease alive. Idempotent. */
        @Override
        void close();
    }

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
