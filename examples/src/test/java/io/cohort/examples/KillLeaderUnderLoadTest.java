package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.examples.demo.MemberProcess;
import io.cohort.examples.demo.MemberProcess.Reply;
import io.cohort.examples.demo.ScriptedMember;
import io.cohort.linearizability.KvModel;
import io.cohort.linearizability.LinearizabilityChecker;
import io.cohort.linearizability.Operation;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three member JVMs over TCP on loopback; clients write and read through all of them; the leader's JVM is killed
 * with SIGKILL mid-load and restarted on its data directory. Then: every acknowledged write is in every member's
 * history at its revision, the clients' recorded history is linearizable, and the keyspace hashes are equal.
 */
class KillLeaderUnderLoadTest {
    private static final int MEMBERS = 3;
    private static final int CLIENTS = 4;
    private static final int KEYS = 5;
    private static final long OP_TIMEOUT_MS = 10_000;
    private static final long WAIT_MS = 20_000;
    private static final long CHECKER_STEPS = 20_000_000;

    @TempDir
    Path root;

    private final Map<Long, String> addresses = new LinkedHashMap<>();
    private final AtomicReferenceArray<MemberProcess> members = new AtomicReferenceArray<>(MEMBERS + 1);

    /** An acknowledged write: {@code key} holds {@code value} at {@code revision}. */
    private record Acked(String key, String value, long revision) {
    }

    @AfterEach
    void stopMembers() {
        for (int id = 1; id <= MEMBERS; id++) {
            MemberProcess m = members.get(id);
            if (m != null) {
                m.close();
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noAcknowledgedWriteIsLostAndTheHistoryIsLinearizableWhenTheLeaderIsKilledUnderLoad() throws Exception {
        for (long id = 1; id <= MEMBERS; id++) {
            addresses.put(id, "127.0.0.1:" + freePort());
        }
        for (int id = 1; id <= MEMBERS; id++) {
            start(id);
        }
        awaitLeader(0);

        List<Operation<KvModel.Input, KvModel.Output>> history = Collections.synchronizedList(new ArrayList<>());
        List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            Thread t = new Thread(() -> runClient(client, stop, history, acked), "client-" + c);
            t.start();
            clients.add(t);
        }

        int ackedBeforeKill = awaitAcked(acked, 100);
        int leader = (int) awaitLeader(0);
        long pidBefore = members.get(leader).pid();
        long killedAt = System.nanoTime();
        members.get(leader).kill();
        long newLeader = awaitLeader(leader);
        long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        // Requests forwarded to the dead leader wait out their timeout (outcome unknown); then the load resumes.
        int ackedWithoutOldLeader = awaitAcked(acked, acked.size() + 100);
        long resumedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        start(leader); // On its data directory, while the load goes on.
        int ackedAfterRestart = awaitAcked(acked, acked.size() + 100);
        stop.set(true);
        for (Thread t : clients) {
            t.join(OP_TIMEOUT_MS + 5_000);
            assertThat(t.isAlive()).as("client %s ended", t.getName()).isFalse();
        }
        assertThat(newLeader).isNotEqualTo(leader);
        assertThat(members.get(leader).pid()).isNotEqualTo(pidBefore);

        long revision = awaitSameRevision();

        // Final linearizable reads of every key through every member join the history.
        for (int id = 1; id <= MEMBERS; id++) {
            for (int k = 0; k < KEYS; k++) {
                String key = key(k);
                long call = System.nanoTime();
                Reply r = members.get(id).call("get " + key, OP_TIMEOUT_MS);
                assertThat(r.ok()).as("final read of %s on member %s: %s", key, id, r).isTrue();
                history.add(Operation.completed(100 + id, call, System.nanoTime(), new KvModel.Get(key),
                        KvModel.Output.read(absentToModel(r.word(1)))));
            }
        }

        // No acknowledged write lost: each is in every member's history, at its revision, with its value.
        for (int id = 1; id <= MEMBERS; id++) {
            List<CompletableFuture<Reply>> reads = new ArrayList<>();
            for (Acked a : acked) {
                reads.add(members.get(id).send("rget " + a.key() + " " + a.revision()));
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
            hashes.add(members.get(id).call("hash " + revision, OP_TIMEOUT_MS).word(0));
        }
        assertThat(hashes).as("keyspace hashes at revision %s", revision).containsOnly(hashes.get(0));

        System.out.printf("kill -9 of leader %d: new leader %d after %d ms, 100 more writes acknowledged %d ms after "
                + "the kill; %d writes acknowledged (%d by the kill, %d by the restart, %d when load stopped), %d "
                + "operations checked%n", leader, newLeader, electedMs, resumedMs, acked.size(), ackedBeforeKill,
                ackedWithoutOldLeader, ackedAfterRestart, history.size());
        LinearizabilityChecker.Result result = LinearizabilityChecker.check(new KvModel(), List.copyOf(history),
                CHECKER_STEPS);
        assertThat(result.verdict()).as("%s operations, %s acknowledged writes: %s", history.size(), acked.size(),
                result.explanation()).isEqualTo(LinearizabilityChecker.Verdict.LINEARIZABLE);
    }

    /** Waits until at least {@code n} writes are acknowledged and returns how many are. */
    private static int awaitAcked(List<Acked> acked, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (acked.size() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + acked.size() + " writes acknowledged of the " + n
                        + " awaited within " + WAIT_MS + " ms");
            }
            Thread.sleep(10);
        }
        return acked.size();
    }

    /** One client: one request at a time, through the members in turn, recording each call and its outcome. */
    private void runClient(int client, AtomicBoolean stop, List<Operation<KvModel.Input, KvModel.Output>> history,
                           List<Acked> acked) {
        SplittableRandom random = new SplittableRandom(client * 7919L + 1);
        int n = 0;
        while (!stop.get()) {
            MemberProcess member = members.get(1 + (client + n) % MEMBERS);
            n++;
            if (member == null || !member.alive()) {
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
                String expected = random.nextBoolean() ? lastValueOf(history, key) : ScriptedMember.ABSENT;
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
    private static String lastValueOf(List<Operation<KvModel.Input, KvModel.Output>> history, String key) {
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

    private void start(int id) throws IOException {
        Path dir = root.resolve("member-" + id);
        Files.createDirectories(dir);
        members.set(id, MemberProcess.start(id, dir, addresses, root.resolve("member-" + id + ".log"), event -> { }));
    }

    /** Waits until every live member names the same live leader other than {@code notThis}. */
    private long awaitLeader(long notThis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (System.nanoTime() < deadline) {
            long agreed = -1;
            for (int id = 1; id <= MEMBERS; id++) {
                MemberProcess m = members.get(id);
                if (m == null || !m.alive()) {
                    continue;
                }
                long seen = m.call("status", OP_TIMEOUT_MS).number(0);
                agreed = agreed == -1 || agreed == seen ? seen : 0;
            }
            if (agreed > 0 && agreed != notThis && members.get((int) agreed).alive()) {
                return agreed;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no leader agreed on within " + WAIT_MS + " ms");
    }

    /** Waits until all members have applied the same revision and returns it. */
    private long awaitSameRevision() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        List<Long> revisions = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            revisions.clear();
            for (int id = 1; id <= MEMBERS; id++) {
                revisions.add(members.get(id).call("status", OP_TIMEOUT_MS).number(4));
            }
            if (revisions.stream().distinct().count() == 1) {
                return revisions.get(0);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("members did not reach the same revision within " + WAIT_MS + " ms: " + revisions);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
