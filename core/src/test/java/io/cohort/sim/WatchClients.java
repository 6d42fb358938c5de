package io.cohort.sim;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.WatchCreated;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import io.cohort.mvcc.WatchResponse.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Watch clients of the keyspace simulation: each opens a watch (one key, a range, a prefix or everything; from the
 * next revision, a past one, one below the compacted revision or a future one; with prev kvs and filters now and
 * then) on a random node's driven {@link io.cohort.mvcc.WatchHub}, asks for progress, cancels and resumes from the
 * cancellation's revision or its own last seen revision + 1, and resumes on another node when its node crashes. Every
 * message goes through the client's {@link WatchStreamCheck}; at the end every stream must have caught up with its
 * node.
 */
final class WatchClients {
    private final KeyspaceSimulation sim;
    private final WriteHistory history;
    private final SplittableRandom rnd;
    private final String[] keys;
    private final List<Client> clients = new ArrayList<>();
    long watchesOpened;
    long cancelsRequested;
    long progressRequested;
    long disconnects;
    long staleMessages;

    private final class Client {
        final int index;
        WatchRequest spec;
        WatchStreamCheck check;
        KeyspaceReplica replica;
        long watchId = -1;
        long token;
        boolean open; // a watch is open and not cancelled
        boolean resumeScheduled;

        Client(int index) {
            this.index = index;
        }

        String name() {
            return "client " + index;
        }
    }

