package io.cohort.sim;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseInfo;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Lease clients of the keyspace simulation and the checks of lease expiry. Clients grant leases (1-4 s TTLs) through
 * the leader, attach keys to them, and either keep them alive on a node that believes it leads (its lessor renews
 * them, as core's keep-alive does on the leader; it may be a leader deposed without knowing it yet) for a while or
 * never. Checked:
 *
 * <ul>
 *   <li>safety: a revocation by expiry (proposed by a leader's lease driver) never applies before the lease's TTL
 *       has passed since it was last kept alive on a leader (or since its grant first applied);</li>
 *   <li>atomic expiry: a revocation deletes exactly the keys bound to the lease, all at one revision;</li>
 *   <li>liveness: once the faults stop and a stable leader counts, every lease nobody keeps alive is gone, with its
 *       keys, within its TTL plus an election timeout (plus the time to commit the revoke).</li>
 * </ul>
 */
final class LeaseClients {
    /** What the model knows of one lease. */
    static final class LeaseModel {
        final long id;
        final long ttlSeconds;
        /** When the lease was last known alive: its grant's first apply, or its latest renewal on a leader. */
        long aliveMs;
        long lastRenewMs = -1;
        long renewals;
        boolean revoked;

        LeaseModel(long id, long ttlSeconds, long aliveMs) {
            this.id = id;
            this.ttlSeconds = ttlSeconds;
            this.aliveMs = aliveMs;
        }
    }

    private final KeyspaceSimulation sim;
    private final SplittableRandom rnd;
    private final int clientCount;
    private final TreeMap<Long, LeaseModel> leases = new TreeMap<>();
    private long nextLeaseId;
    long grantsProposed;
    long expiryRevokes;
    long renewals;
    long renewalsRefused;
    long keysAttached;

    LeaseClients(KeyspaceSimulation sim, long seed) {
        this.sim = sim;
        this.rnd = new SplittableRandom(seed * 0xBF58476D1CE4E5B9L + 0x1EA5EL);
        this.clientCount = rnd.nextInt(4);
    }

    void start() {
        for (int c = 0; c < clientCount; c++) {
            int client = c;
            sim.later(1 + rnd.nextInt(300), () -> grantStep(client));
        }
    }

    private void grantStep(int client) {
        if (sim.chaosOver()) {
            return;
        }
        long leader = sim.leaderId();
        if (leader < 0) {
            sim.later(5 + rnd.nextInt(20), () -> grantStep(client));
            return;
        }
        long id = 1000L * (client + 1) + ++nextLeaseId;
        long ttlSeconds = 1 + rnd.nextInt(4);
        boolean keepAlive = rnd.nextInt(3) != 0;
        long keepAliveUntil = sim.now() + rnd.nextInt(1500);
        grantsProposed++;
        sim.submit(leader, new LeaseGrantRequest(ttlSeconds, id), 300, result -> {
            if (result != null && result.status() == ApplyResult.Status.APPLIED) {
                attachKeys(id, 1 + rnd.nextInt(3));
                if (keepAlive) {
                    sim.later(1, () -> keepAliveStep(id, () -> sim.now() <= keepAliveUntil, () -> { }));
                }
            }
            sim.later(50 + rnd.nextInt(500), () -> grantStep(client));
        });
    }

    private void attachKeys(long leaseId, int n) {
        for (int i = 0; i < n; i++) {
            long leader = sim.leaderId();
            if (leader >= 0) {
                Bytes key = Bytes.ofUtf8("lease/" + leaseId + "/" + i);
                sim.submit(leader, new PutRequest(key, Bytes.ofUtf8("v" + sim.now()), leaseId, false, false, false),
                        300, result -> {
                            if (result != null && result.status() == ApplyResult.Status.APPLIED) {
                                keysAttached++;
                            }
                        });
            }
        }
    }

    /**
     * A session for a recipe client: grants a lease of {@code ttlSeconds} through the leader; {@code granted} gets its ID,
     * or -1 if the grant's outcome is unknown.
     */
    void grantSession(long ttlSeconds, LongConsumer granted) {
        long leader = sim.leaderId();
        if (leader < 0) {
            sim.later(1, () -> granted.accept(-1));
            return;
        }
        long id = 900_000L + ++nextLeaseId;
        grantsProposed++;
        sim.submit(leader, new LeaseGrantRequest(ttlSeconds, id), 300, result ->
                granted.accept(result != null && result.status() == ApplyResult.Status.APPLIED ? id : -1));
    }

    /**
     * Keeps lease {@code leaseId} alive (a keep-alive a third of its TTL after the last, on a node that believes it
     * leads) while {@code wanted} and the faults last; {@code lost} runs if a keep-alive is refused (the lease expired).
     */
    void keepAlive(long leaseId, BooleanSupplier wanted, Runnable lost) {
        sim.later(1, () -> keepAliveStep(leaseId, wanted, lost));
    }

    /** A keep-alive on the leader, a third of the TTL after the last one, until the client stops or the lease is lost. */
    private void keepAliveStep(long leaseId, BooleanSupplier wanted, Runnable lost) {
        LeaseModel m = leases.get(leaseId);
        if (sim.chaosOver() || !wanted.getAsBoolean() || m == null || m.revoked) {
            if (m == null || m.revoked) {
                lost.run();
            }
            return;
        }
        // The client's connection may be to a leader deposed without knowing it yet: it renews there.
        KeyspaceReplica leader = sim.randomBelievedLeader(rnd);
        long periodUnits = Math.max(1, m.ttlSeconds * 1000 / 3 / KeyspaceSimulation.MS_PER_UNIT);
        Runnable next = () -> sim.later(1 + rnd.nextLong(periodUnits), () -> keepAliveStep(leaseId, wanted, lost));
        if (leader == null || !leader.lessor().isPrimary()) {
            next.run();
            return;
        }
        renew(m, leader, lost, next);
    }

    private void renew(LeaseModel m, KeyspaceReplica leader, Runnable lost, Runnable next) {
        if (!leader.lessor().isPrimary()) {
            next.run();
            return;
        }
        long ttl = leader.lessor().renew(m.id, sim.nowMs());
        if (ttl < 0) {
            renewalsRefused++;
            sim.trace("lease " + m.id + ": keep-alive refused by node " + leader.nodeId() + " (expired)");
            lost.run();
            return; // lost: nobody keeps it alive any more
        }
        renewals++;
        m.renewals++;
        m.lastRenewMs = sim.nowMs();
        m.aliveMs = Math.max(m.aliveMs, sim.nowMs());
        sim.trace("lease " + m.id + ": kept alive on node " + leader.nodeId());
        next.run();
    }

    /**
     * A lease command applied for the first time anywhere (every replica applies the same, checked elsewhere);
     * {@code keysBoundBefore}: the keys bound to the revoked lease just before, for a revoke.
     */
    void firstApplied(WriteRequest request, ApplyResult result, List<Bytes> keysBoundBefore, boolean byExpiry) {
        if (result.status() != ApplyResult.Status.APPLIED) {
            return;
        }
        long nowMs = sim.nowMs();
        if (request instanceof LeaseGrantRequest g) {
            leases.put(g.id(), new LeaseModel(g.id(), g.ttlSeconds(), nowMs));
        } else if (request instanceof LeaseRevokeRequest r) {
            checkRevoke(r.id(), result.events(), keysBoundBefore, byExpiry, nowMs, leases.get(r.id()), sim::failRun);
            LeaseModel m = leases.get(r.id());
            if (m != null) {
                m.revoked = true;
            }
            if (byExpiry) {
                expiryRevokes++;
            }
        }
    }

    /**
     * The checks of one applied revocation: its events delete exactly {@code keysBoundBefore}, at one revision; and if
     * it is an expiry, the lease was last kept alive at least its TTL before {@code appliedMs}.
     */
    static void checkRevoke(long leaseId, List<Event> events, List<Bytes> keysBoundBefore, boolean byExpiry,
                            long appliedMs, LeaseModel m, WatchStreamCheck.Failer failer) {
        List<Bytes> deleted = new ArrayList<>();
        long revision = -1;
        for (Event e : events) {
            if (e.type() != Event.Type.DELETE) {
                failer.fail("the revocation of lease " + leaseId + " put " + e);
            }
            if (revision >= 0 && e.revision() != revision) {
                failer.fail("the revocation of lease " + leaseId + " deleted its keys at revisions " + revision + " and "
                        + e.revision() + ", not at one");
            }
            revision = e.revision();
            deleted.add(e.kv().key());
        }
        deleted.sort(Bytes::compareTo);
        if (!deleted.equals(keysBoundBefore)) {
            failer.fail("the revocation of lease " + leaseId + " deleted " + deleted + " but the keys bound to it were "
                    + keysBoundBefore);
        }
        if (byExpiry && m != null && appliedMs < m.aliveMs + 1000 * m.ttlSeconds) {
            failer.fail("lease " + leaseId + " (TTL " + m.ttlSeconds + " s) expired and its keys " + deleted
                    + " were deleted at " + appliedMs + " ms, though it was kept alive on the leader at " + m.aliveMs
                    + " ms (last renewal " + m.lastRenewMs + " ms, " + m.renewals + " renewals): within its TTL");
        }
    }

    /**
     * After the faults stopped: nobody keeps a lease alive any more, so within the longest TTL plus an election timeout
     * (plus time to commit) every lease must be gone on every member, with every key bound to one.
     */
    void finish(WriteHistory history) {
        // From when the current leader started counting (a leader change resets the bound), a lease nobody keeps
        // alive is revoked within its TTL (at most 4 s) plus the election timeout, plus time to retry and commit.
        long waitMs = 4_000 + KeyspaceSimulation.ELECTION_TIMEOUT_MS + 2 * KeyspaceSimulation.LEASE_REVOKE_RETRY_MS;
        long keepAlivesStoppedMs = sim.nowMs(); // keep-alives stop with the faults, before this
        for (int attempt = 0; ; attempt++) {
            KeyspaceReplica leader = sim.leaderReplica();
            long counted = leader == null ? -1 : leader.leasesCountedSinceMs();
            long since = counted < 0 ? -1 : Math.max(counted, keepAlivesStoppedMs);
            if (since >= 0 && sim.nowMs() >= since + waitMs) {
                break;
            }
            if (attempt == 200) {
                sim.failRun("no leader counted lease TTLs for " + waitMs + " ms in a row after the faults stopped");
            }
            sim.runUnits(since < 0 ? KeyspaceSimulation.TICK_UNITS
                    : (since + waitMs - sim.nowMs()) / KeyspaceSimulation.MS_PER_UNIT + 1);
        }
        sim.awaitQuiescent();
        for (KeyspaceReplica r : sim.memberReplicas()) {
            List<LeaseInfo> left = r.keyspace().leaseInfos();
            if (!left.isEmpty()) {
                sim.failRun("node " + r.nodeId() + " still holds leases " + left + " " + waitMs + " ms after the faults "
                        + "stopped and a stable leader counted, with nobody keeping them alive");
            }
        }
        for (LeaseModel m : leases.values()) {
            List<Bytes> bound = history.keysBoundTo(m.id);
            if (!bound.isEmpty()) {
                sim.failRun("keys " + bound + " of lease " + m.id + " are still there " + waitMs + " ms after the "
                        + "faults stopped");
            }
            if (!m.revoked) {
                sim.failRun("lease " + m.id + " was never revoked");
            }
        }
    }

    String summary() {
        return "leaseClients=" + clientCount + " leases=" + leases.size() + " grants=" + grantsProposed + " renewals="
                + renewals + " renewalsRefused=" + renewalsRefused + " expiries=" + expiryRevokes + " leaseKeys="
                + keysAttached;
    }

    long leasesGranted() {
        return leases.size();
    }
}
