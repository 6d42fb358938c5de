package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.Watch;
import io.cohort.WatchCancellation;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Shared configuration: every replica of a service keeps a live, local copy of the keys under {@code config/checkout/}
 * and sees a change the moment it is committed, whichever replica made it. The pattern is {@link LiveConfig}: read the
 * prefix once (linearizable), then watch it from the next revision, so no change is missed or seen twice.
 *
 * <p>This main runs three replicas in one JVM over TCP on 127.0.0.1 to stay self-contained; in a real service each
 * replica runs one {@link CohortNode} ({@link ClusterMember#startMember}) and one {@link LiveConfig}.
 */
public final class SharedConfigExample {
    private static final String PREFIX = "config/checkout/";

    private SharedConfigExample() {
    }

    /**
     * A live copy of the keys under a prefix on one member: a read, then a watch from the revision after it. Reads
     * are local and never block; {@link #revision()} says how recent the copy is.
     */
    public static final class LiveConfig implements AutoCloseable {
        private final CohortNode node;
        private final String prefix;
        private final Map<String, String> values = new TreeMap<>();
        private long revision;
        private Watch watch;

        /** Loads the keys under {@code prefix} from {@code node} and starts following them. */
        public LiveConfig(CohortNode node, String prefix) {
            this.node = node;
            this.prefix = prefix;
            resync();
        }

        /** The current value of {@code key} (the full key, prefix included), or {@code fallback}. */
        public synchronized String get(String key, String fallback) {
            return values.getOrDefault(key, fallback);
        }

        /** A copy of every key and value. */
        public synchronized Map<String, String> all() {
            return new TreeMap<>(values);
        }

        /** The keyspace revision this copy reflects. */
        public synchronized long revision() {
            return revision;
        }

        /** Waits until this copy reflects revision {@code atLeast} (e.g. the revision of a put just made elsewhere). */
        public synchronized boolean awaitRevision(long atLeast, long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (revision < atLeast) {
                long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMs <= 0) {
                    return false;
                }
                wait(leftMs);
            }
            return true;
        }

        /** Stops following. */
        @Override
        public synchronized void close() {
            watch.cancel();
        }

        /** Reads everything again and watches from there (at start, and if the watch is ever cancelled). */
        private synchronized void resync() {
            GetResult snapshot = node.kv().get(KeyRange.prefix(prefix));
            values.clear();
            for (KeyValue kv : snapshot.kvs()) {
                values.put(kv.key().toStringUtf8(), kv.value().toStringUtf8());
            }
            revision = snapshot.revision();
            watch = node.watcher().watch(WatchSpec.prefix(prefix).fromRevision(snapshot.revision() + 1), new WatchListener() {
                @Override
                public void onEvents(List<Event> events, long atRevision) {
                    apply(events, atRevision);
                }

                @Override
                public void onCancelled(WatchCancellation cancellation) {
                    // Compacted history or a slow listener: start over from a fresh read. A close of our own or of
                    // the node ends here too, and then there is nothing to follow.
                    if (cancellation.reason() == WatchCancellation.Reason.COMPACTED
                            || cancellation.reason() == WatchCancellation.Reason.SLOW_CONSUMER) {
                        resync();
                    }
                }
            });
            notifyAll();
        }

        private synchronized void apply(List<Event> events, long atRevision) {
            for (Event e : events) {
                String key = e.kv().key().toStringUtf8();
                if (e.type() == Event.Type.PUT) {
                    values.put(key, e.kv().value().toStringUtf8());
                } else {
                    values.remove(key);
                }
            }
            revision = Math.max(revision, atRevision);
            notifyAll();
        }
    }

    /** What every replica's copy held after each change (replica 1 first) and what replica 3 read from its copy. */
    record Outcome(List<Map<String, String>> afterFirstChange, List<Map<String, String>> afterSecondChange,
                   String timeoutUsed, String retriesUsed) {
    }

    /** Runs three replicas, changes the configuration through one of them, and shows every replica's copy. */
    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static Outcome run(PrintStream out) throws Exception {
        Path root = Files.createTempDirectory("cohort-shared-config");
        Map<Long, String> members = new LinkedHashMap<>();
        for (long id = 1; id <= 3; id++) {
            members.put(id, "127.0.0.1:" + freePort());
        }
        List<CohortNode> nodes = new ArrayList<>();
        List<LiveConfig> configs = new ArrayList<>();
        try {
            for (long id : members.keySet()) {
                nodes.add(ClusterMember.startMember(id, root.resolve("member-" + id), members));
            }
            for (CohortNode node : nodes) {
                configs.add(new LiveConfig(node, PREFIX)); // The first read waits for the election.
            }
            CohortNode operator = nodes.get(0);

            out.println("An operator sets the checkout timeout and retries through replica 1:");
            operator.kv().put(PREFIX + "timeout-ms", "2500");
            long revision = operator.kv().put(PREFIX + "retries", "3").revision();
            List<Map<String, String>> first = show(out, configs, revision);

            out.println("\nThen raises the timeout and removes the retries setting:");
            operator.kv().put(PREFIX + "timeout-ms", "4000");
            revision = operator.kv().delete(PREFIX + "retries").revision();
            List<Map<String, String>> second = show(out, configs, revision);

            String timeout = configs.get(2).get(PREFIX + "timeout-ms", "1000");
            String retries = configs.get(2).get(PREFIX + "retries", "0 (the default)");
            out.println("\nA replica uses its copy without any network round: timeout = " + timeout + " ms, retries = "
                    + retries);
            return new Outcome(first, second, timeout, retries);
        } finally {
            configs.forEach(LiveConfig::close);
            nodes.forEach(CohortNode::close);
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Waits until every copy reflects {@code revision}, prints them and returns them. */
    private static List<Map<String, String>> show(PrintStream out, List<LiveConfig> configs, long revision)
            throws InterruptedException {
        List<Map<String, String>> copies = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            LiveConfig c = configs.get(i);
            if (!c.awaitRevision(revision, 10_000)) {
                throw new IllegalStateException("replica " + (i + 1) + " did not see revision " + revision + " in 10 s");
            }
            Map<String, String> copy = c.all();
            copies.add(copy);
            out.println("  replica " + (i + 1) + " at revision " + c.revision() + ": " + copy);
        }
        return copies;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
