package io.cohort.sim;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.TxnResponse;
import io.cohort.mvcc.WatchRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Contenders of an election (or a lock) under one prefix, running the exact protocol of core's {@code Recipes} over
 * the simulated keyspace (the recipe itself needs a whole {@code CohortNode}, so it cannot run here as is): a session
 * (a lease kept alive), then a txn that puts the contender's key bound to it if absent (else reads it) — its create
 * revision is the contender's place in line and its fencing token — then, again and again, a linearizable read of
 * its own key and the newest key created before it, and a watch (puts filtered out) on that key from just after the
 * read, until the read finds no older key: the contender leads (if its own key is gone, its session was lost). A leader resigns (deletes its key if its create revision still matches) or
 * lets its session lapse. Every win goes to a {@link RecipeCheck}.
 */
final class RecipeClients {
    private final KeyspaceSimulation sim;
    private final LeaseClients leases;
    private final String prefix;
    private final RecipeCheck check;
    private final SplittableRandom rnd;
    private final List<Contender> contenders = new ArrayList<>();
    long resignations;
    long lapses;
    long sessionsLost;
    long watchesOnPredecessors;

    private final class Contender {
        final String name;
        long attempt;
        long leaseId = -1;
        boolean sessionWanted;
        Bytes key;
        long token = -1;
        long watchToken;
        long watchNode = -1;
        /** The watch token of the open watch on the predecessor (the watch is open while watchToken equals it). */
        long openWatchToken = -1;
        long wonInAttempt = -1;

        Contender(String name) {
            this.name = name;
        }
    }

