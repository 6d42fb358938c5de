package io.cohort.internal;

import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.Lessor;
import io.cohort.raft.NodeStatus;
import io.cohort.raft.Role;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a member's {@link Lessor} from its Raft role: on becoming leader it promotes the lessor (every lease gets
 * its remaining TTL plus an election timeout, so the election never expires a lease early); while leading it
 * proposes the revocation of expired leases and checkpoints of long TTLs through Raft; on losing leadership it
 * demotes it. One daemon thread per member, waking every tick.
 */
final class LeaseDriver implements AutoCloseable {
    /** etcd's default checkpoint interval: 5 minutes. */
    static final long DEFAULT_CHECKPOINT_INTERVAL_MS = TimeUnit.MINUTES.toMillis(5);
    /** How long an expired lease's revoke may take before it is proposed again. */
    static final long DEFAULT_REVOKE_RETRY_MS = 3_000;
    /** Most revokes proposed per tick (etcd rate-limits expiry the same way), and outstanding at once. */
    static final int MAX_REVOKES_PER_TICK = 500;
    private static final int MAX_OUTSTANDING_REVOKES = 5_000;
    private static final int MAX_CHECKPOINTS_PER_TICK = 1_000;
    private static final Logger LOG = LoggerFactory.getLogger(LeaseDriver.class);

    private final NodeCore node;
    private final Lessor lessor;
    private final long tickMs;
    private final long extendMs;
    private final Thread thread;
    private final AtomicInteger outstandingRevokes = new AtomicInteger();
    private volatile boolean running = true;
    private long promotedInTerm = -1;
    /** The term of the catch-up read in flight or done (-1 again if it failed, to be retried). */
    private volatile long catchUpReadTerm = -1;
    /** The term in which a linearizable read completed while leading: every earlier term's entry is applied. */
    private volatile long caughtUpInTerm = -1;

    LeaseDriver(NodeCore node, Lessor lessor, long tickMs, long electionTimeoutMs) {
        this.node = node;
        this.lessor = lessor;
        this.tickMs = Math.max(10, tickMs);
        this.extendMs = electionTimeoutMs;
        this.thread = new Thread(this::run, "cohort-leases-" + node.settings().memberId());
        thread.setDaemon(true);
    }

    /** The monotonic clock leases are counted on, in milliseconds. */
    static long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    void start() {
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                step();
                Thread.sleep(tickMs);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (running) {
                    LOG.error("member {}: the lease driver failed a step; it keeps running", node.settings().memberId(), e);
                }
            }
        }
    }

    /** One step: follow the role, then revoke what expired and checkpoint what is due. */
    void step() {
        NodeStatus s = node.status();
        boolean leading = s.role() == Role.LEADER;
        // Count only once every entry of earlier terms is applied (etcd promotes its lessor at the same point): before
        // that, a checkpoint committed under the previous leader may be missing here, and a lease would expire early
        // from a stale remaining TTL. A linearizable read on the new leader completes only after it committed an entry
        // of its own term and applied up to it.
        if (leading && caughtUpInTerm != s.term() && catchUpReadTerm != s.term()) {
            long term = s.term();
            catchUpReadTerm = term;
            node.read(false, ks -> Boolean.TRUE).whenComplete((x, e) -> {
                if (e == null) {
                    caughtUpInTerm = term;
                } else {
                    catchUpReadTerm = -1; // tried again at the next step
                }
            });
        }
        boolean caughtUp = caughtUpInTerm == s.term();
        if (leading && caughtUp && (promotedInTerm != s.term() || !lessor.isPrimary())) {
            lessor.promote(nowMs(), extendMs);
            promotedInTerm = s.term();
            LOG.debug("member {} counts lease TTLs from term {} ({} leases)", s.memberId(), s.term(), lessor.size());
        } else if ((!leading || promotedInTerm != s.term()) && lessor.isPrimary()) {
            lessor.demote();
            promotedInTerm = -1;
        }
        if (!lessor.isPrimary()) {
            return;
        }
        long now = nowMs();
        int room = Math.min(MAX_REVOKES_PER_TICK, MAX_OUTSTANDING_REVOKES - outstandingRevokes.get());
        if (room > 0) {
            for (long id : lessor.expired(now, room)) {
                outstandingRevokes.incrementAndGet();
                node.write(new LeaseRevokeRequest(id)).whenComplete((r, e) -> {
                    outstandingRevokes.decrementAndGet();
                    if (e != null) {
                        // Not found: revoked meanwhile. Anything else: the lessor hands it out again later.
                        LOG.debug("member {}: revoking expired lease {} failed: {}", s.memberId(), id, e.toString());
                    }
                });
            }
        }
        List<LeaseCheckpointRequest.Checkpoint> due = lessor.dueCheckpoints(now, MAX_CHECKPOINTS_PER_TICK);
        if (!due.isEmpty()) {
            node.write(new LeaseCheckpointRequest(due)).whenComplete((r, e) -> {
                if (e != null) {
                    LOG.debug("member {}: a lease checkpoint failed: {}", s.memberId(), e.toString());
                }
            });
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
