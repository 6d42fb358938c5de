package io.cohort.examples;

import io.cohort.examples.demo.MemberProcess;
import io.cohort.examples.demo.MemberProcess.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The demo: three Cohort members, each in its own JVM, replicate one keyspace over TCP on 127.0.0.1. It writes on
 * one member and reads on the others, watches from a third, kills the leader's JVM with SIGKILL, watches a new
 * leader take over, restarts the killed member and checks that every acknowledged write survived on every member.
 * Run it with {@code ./mvnw -B -q -Pdemo -pl examples -am -DskipTests verify}.
 */
public final class Demo {
    private static final long TIMEOUT_MS = 15_000;
    private static final int ORDERS_BEFORE_CRASH = 200;
    private static final int ORDERS_AFTER_CRASH = 100;

    private final Path root;
    private final Map<Long, String> addresses = new LinkedHashMap<>();
    private final Map<Long, MemberProcess> members = new LinkedHashMap<>();
    private final Map<String, String> acknowledged = new LinkedHashMap<>(); // Key -> its last acknowledged value.
    private int acknowledgedWrites;
    private volatile CountDownLatch watchFired = new CountDownLatch(1);
    private volatile long watcherId;

    private Demo(Path root) {
        this.root = root;
    }

    /** Runs the demo; exits 0 if every check passed, 1 if not. */
    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("cohort-demo");
        Demo demo = new Demo(root);
        boolean passed = false;
        try {
            passed = demo.run();
        } catch (RuntimeException e) {
            say("\nThe demo failed: " + e.getMessage() + "\nMember logs: " + root);
            throw e;
        } finally {
            demo.members.values().forEach(MemberProcess::close);
            if (passed) {
                deleteRecursively(root);
            }
        }
        say(passed ? "\nAll members stopped and their temporary data deleted. That was Cohort." : "\nFAILED (member logs in " + root + ")");
        System.exit(passed ? 0 : 1);
    }

    private boolean run() throws Exception {
        long started = System.nanoTime();
        for (long id = 1; id <= 3; id++) {
            addresses.put(id, "127.0.0.1:" + freePort());
        }
        say("Cohort demo: one keyspace replicated by three members with Raft. Each member runs in its own JVM");
        say("(as it would inside three replicas of your service) and they talk TCP on 127.0.0.1.\n");
        for (long id : addresses.keySet()) {
            start(id);
            say("  member " + id + " started: pid " + members.get(id).pid() + ", port "
                    + addresses.get(id).substring(addresses.get(id).indexOf(':') + 1) + ", data in " + dataDir(id));
        }
        long leader = awaitLeader(0);
        say("  the members held an election: member " + leader + " is the leader (term " + term(leader) + ").\n");

        List<Long> followers = others(leader);
        long writer = followers.get(0);
        long watcher = followers.get(1);

        watcherId = watcher;
        say("1. A watch. Member " + watcher + " watches every key under config/ and prints what changes.");
        check(members.get(watcher).call("watch config/", TIMEOUT_MS).ok(), "the watch started");

        say("\n2. A write on one member is seen by all. Member " + writer + " (a follower: it forwards the write to the");
        say("   leader, which replicates it to a majority before answering) writes config/checkout/timeout-ms = 2500:");
        put(writer, "config/checkout/timeout-ms", "2500");
        awaitWatch();
        for (long id : addresses.keySet()) {
            Reply r = members.get(id).call("get config/checkout/timeout-ms", TIMEOUT_MS);
            check(r.ok() && r.word(1).equals("2500"), "member " + id + " reads 2500");
            say("   member " + id + " reads config/checkout/timeout-ms = " + r.word(1) + " (revision " + r.word(0) + ")");
        }

        say("\n3. Some load: member " + writer + " writes " + ORDERS_BEFORE_CRASH + " orders (orders/0001 ...), "
                + "all acknowledged.");
        writeOrders(writer, 1, ORDERS_BEFORE_CRASH);

        say("\n4. A crash. kill -9 the leader, member " + leader + " (pid " + members.get(leader).pid() + "): no goodbye, "
                + "no flush.");
        long killedAt = System.nanoTime();
        members.get(leader).kill();
        long newLeader = awaitLeader(leader);
        say("   member " + newLeader + " won the next election after " + millisSince(killedAt) + " ms (term "
                + term(newLeader) + "). Two of three members are a majority, so the group keeps going.");

        say("\n5. Life goes on without it. Member " + writer + " changes the timeout again and writes "
                + ORDERS_AFTER_CRASH + " more orders:");
        watchFired = new CountDownLatch(1);
        put(writer, "config/checkout/timeout-ms", "4000");
        awaitWatch();
        writeOrders(writer, ORDERS_BEFORE_CRASH + 1, ORDERS_AFTER_CRASH);
        say("   done: " + acknowledgedWrites + " writes acknowledged in all, to " + acknowledged.size() + " keys.");

        say("\n6. Member " + leader + " restarts on its data directory: it replays its own log, then the leader sends it");
        say("   what it missed.");
        start(leader);
        long caughtUp = awaitSameRevision();
        say("   member " + leader + " is back (pid " + members.get(leader).pid() + "), follows member "
                + members.get(leader).call("status", TIMEOUT_MS).word(0) + " and is at revision " + caughtUp
                + " like the others.");

        say("\n7. The checks.");
        for (long id : addresses.keySet()) {
            int found = countAcknowledgedOn(id);
            check(found == acknowledged.size(), "member " + id + " holds the last acknowledged value of every key, found "
                    + found + " of " + acknowledged.size());
            say("   member " + id + " holds the last acknowledged value of all " + found + " keys.");
        }
        List<String> hashes = new ArrayList<>();
        for (long id : addresses.keySet()) {
            hashes.add(members.get(id).call("hash " + caughtUp, TIMEOUT_MS).word(0));
        }
        check(hashes.stream().distinct().count() == 1, "equal keyspace hashes, got " + hashes);
        say("   keyspace hashes at revision " + caughtUp + ": " + String.join(", ", hashes)
                + " - identical on the three members.");
        say("\nEverything checked out, in " + millisSince(started) / 1000.0 + " s.");
        return true;
    }

    private void start(long id) throws IOException {
        Files.createDirectories(dataDir(id));
        members.put(id, MemberProcess.start(id, dataDir(id), addresses, root.resolve("member-" + id + ".log"),
                event -> onWatchEvent(event)));
    }

    private void onWatchEvent(String line) {
        // "event PUT key value revision"
        String[] w = line.split(" ");
        say("   [member " + watcherId + "'s watch] " + w[1] + " " + w[2] + " = " + w[3] + " at revision " + w[4]);
        watchFired.countDown();
    }

    private void awaitWatch() throws InterruptedException {
        check(watchFired.await(TIMEOUT_MS, TimeUnit.MILLISECONDS), "the watch fired");
    }

    private Path dataDir(long id) {
        return root.resolve("member-" + id);
    }

    private long put(long id, String key, String value) {
        Reply r = members.get(id).call("put " + key + " " + value, TIMEOUT_MS);
        check(r.ok(), "put " + key + " acknowledged, got " + r);
        acknowledged.put(key, value);
        acknowledgedWrites++;
        return r.number(0);
    }

    /** Writes orders/{from..from+n-1}, a few in flight at a time, and keeps the acknowledged ones. */
    private void writeOrders(long id, int from, int n) {
        int inFlight = 16;
        for (int start = from; start < from + n; start += inFlight) {
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            int end = Math.min(from + n, start + inFlight);
            for (int i = start; i < end; i++) {
                replies.add(members.get(id).send("put " + order(i) + " amount=" + i));
            }
            for (int i = start; i < end; i++) {
                Reply r = replies.get(i - start).orTimeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).join();
                check(r.ok(), "put " + order(i) + " acknowledged, got " + r);
                acknowledged.put(order(i), "amount=" + i);
                acknowledgedWrites++;
            }
        }
    }

    private static String order(int i) {
        return String.format("orders/%04d", i);
    }

    /** Reads every acknowledged key on member {@code id} (locally, without Raft) and counts the right values. */
    private int countAcknowledgedOn(long id) {
        Map<String, CompletableFuture<Reply>> reads = new LinkedHashMap<>();
        acknowledged.keySet().forEach(key -> reads.put(key, members.get(id).send("sget " + key)));
        int found = 0;
        for (Map.Entry<String, CompletableFuture<Reply>> e : reads.entrySet()) {
            Reply r = e.getValue().orTimeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).join();
            if (r.ok() && r.word(1).equals(acknowledged.get(e.getKey()))) {
                found++;
            }
        }
        return found;
    }

    /** Waits until every live member names the same live leader other than {@code notThis}. */
    private long awaitLeader(long notThis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            long agreed = -1;
            for (MemberProcess m : members.values()) {
                if (!m.alive()) {
                    continue;
                }
                long seen = m.call("status", TIMEOUT_MS).number(0);
                agreed = agreed == -1 || agreed == seen ? seen : 0;
            }
            if (agreed > 0 && agreed != notThis && members.get(agreed).alive()) {
                return agreed;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader agreed on within " + TIMEOUT_MS + " ms");
    }

    /** Waits until all members have applied the same revision and returns it. */
    private long awaitSameRevision() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            List<Long> revisions = new ArrayList<>();
            for (MemberProcess m : members.values()) {
                revisions.add(m.call("status", TIMEOUT_MS).number(4));
            }
            if (revisions.stream().distinct().count() == 1) {
                return revisions.get(0);
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the members did not reach the same revision within " + TIMEOUT_MS + " ms");
    }

    private long term(long id) {
        return members.get(id).call("status", TIMEOUT_MS).number(2);
    }

    private List<Long> others(long id) {
        return addresses.keySet().stream().filter(m -> m != id).toList();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("check failed: " + what);
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