    WatchClients(KeyspaceSimulation sim, WriteHistory history, long seed, String[] keys) {
        this.sim = sim;
        this.history = history;
        this.rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x77A7C4L);
        this.keys = keys;
        int n = 1 + rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            clients.add(new Client(i));
        }
    }

    void start() {
        for (Client c : clients) {
            sim.later(1 + rnd.nextInt(sim.chaosUnits() / 2), () -> first(c));
        }
    }

    private void first(Client c) {
        KeyspaceReplica r = sim.randomOpenReplica(rnd);
        if (r == null) {
            sim.later(5, () -> first(c));
            return;
        }
        c.spec = randomSpec();
        c.check = new WatchStreamCheck(c.name(), history, c.spec, sim::failFromListener);
        long latest = history.latestRevision();
        long start = switch (rnd.nextInt(5)) {
            case 0 -> 1 + (latest > 0 ? rnd.nextLong(latest) : 0); // past
            case 1 -> history.maxCompaction() > 0 ? 1 + rnd.nextLong(history.maxCompaction()) : 0; // compacted
            case 2 -> latest + 1 + rnd.nextInt(20); // future
            default -> 0; // from the node's next revision
        };
        WatchCreated created = watch(c, r, c.spec.fromRevision(start));
        c.check.started(start, created.revision());
        sim.later(10 + rnd.nextInt(100), () -> act(c));
    }

    private WatchRequest randomSpec() {
        Bytes nul = Bytes.ofUtf8("\0");
        WatchRequest req = switch (rnd.nextInt(5)) {
            case 0 -> WatchRequest.key(Bytes.ofUtf8(keys[rnd.nextInt(keys.length)]));
            case 1 -> {
                int a = rnd.nextInt(keys.length);
                int b = a + 1 + rnd.nextInt(keys.length - a);
                yield WatchRequest.range(Bytes.ofUtf8("k" + a), Bytes.ofUtf8("k" + b));
            }
            case 2 -> WatchRequest.range(Bytes.ofUtf8("k"), Bytes.ofUtf8("l")); // prefix k
            case 3 -> WatchRequest.range(Bytes.ofUtf8("k1"), nul); // from k1 to the end
            default -> WatchRequest.range(nul, nul); // every key
        };
        if (rnd.nextBoolean()) {
            req = req.withPrevKv();
        }
        if (rnd.nextInt(6) == 0) {
            req = req.withFilters(rnd.nextBoolean(), rnd.nextBoolean());
        }
        if (rnd.nextBoolean()) {
            req = req.withProgressNotify();
        }
        return req;
    }

    private WatchCreated watch(Client c, KeyspaceReplica r, WatchRequest request) {
        long token = ++c.token;
        c.replica = r;
        c.open = true;
        WatchCreated created = r.hub().watch(request, Runnable::run, m -> onMessage(c, token, m));
        c.watchId = created.watchId();
        watchesOpened++;
        sim.trace("watch " + c.name() + " on node " + r.nodeId() + ": " + request + " -> " + created);
        return created;
    }

    private void onMessage(Client c, long token, WatchResponse m) {
        if (token != c.token) {
            staleMessages++; // a watch the client already left (its node crashed): the client never sees it
            return;
        }
        sim.trace("watch " + c.name() + " <- node " + c.replica.nodeId() + ": " + m.kind() + " " + m.revision() + " "
                + m.events().size() + " events");
        c.check.onMessage(m);
        if (m.cancelled()) {
            c.open = false;
            scheduleResume(c);
        }
    }

    /** The client's random actions while faults last: progress requests and cancels. */
    private void act(Client c) {
        if (sim.chaosOver()) {
            return;
        }
        if (c.open && c.replica.isOpen()) {
            int a = rnd.nextInt(6);
            if (a == 0) {
                cancelsRequested++;
                c.replica.hub().cancel(c.watchId);
            } else if (a <= 2) {
                progressRequested++;
                c.replica.hub().requestProgress(c.watchId);
            }
        }
        sim.later(20 + rnd.nextInt(200), () -> act(c));
    }

    private void scheduleResume(Client c) {
        if (!c.resumeScheduled) {
            c.resumeScheduled = true;
            sim.later(1 + rnd.nextInt(30), () -> resume(c));
        }
    }

    private void resume(Client c) {
        c.resumeScheduled = false;
        KeyspaceReplica r = sim.randomOpenReplica(rnd);
        if (r == null) {
            scheduleResume(c);
            return;
        }
        long from;
        if (c.check.cancelledResume() >= 0) {
            from = c.check.cancelledKind() == Kind.CANCELLED_COMPACTED || rnd.nextBoolean()
                    ? c.check.cancelledResume() : c.check.next();
        } else {
            from = c.check.next();
        }
        c.check.resumed(from);
        watch(c, r, c.spec.fromRevision(from));
    }

    /** Node {@code nodeId} crashed: its clients lose their watches and resume elsewhere from their last seen + 1. */
    void nodeCrashed(long nodeId) {
        for (Client c : clients) {
            if (c.open && c.replica != null && c.replica.nodeId() == nodeId) {
                c.open = false;
                c.token++;
                disconnects++;
                scheduleResume(c);
            }
        }
    }

    /**
     * After the faults: every client gets its watch back, every hub delivers all it has, each stream answers a
     * progress request, and then each must be caught up with its node.
     */
    void finish() {
        for (int round = 0; round < 50; round++) {
            sim.runUnits(KeyspaceSimulation.TICK_UNITS);
            boolean allOpen = true;
            for (Client c : clients) {
                if (c.check == null) {
                    continue; // never started (the run was short)
                }
                if (!c.open) {
                    allOpen = false;
                    if (!c.resumeScheduled) {
                        scheduleResume(c);
                    }
                }
            }
            if (!allOpen) {
                continue;
            }
            sim.drainHubs();
            for (Client c : clients) {
                if (c.check != null) {
                    c.replica.hub().requestProgress(c.watchId);
                }
            }
            sim.drainHubs();
            boolean stillOpen = true;
            for (Client c : clients) {
                stillOpen &= c.check == null || c.open;
            }
            if (!stillOpen) {
                continue; // a watch ended meanwhile: resume it and try again
            }
            for (Client c : clients) {
                if (c.check != null) {
                    c.check.caughtUpTo(c.replica.keyspace().currentRevision());
                }
            }
            return;
        }
        sim.failRun("watch clients did not all get an open watch within 50 ticks after the faults stopped");
    }

    /** A one-line summary. */
    String summary() {
        long events = 0;
        long progress = 0;
        long resumes = 0;
        long compacted = 0;
        for (Client c : clients) {
            if (c.check != null) {
                events += c.check.eventsDelivered;
                progress += c.check.progressNotifications;
                resumes += c.check.resumes;
                compacted += c.check.compactedCancels;
            }
        }
        return "watchers=" + clients.size() + " watches=" + watchesOpened + " watchEvents=" + events + " progress="
                + progress + " resumes=" + resumes + " compactedCancels=" + compacted + " cancels=" + cancelsRequested
                + " disconnects=" + disconnects;
    }

    long eventsDelivered() {
        return clients.stream().filter(c -> c.check != null).mapToLong(c -> c.check.eventsDelivered).sum();
    }

    long resumes() {
        return clients.stream().filter(c -> c.check != null).mapToLong(c -> c.check.resumes).sum();
    }

    long compactedCancels() {
        return clients.stream().filter(c -> c.check != null).mapToLong(c -> c.check.compactedCancels).sum();
    }

    long progressNotifications() {
        return clients.stream().filter(c -> c.check != null).mapToLong(c -> c.check.progressNotifications).sum();
    }
}
