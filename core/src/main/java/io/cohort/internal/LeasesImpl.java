package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.Leases;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseList;
import io.cohort.mvcc.LeaseNotFoundException;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.LeaseTimeToLive;
import io.cohort.mvcc.Lessor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Leases} of a node: grants and revokes through Raft; keep-alives renewed in memory on the leader (after a
 * ReadIndex confirms it still leads) or sent through the log from other members; remaining TTLs from the leader's
 * lease clock.
 */
public final class LeasesImpl implements Leases {
    private static final Logger LOG = LoggerFactory.getLogger(LeasesImpl.class);
    private static final long MIN_KEEP_ALIVE_PERIOD_MS = 100;

    private final NodeCore node;

    /** The leases served by {@code node}. */
    public LeasesImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public CompletableFuture<Grant> grantAsync(long ttlSeconds, long id) {
        return node.write(new LeaseGrantRequest(ttlSeconds, id)).thenApply(r -> {
            LeaseGrantResponse g = (LeaseGrantResponse) r;
            return new Grant(g.id(), g.ttlSeconds(), g.revision());
        });
    }

    @Override
    public CompletableFuture<Long> revokeAsync(long id) {
        return node.write(new LeaseRevokeRequest(id)).thenApply(r -> r.revision());
    }

    @Override
    public CompletableFuture<Info> timeToLiveAsync(long id, boolean withKeys) {
        return node.read(false, ks -> {
            LeaseTimeToLive t = ks.leaseTimeToLive(id, withKeys);
            long ttl = t.ttlSeconds();
            Lessor lessor = node.lessor();
            if (t.exists() && lessor.isPrimary()) {
                long remainingMs = lessor.remainingMs(id, LeaseDriver.nowMs());
                // The leader's clock is the exact one; the grace a new leader adds is not shown (at most the TTL).
                ttl = remainingMs < 0 ? ttl : Math.min(t.grantedTtlSeconds(), (remainingMs + 999) / 1000);
            }
            return new Info(t.id(), ttl, t.grantedTtlSeconds(), t.keys(), t.revision());
        });
    }

    @Override
    public CompletableFuture<Listing> listAsync() {
        return node.read(false, ks -> {
            LeaseList l = ks.leaseList();
            return new Listing(l.ids(), l.revision());
        });
    }

    @Override
    public CompletableFuture<Long> keepAliveOnceAsync(long id) {
        CompletableFuture<Long> ttl;
        if (node.status().isLeader() && node.lessor().isPrimary()) {
            // The ReadIndex round confirms this member still leads, so a deposed leader cannot renew.
            ttl = node.read(false, ks -> {
                Lessor lessor = node.lessor();
                return lessor.isPrimary() ? lessor.renew(id, LeaseDriver.nowMs()) : Long.MIN_VALUE;
            }).thenCompose(t -> t == Long.MIN_VALUE ? node.keepAliveThroughLog(id) : CompletableFuture.completedFuture(t));
        } else {
            ttl = node.keepAliveThroughLog(id);
        }
        return ttl.thenApply(t -> {
            if (t < 0) {
                throw new LeaseNotFoundException(ErrorCode.LEASE_NOT_FOUND, "lease " + id);
            }
            return t;
        });
    }

    @Override
    public KeepAlive keepAlive(long id) {
        Info info = timeToLive(id, false);
        if (!info.exists()) {
            throw new LeaseNotFoundException(ErrorCode.LEASE_NOT_FOUND, "lease " + id);
        }
        return new Renewer(id, info.grantedTtlSeconds());
    }

    /** Keeps one lease alive: a keep-alive every third of its TTL; lost once one fails for good or a TTL passes. */
    private final class Renewer implements KeepAlive {
        private final long id;
        private final long ttlMs;
        private final CompletableFuture<Void> lost = new CompletableFuture<>();
        private final AtomicBoolean closed = new AtomicBoolean();
        private final ScheduledFuture<?> task;
        private volatile long lastRenewedMs = LeaseDriver.nowMs();
        private final AtomicBoolean inFlight = new AtomicBoolean();

        Renewer(long id, long ttlSeconds) {
            this.id = id;
            this.ttlMs = TimeUnit.SECONDS.toMillis(ttlSeconds);
            long periodMs = Math.max(MIN_KEEP_ALIVE_PERIOD_MS, ttlMs / 3);
            this.task = node.scheduler().scheduleWithFixedDelay(this::tick, 0, periodMs, TimeUnit.MILLISECONDS);
        }

        private void tick() {
            if (closed.get() || lost.isDone()) {
                return;
            }
            if (LeaseDriver.nowMs() - lastRenewedMs > ttlMs) {
                lose(new CohortException.LeaseLost("lease " + id + " was not renewed within its TTL of " + ttlMs
                        + " ms; it may have expired", null));
                return;
            }
            if (!inFlight.compareAndSet(false, true)) {
                return; // The previous keep-alive is still on its way.
            }
            long sentMs = LeaseDriver.nowMs();
            keepAliveOnceAsync(id).whenComplete((ttl, e) -> {
                inFlight.set(false);
                if (e == null) {
                    lastRenewedMs = sentMs;
                    return;
                }
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                if (cause instanceof LeaseNotFoundException || cause instanceof CohortException.Closed) {
                    lose(cause);
                } else {
                    LOG.debug("keep-alive of lease {} failed, retried: {}", id, cause.toString());
                }
            });
        }

        private void lose(Throwable reason) {
            if (!closed.get() && !lost.isDone()) {
                task.cancel(false);
                node.settings().callbackExecutor().execute(() -> lost.completeExceptionally(reason));
            }
        }

        @Override
        public long leaseId() {
            return id;
        }

        @Override
        public CompletableFuture<Void> lost() {
            return lost;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                task.cancel(false);
            }
        }
    }
}
