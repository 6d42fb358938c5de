package io.cohort;

import io.cohort.internal.Await;
import io.cohort.internal.Recipes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease kept alive in the background, owned by one process: the base of elections and locks (as etcd's
 * {@code concurrency.Session}). When the lease is lost (not renewed within its TTL: a long pause, a partition, the
 * group without quorum) {@link #lost()} completes and every election and lock held through the session is gone.
 * Closing the session revokes the lease, releasing them at once.
 */
public final class Session implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final CohortNode node;
    private final long leaseId;
    private final long ttlSeconds;
    private final Leases.KeepAlive keepAlive;
    private volatile boolean closed;

    private Session(CohortNode node, long leaseId, long ttlSeconds, Leases.KeepAlive keepAlive) {
        this.node = node;
        this.leaseId = leaseId;
        this.ttlSeconds = ttlSeconds;
        this.keepAlive = keepAlive;
    }

    /** Grants a lease of {@code ttl} (whole seconds, at least the minimum TTL) on {@code node} and keeps it alive. */
    public static Session open(CohortNode node, Duration ttl) {
        Objects.requireNonNull(node, "node");
        Leases.Grant g = node.leases().grant(ttl);
        return new Session(node, g.id(), g.ttlSeconds(), node.leases().keepAlive(g.id()));
    }

    /** The session's lease. */
    public long leaseId() {
        return leaseId;
    }

    /** The lease's TTL in seconds. */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    /** The node the session runs on. */
    public CohortNode node() {
        return node;
    }

    /** Completes exceptionally, with the reason, when the lease is lost; never while the session is healthy. */
    public CompletableFuture<Void> lost() {
        return keepAlive.lost();
    }

    /** True once the lease was lost or the session closed. */
    public boolean isDone() {
        return closed || keepAlive.lost().isDone();
    }

    /** A leader election among the processes campaigning on {@code name} (a key prefix). */
    public LeaderElection election(String name) {
        return new LeaderElection(this, Recipes.prefix(name));
    }

    /** A lock named {@code name} (a key prefix), held through this session. */
    public Lock lock(String name) {
        return new Lock(this, Recipes.prefix(name));
    }

    /** Stops the keep-alives and revokes the lease (every election and lock held through it ends). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        keepAlive.close();
        try {
            Await.result(node.leases().revokeAsync(leaseId));
        } catch (RuntimeException e) {
            // The lease then expires after its TTL: what it guards is released a little later, never leaked.
            LOG.warn("session lease {} could not be revoked ({}); it expires within {} s", leaseId, e.toString(),
                    ttlSeconds);
        }
    }
}