    RecipeClients(KeyspaceSimulation sim, LeaseClients leases, WriteHistory history, String prefix, long seed) {
        this.sim = sim;
        this.leases = leases;
        this.prefix = prefix;
        this.rnd = new SplittableRandom(seed * 0x94D049BB133111EBL + prefix.hashCode());
        this.check = new RecipeCheck(prefix, history, sim::failRun);
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            contenders.add(new Contender(prefix + "contender-" + i));
        }
    }

    void start() {
        for (Contender c : contenders) {
            sim.later(1 + rnd.nextInt(500), () -> newSession(c));
        }
    }

    private void newSession(Contender c) {
        if (sim.chaosOver()) {
            return;
        }
        long a = ++c.attempt;
        c.watchToken++;
        leases.grantSession(2 + rnd.nextInt(3), id -> {
            if (c.attempt != a) {
                return;
            }
            if (id < 0) {
                sim.later(10 + rnd.nextInt(50), () -> newSession(c));
                return;
            }
            c.leaseId = id;
            c.sessionWanted = true;
            c.key = Bytes.ofUtf8(prefix + Long.toHexString(id));
            c.token = -1;
            leases.keepAlive(id, () -> c.sessionWanted && c.attempt == a, () -> sessionLost(c, a));
            enqueue(c, a);
        });
    }

    /** Recipes.enqueue: put the key bound to the session if absent, else read it; its create revision is the place. */
    private void enqueue(Contender c, long a) {
        KeyspaceReplica r = sim.randomOpenReplica(rnd);
        if (r == null) {
            sim.later(5, () -> enqueue(c, a));
            return;
        }
        TxnRequest txn = new TxnRequest(List.of(Compare.number(c.key, Compare.Target.CREATE, Compare.Result.EQUAL, 0)),
                List.of(new PutRequest(c.key, Bytes.ofUtf8(c.name), c.leaseId, false, false, false)),
                List.of(RangeRequest.key(c.key)));
        sim.submit(r.nodeId(), txn, 300, result -> {
            if (c.attempt != a) {
                return;
            }
            if (result == null) {
                sim.later(1 + rnd.nextInt(10), () -> enqueue(c, a)); // unknown: the txn is safe to repeat
                return;
            }
            if (result.status() != ApplyResult.Status.APPLIED) {
                sessionLost(c, a); // the lease is gone
                return;
            }
            TxnResponse t = (TxnResponse) result.response();
            if (t.succeeded()) {
                c.token = t.revision();
            } else {
                RangeResponse got = (RangeResponse) t.responses().get(0);
                if (got.kvs().isEmpty()) {
                    throw new AssertionError("the key " + c.key + " existed at the compare but not at the read");
                }
                c.token = got.kvs().get(0).createRevision();
            }
            step(c, a);
        });
    }

    /** Recipes.waitForPredecessors, one step: read the newest older key; none: lead; else watch it from the read on. */
    private void step(Contender c, long a) {
        if (c.attempt != a) {
            return;
        }
        KeyspaceReplica r = sim.randomOpenReplica(rnd);
        if (r == null) {
            sim.later(5, () -> step(c, a));
            return;
        }
        sim.linearizableRead(r.nodeId(), 200, () -> {
            if (c.attempt != a) {
                return;
            }
            if (!r.isOpen()) {
                sim.later(1, () -> step(c, a));
                return;
            }
            Bytes predecessor;
            long readRevision;
            if (sim.bug() == KeyspaceSimulation.PlantedBug.RECIPE_WITHOUT_OWN_KEY_CHECK) {
                // The protocol before the fix: only the newest older key, so a contender whose own key expired while
                // it waited still finds "nobody before me" and believes it leads.
                RangeResponse older = r.keyspace().range(new RangeRequest(Bytes.ofUtf8(prefix), prefixEnd(prefix), 1, 0,
                        RangeRequest.SortOrder.DESCEND, RangeRequest.SortTarget.CREATE, false, false, 0, 0, 0,
                        c.token - 1));
                if (older.kvs().isEmpty()) {
                    won(c, a, older.revision());
                    return;
                }
                predecessor = older.kvs().get(0).key();
                readRevision = older.revision();
            } else {
                // One read: the own key (the newest created up to the token) and the newest older one.
                RangeResponse line = r.keyspace().range(new RangeRequest(Bytes.ofUtf8(prefix), prefixEnd(prefix), 2, 0,
                        RangeRequest.SortOrder.DESCEND, RangeRequest.SortTarget.CREATE, false, false, 0, 0, 0,
                        c.token));
                if (line.kvs().isEmpty() || line.kvs().get(0).createRevision() != c.token) {
                    sim.trace(c.name + ": its key is gone at revision " + line.revision() + ": session lost");
                    sessionLost(c, a);
                    return;
                }
                if (line.kvs().size() == 1) {
                    won(c, a, line.revision());
                    return;
                }
                predecessor = line.kvs().get(1).key();
                readRevision = line.revision();
            }
            long w = ++c.watchToken;
            c.watchNode = r.nodeId();
            c.openWatchToken = w;
            watchesOnPredecessors++;
            WatchRequest watch = WatchRequest.key(predecessor).fromRevision(readRevision + 1).withFilters(true, false);
            long[] watchId = {-1};
            watchId[0] = r.hub().watch(watch, Runnable::run, m -> {
                if (c.watchToken != w) {
                    return;
                }
                c.watchToken++; // once: a deletion, or the watch ended (compacted, closed): read again
                c.watchNode = -1;
                if (!m.cancelled() && r.isOpen()) {
                    r.hub().cancel(watchId[0]);
                }
                sim.later(1, () -> step(c, a));
            }).watchId();
        }, () -> sim.later(1 + rnd.nextInt(10), () -> step(c, a)));
    }

    private void won(Contender c, long a, long revision) {
        if (c.wonInAttempt == a) {
            throw new AssertionError("harness: " + c.name + " won twice in one attempt (two step chains)");
        }
        c.wonInAttempt = a;
        sim.trace(c.name + " leads from revision " + revision + " with token " + c.token);
        check.won(c.name, c.key, c.token, revision);
        sim.later(20 + rnd.nextInt(300), () -> {
            if (c.attempt != a) {
                return;
            }
            if (rnd.nextInt(3) == 0) {
                lapses++;
                c.sessionWanted = false; // stops keeping the session alive: the key goes when the lease expires
            } else {
                resignations++;
                long leader = sim.leaderId();
                if (leader >= 0) {
                    // Leadership.resign: delete the key if this leadership still holds.
                    sim.submit(leader, new TxnRequest(List.of(Compare.number(c.key, Compare.Target.CREATE,
                                    Compare.Result.EQUAL, c.token)), List.of(DeleteRangeRequest.of(c.key)), List.of()),
                            300, result -> { });
                }
            }
            sim.later(10 + rnd.nextInt(100), () -> newSession(c));
        });
    }

    private void sessionLost(Contender c, long a) {
        if (c.attempt != a) {
            return;
        }
        sessionsLost++;
        c.attempt++;
        c.watchToken++;
        sim.later(10 + rnd.nextInt(50), () -> newSession(c));
    }

    /** Node {@code nodeId} crashed: a contender watching its predecessor there reads again elsewhere. */
    void nodeCrashed(long nodeId) {
        for (Contender c : contenders) {
            // Its open watch on the predecessor is gone (not one that fired, nor one of an abandoned attempt).
            if (c.watchNode == nodeId && c.watchToken == c.openWatchToken) {
                c.watchNode = -1;
                c.watchToken++;
                long a = c.attempt;
                sim.later(1, () -> step(c, a));
            }
        }
    }

    /** At the end: leaderships never overlapped and fencing tokens strictly increased. */
    void finish() {
        check.verify();
    }

    int wins() {
        return check.wins();
    }

    String summary() {
        return prefix + "contenders=" + contenders.size() + " wins=" + check.wins() + " resignations=" + resignations
                + " lapses=" + lapses + " sessionsLost=" + sessionsLost + " predecessorWatches="
                + watchesOnPredecessors;
    }

    static Bytes prefixEnd(String prefix) {
        byte[] b = Bytes.ofUtf8(prefix).toByteArray();
        b[b.length - 1]++;
        return Bytes.wrap(b);
    }
}
