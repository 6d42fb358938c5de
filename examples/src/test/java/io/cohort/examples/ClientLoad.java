package io.cohort.examples;

import static io.cohort.examples.MemberJvms.MEMBERS;
import static io.cohort.examples.MemberJvms.OP_TIMEOUT_MS;
import static io.cohort.examples.MemberJvms.WAIT_MS;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.examples.demo.MemberProcess;
import io.cohort.examples.demo.MemberProcess.Reply;
import io.cohort.examples.demo.ScriptedMember;
import io.cohort.linearizability.KvModel;
import io.cohort.linearizability.LinearizabilityChecker;
import io.cohort.linearizability.Operation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients writing and reading a few keys through every member of a {@link MemberJvms}, one request at a time each,
 * recording every call and its outcome (ok, certainly failed, unknown) for the linearizability checker; then the
 * checks that end every real-process test.
 */
final class ClientLoad {
    static final int CLIENTS = 4;
    static final int KEYS = 5;
    private static final long CHECKER_STEPS = 20_000_000;
    /**
     * A client starts at most one request per this interval (1,000 a second), so the history that the checker and the
     * final reads go through stays bounded (at most 4,000 operations a second) however fast the cluster gets.
     */
    private static final long MIN_REQUEST_INTERVAL_NS = TimeUnit.MICROSECONDS.toNanos(1_000);

    private final MemberJvms jvms;
    private final List<Operation<KvModel.Input, KvModel.Output>> history = Collections.synchronizedList(new ArrayList<>());
    private final List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> clients = new ArrayList<>();
    private volatile int isolatedMember;
    private final Map<String, Integer> isolatedOutcomes = new ConcurrentHashMap<>();

    /** An acknowledged write: {@code key} holds {@code value} at {@code revision}. */
    record Acked(String key, String value, long revision) {
    }

    ClientLoad(MemberJvms jvms) {
        this.jvms = jvms;
    }

