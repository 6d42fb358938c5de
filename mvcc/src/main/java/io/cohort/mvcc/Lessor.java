package io.cohort.mvcc;

import io.cohort.mvcc.internal.LeaseHeap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The lease clock of one node, after etcd's {@code lessor}: only the primary (the Raft leader) counts TTLs. It knows
 * every lease the keyspace holds (kept in step by {@link #granted}, {@link #revoked}, {@link #checkpointed} from the
 * apply thread), and tells the node which leases expired (to revoke through Raft) and which remaining TTLs to
 * checkpoint through Raft, so that a new leader neither expires a lease early nor resets a long TTL to full.
 *
 * <p>Time is passed in ({@code nowMs}, a monotonic clock in milliseconds): the class has no clock or thread, so tests
 * drive it deterministically. Thread-safe; renewals cost O(log n) and allocate nothing.
 */
public final class Lessor {
    private static final int EXPIRY = 0;
    private static final int CHECKPOINT = 1;

    private final long checkpointIntervalMs;
    private final long revokeRetryMs;
    private final ReentrantLock lock = new ReentrantLock();
    private final Long2ObjectHashMap<Lease> leases = new Long2ObjectHashMap<>();
    private final LeaseHeap expiries = new LeaseHeap(EXPIRY);
    private final LeaseHeap checkpoints = new LeaseHeap(CHECKPOINT);
    private boolean primary;

    private static final class Lease extends LeaseHeap.Node {
        long grantedTtlSeconds;
        long checkpointedTtlSeconds;
        /** Handed out by {@link #expired}: its revoke is on the way, so it can no longer be renewed. */
        boolean expired;

        Lease(long id, long grantedTtlSeconds, long checkpointedTtlSeconds) {
            super(id);
            this.grantedTtlSeconds = grantedTtlSeconds;
            this.checkpointedTtlSeconds = checkpointedTtlSeconds;
        }
    }

    /**
     * A lease clock.
     *
     * @param checkpointIntervalMs how often the primary checkpoints the remaining TTL of a lease whose TTL is longer
     *     (etcd: 5 minutes)
     * @param revokeRetryMs after an expired lease was handed out for revocation, when to hand it out again if the
     *     revoke did not apply (for example because leadership moved)
     */
    public Lessor(long checkpointIntervalMs, long revokeRetryMs) {
        if (checkpointIntervalMs < 1 || revokeRetryMs < 1) {
            throw new IllegalArgumentException("checkpointIntervalMs and revokeRetryMs must be >= 1, were "
                    + checkpointIntervalMs + " and " + revokeRetryMs);
        }
        this.checkpointIntervalMs = checkpointIntervalMs;
        this.revokeRetryMs = revokeRetryMs;
    }

    /** Replaces every lease with those of the keyspace (at start, and after a snapshot install); as a non-primary. */
    public void load(List<LeaseInfo> infos) {
        lock.lock();
        try {
            leases.clear();
            expiries.clear();
            checkpoints.clear();
            primary = false;
            for (LeaseInfo i : infos) {
                leases.put(i.id(), new Lease(i.id(), i.grantedTtlSeconds(), i.checkpointedTtlSeconds()));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Becomes the primary at {@code nowMs}: every lease expires after its remaining TTL (the checkpointed one, else
     * the granted one) plus {@code extendMs} (at least an election timeout, so the election itself never expires a
     * lease early).
     */
    public void promote(long nowMs, long extendMs) {
        lock.lock();
        try {
            primary = true;
            for (Lease l : leases.values()) {
                l.expired = false;
                long remainingMs = 1000 * (l.checkpointedTtlSeconds > 0 ? l.checkpointedTtlSeconds : l.grantedTtlSeconds);
                expiries.set(l, nowMs + remainingMs + extendMs);
                scheduleCheckpoint(l, nowMs);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Stops counting: no lease expires on a non-primary. */
    public void demote() {
        lock.lock();
        try {
            primary = false;
            expiries.clear();
            checkpoints.clear();
        } finally {
            lock.unlock();
        }
    }

    /** True while this node counts TTLs. */
    public boolean isPrimary() {
        lock.lock();
        try {
            return primary;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Renews lease {@code id} (a keep-alive) at {@code nowMs}; returns its granted TTL in seconds, or -1 if it does not
     * exist (or already expired on this clock and awaits its revoke).
     *
     * @throws IllegalStateException if this node is not the primary (keep-alives must reach the leader)
     */
    public long renew(long id, long nowMs) {
        lock.lock();
        try {
            requirePrimary();
            Lease l = leases.get(id);
            if (l == null || l.expired || l.deadlineMs(EXPIRY) <= nowMs) {
                return -1;
            }
            expiries.set(l, nowMs + 1000 * l.grantedTtlSeconds);
            if (l.checkpointedTtlSeconds > 0) {
                checkpoints.set(l, nowMs); // The stored remaining TTL is stale now: record the full one soon.
            }
            return l.grantedTtlSeconds;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The remaining TTL of lease {@code id} in milliseconds at {@code nowMs} (0 once expired), or -1 if it does not
     * exist.
     *
     * @throws IllegalStateException if this node is not the primary (only the leader knows remaining TTLs)
     */
    public long remainingMs(long id, long nowMs) {
        lock.lock();
        try {
            requirePrimary();
            Lease l = leases.get(id);
            return l == null ? -1 : l.expired ? 0 : Math.max(0, l.deadlineMs(EXPIRY) - nowMs);
        } finally {
            lock.unlock();
        }
    }

    /** A lease was granted (apply thread). On the primary it starts counting at {@code nowMs}. */
    public void granted(long id, long ttlSeconds, long nowMs) {
        lock.lock();
        try {
            Lease l = new Lease(id, ttlSeconds, 0);
            Lease old = leases.put(id, l);
            if (old != null) {
                expiries.remove(old);
                checkpoints.remove(old);
            }
            if (primary) {
                expiries.set(l, nowMs + 1000 * ttlSeconds);
                scheduleCheckpoint(l, nowMs);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A lease was revoked or expired through Raft (apply thread). */
    public void revoked(long id) {
        lock.lock();
        try {
            Lease l = leases.remove(id);
            if (l != null) {
                expiries.remove(l);
                checkpoints.remove(l);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A remaining TTL was checkpointed through Raft (apply thread): what a future primary starts from. */
    public void checkpointed(long id, long remainingTtlSeconds) {
        lock.lock();
        try {
            Lease l = leases.get(id);
            if (l != null) {
                l.checkpointedTtlSeconds = remainingTtlSeconds;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code max} leases that expired by {@code nowMs}, to revoke through Raft. Each is handed out again after
     * the retry interval if its revoke has not applied by then. Empty on a non-primary.
     */
    public List<Long> expired(long nowMs, int max) {
        lock.lock();
        try {
            List<Long> out = new ArrayList<>();
            if (!primary) {
                return out;
            }
            LeaseHeap.Node n;
            while (out.size() < max && (n = expiries.peek()) != null && n.deadlineMs(EXPIRY) <= nowMs) {
                out.add(n.id);
                // Stays expired (renew refuses it) but is not handed out again before the retry time.
                ((Lease) n).expired = true;
                expiries.set(n, nowMs + revokeRetryMs);
                checkpoints.remove(n);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code max} remaining TTLs due for a checkpoint at {@code nowMs}, to propose through Raft (leases whose
     * TTL is longer than the checkpoint interval, every interval). Empty on a non-primary.
     */
    public List<LeaseCheckpointRequest.Checkpoint> dueCheckpoints(long nowMs, int max) {
        lock.lock();
        try {
            List<LeaseCheckpointRequest.Checkpoint> out = new ArrayList<>();
            if (!primary) {
                return out;
            }
            LeaseHeap.Node n;
            while (out.size() < max && (n = checkpoints.peek()) != null && n.deadlineMs(CHECKPOINT) <= nowMs) {
                Lease l = (Lease) n;
                // Rounded up: a checkpoint may lengthen a lease by under a second, never shorten it (floor cut up to
                // a second, more than the election grace covers once a deposed leader's late renewals are added).
                long remainingMs = l.deadlineMs(EXPIRY) - nowMs;
                long remainingSeconds = (remainingMs + 999) / 1000;
                if (l.expired || remainingSeconds < 1) {
                    checkpoints.remove(l);
                    continue;
                }
                out.add(new LeaseCheckpointRequest.Checkpoint(l.id, remainingSeconds));
                scheduleCheckpoint(l, nowMs);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** The granted TTL of lease {@code id} in seconds, or -1 if it does not exist (any node knows this). */
    public long grantedTtlSeconds(long id) {
        lock.lock();
        try {
            Lease l = leases.get(id);
            return l == null ? -1 : l.grantedTtlSeconds;
        } finally {
            lock.unlock();
        }
    }

    /** The number of leases known. */
    public int size() {
        lock.lock();
        try {
            return leases.size();
        } finally {
            lock.unlock();
        }
    }

    private void scheduleCheckpoint(Lease l, long nowMs) {
        if (1000 * l.grantedTtlSeconds > checkpointIntervalMs) {
            checkpoints.set(l, nowMs + checkpointIntervalMs);
        } else {
            checkpoints.remove(l);
        }
    }

    private void requirePrimary() {
        if (!primary) {
            throw new IllegalStateException("this node is not the lease primary (the Raft leader): only the leader "
                    + "renews leases and knows their remaining TTLs");
        }
    }
}