    void start() {
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread t = new Thread(() -> runClient(client), "client-" + c);
            t.start();
            clients.add(t);
        }
    }

    /**
     * From now on client 0 sends only to {@code memberId} and the others never do (0: nobody is isolated): requests
     * to an isolated member wait out their timeout, and with every client stuck there the majority would see no load.
     */
    void isolate(int memberId) {
        isolatedMember = memberId;
    }

    /** How the requests sent to an isolated member ended, by outcome ("ok", "failed", "unknown"). */
    Map<String, Integer> isolatedOutcomes() {
        return new TreeMap<>(isolatedOutcomes);
    }

    /** Waits until at least {@code n} requests to the isolated member have ended. */
    void awaitIsolatedRequests(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (isolatedOutcomes.values().stream().mapToInt(Integer::intValue).sum() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + isolatedOutcomes + " requests to the isolated member ended of the "
                        + n + " awaited within " + WAIT_MS + " ms");
            }
            Thread.sleep(10);
        }
    }

    /** Writes acknowledged so far. */
    int acknowledged() {
        return acked.size();
    }

    /** Operations recorded so far. */
    int operations() {
        return history.size();
    }

    /** Waits until at least {@code n} writes are acknowledged and returns how many are. */
    int awaitAcknowledged(int n) throws InterruptedException {
        long waitMs = WAIT_MS + 10L * Math.max(0, n - acked.size()); // Room for long runs of writes too.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (acked.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + acked.size() + " writes acknowledged of the " + n
                        + " awaited within " + waitMs + " ms");
            }
            Thread.sleep(10);
        }
        return acked.size();
    }

    /** Stops the clients and waits for them (each finishes its request in flight). */
    void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : clients) {
            t.join(OP_TIMEOUT_MS + 5_000);
            assertThat(t.isAlive()).as("client %s ended", t.getName()).isFalse();
        }
    }

    /**
     * Once every member runs and has applied the same {@code revision}: final linearizable reads of every key through
     * every member join the history; every acknowledged write must be in every member's history at its revision with
     * its value; the keyspace hashes must be equal; the whole history must be linearizable.
     */
    void verify(long revision) throws Exception {
        long startNs = System.nanoTime();
        for (int id = 1; id <= MEMBERS; id++) {
            for (int k = 0; k < KEYS; k++) {
                String key = key(k);
                long call = System.nanoTime();
                Reply r = jvms.member(id).call("get " + key, OP_TIMEOUT_MS);
                assertThat(r.ok()).as("final read of %s on member %s: %s", key, id, r).isTrue();
                history.add(Operation.completed(100 + id, call, System.nanoTime(), new KvModel.Get(key),
                        KvModel.Output.read(absentToModel(r.word(1)))));
            }
        }

        for (int id = 1; id <= MEMBERS; id++) {
            List<CompletableFuture<Reply>> reads = new ArrayList<>();
            for (Acked a : acked) {
                reads.add(jvms.member(id).send("rget " + a.key() + " " + a.revision()));
            }
            int lost = 0;
            String firstLost = null;
            for (int i = 0; i < reads.size(); i++) {
                Reply r = reads.get(i).get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                if (!r.ok() || !r.word(1).equals(acked.get(i).value())) {
                    lost++;
                    firstLost = firstLost == null ? acked.get(i) + " read " + r : firstLost;
                }
            }
            assertThat(lost).as("acknowledged writes missing on member %s of %s (first: %s)", id, acked.size(),
                    firstLost).isZero();
        }

        List<String> hashes = new ArrayList<>();
        for (int id = 1; id <= MEMBERS; id++) {
            hashes.add(jvms.member(id).call("hash " + revision, OP_TIMEOUT_MS).word(0));
        }
        assertThat(hashes).as("keyspace hashes at revision %s", revision).containsOnly(hashes.get(0));

        long checkNs = System.nanoTime();
        LinearizabilityChecker.Result result = LinearizabilityChecker.check(new KvModel(), List.copyOf(history),
                CHECKER_STEPS);
        System.out.printf("verify: reads of every acknowledged write on every member %d ms, linearizability check %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(checkNs - startNs), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkNs));
        assertThat(result.verdict()).as("%s operations, %s acknowledged writes: %s", history.size(), acked.size(),
                result.explanation()).isEqualTo(LinearizabilityChecker.Verdict.LINEARIZABLE);
    }

    /** One client: one request at a time, through the members in turn, recording each call and its outcome. */
    private void runClient(int client) {
        SplittableRandom random = new SplittableRandom(client * 7919L + 1);
        int n = 0;
        long lastStartNs = System.nanoTime() - MIN_REQUEST_INTERVAL_NS;
        while (!stop.get()) {
            long waitNs = lastStartNs + MIN_REQUEST_INTERVAL_NS - System.nanoTime();
            if (waitNs > 0) {
                LockSupport.parkNanos(waitNs);
                continue; // Woken early or not: check stop and the interval again.
            }
            lastStartNs = System.nanoTime();
            int isolated = isolatedMember;
            int memberId = isolated != 0 && client == 0 ? isolated : 1 + (client + n) % MEMBERS;
            MemberProcess member = jvms.member(memberId);
            n++;
            if (member == null || !member.alive() || (memberId == isolated && client != 0)) {
                continue;
            }
            String key = key(random.nextInt(KEYS));
            String value = "c" + client + "-" + n;
            int kind = random.nextInt(4);
            KvModel.Input input;
            String request;
            if (kind <= 1) {
                input = new KvModel.Put(key, value);
                request = "put " + key + " " + value;
            } else if (kind == 2) {
                input = new KvModel.Get(key);
                request = "get " + key;
            } else {
                String expected = random.nextBoolean() ? lastValueOf(key) : ScriptedMember.ABSENT;
                input = new KvModel.Cas(key, absentToModel(expected), value);
                request = "cas " + key + " " + expected + " " + value;
            }
            long call = System.nanoTime();
            Reply reply;
            try {
                reply = member.send(request).get(OP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                reply = null; // The member died or did not answer: the outcome is unknown.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long ret = System.nanoTime();
            if (memberId == isolated) {
                isolatedOutcomes.merge(reply == null ? "unknown" : reply.status(), 1, Integer::sum);
            }
            boolean write = !(input instanceof KvModel.Get);
            if (reply == null || reply.status().equals("unknown")) {
                if (write) {
                    history.add(Operation.unknown(client, call, input));
                }
                continue; // A read with no answer has no effect: leaving it out is exact.
            }
            if (reply.status().equals("failed")) {
                continue; // Cohort says it certainly did not take effect; the checker holds it to that.
            }
            if (input instanceof KvModel.Put) {
                history.add(Operation.completed(client, call, ret, input, KvModel.Output.OK));
                acked.add(new Acked(key, value, reply.number(0)));
            } else if (input instanceof KvModel.Get) {
                history.add(Operation.completed(client, call, ret, input,
                        KvModel.Output.read(absentToModel(reply.word(1)))));
            } else {
                boolean succeeded = Boolean.parseBoolean(reply.word(1));
                history.add(Operation.completed(client, call, ret, input, KvModel.Output.flag(succeeded)));
                if (succeeded) {
                    acked.add(new Acked(key, value, reply.number(0)));
                }
            }
        }
    }

    /** A recent value written to {@code key} by anyone, so that some compare-and-sets succeed. */
    private String lastValueOf(String key) {
        synchronized (history) {
            for (int i = history.size() - 1; i >= 0 && i >= history.size() - 50; i--) {
                KvModel.Input in = history.get(i).input();
                if (in instanceof KvModel.Put p && p.key().equals(key)) {
                    return p.value();
                }
            }
        }
        return ScriptedMember.ABSENT;
    }

    private static String absentToModel(String word) {
        return word.equals(ScriptedMember.ABSENT) ? KvModel.ABSENT : word;
    }

    private static String key(int k) {
        return "lin/" + k;
    }
}
