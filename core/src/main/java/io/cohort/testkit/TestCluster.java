package io.cohort.testkit;

import io.cohort.CohortNode;
import io.cohort.TransportFactory;
import io.cohort.raft.transport.InMemoryNetwork;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A Cohort group in one JVM for tests: members 1..n on the in-memory transport, each with its own temporary data
 * directory (deleted on {@link #close()}). Members can be killed and restarted on their data directory, and the
 * network partitioned and healed.
 *
 * <pre>{@code
 * try (TestCluster cluster = TestCluster.start(3)) {
 *     cluster.awaitLeader().kv().put("k", "v");
 *     cluster.isolate(cluster.leader());
 * }
 * }</pre>
 */
public final class TestCluster implements AutoCloseable {
    private static final long DEFAULT_AWAIT_MS = 10_000;

    private final Path root;
    private final boolean ownsRoot;
    private final InMemoryNetwork network;
    private final Map<Long, String> addresses = new LinkedHashMap<>();
    private final Map<Long, CohortNode> nodes = new TreeMap<>();
    private final Consumer<CohortNode.Builder> tuning;
    private boolean closed;

    private TestCluster(int size, Path root, boolean ownsRoot, long seed, Consumer<CohortNode.Builder> tuning) {
        if (size < 1 || size > 99) {
            throw new IllegalArgumentException("size must be in [1, 99], was " + size);
        }
        this.root = root;
        this.ownsRoot = ownsRoot;
        this.network = InMemoryNetwork.create(seed);
        this.tuning = tuning;
        for (long id = 1; id <= size; id++) {
            addresses.put(id, "in-memory:" + id);
        }
        try {
            for (long id : addresses.keySet()) {
                nodes.put(id, startNode(id));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Starts {@code size} members with fast test timings (10 ms ticks, 150 ms election timeout). */
    public static TestCluster start(int size) {
        return builder().size(size).start();
    }

    /** A builder, to change timings or the data directory. */
    public static Builder builder() {
        return new Builder();
    }

    private CohortNode startNode(long id) {
        CohortNode.Builder b = CohortNode.builder()
                .memberId(id)
                .dataDir(root.resolve("member-" + id))
                .members(addresses)
                .transport(TransportFactory.of(network::transport))
                .tickMs(10)
                .electionTimeoutMs(150)
                .requestTimeoutMs(3_000);
        tuning.accept(b);
        return b.start();
    }

    /** Member {@code id} (1-based), running or killed. */
    public CohortNode node(long id) {
        CohortNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no member " + id + " in " + nodes.keySet());
        }
        return n;
    }

    /** Every member, in ID order (killed ones included). */
    public List<CohortNode> nodes() {
        return List.copyOf(nodes.values());
    }

    /** The members that are running. */
    public List<CohortNode> running() {
        return nodes.values().stream().filter(n -> !n.isClosed()).toList();
    }

    /** The current leader, waiting for one (up to 10 s). */
    public CohortNode leader() {
        return awaitLeader();
    }

    /** The running members other than the current leader. */
    public List<CohortNode> followers() {
        CohortNode leader = awaitLeader();
        return running().stream().filter(n -> n != leader).toList();
    }

    /** Waits up to 10 s for a running member that leads and that a majority of the running members follow. */
    public CohortNode awaitLeader() {
        return awaitLeader(DEFAULT_AWAIT_MS);
    }

    /** Waits up to {@code timeoutMs} for a leader a majority of the running members agree on. */
    public CohortNode awaitLeader(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            List<CohortNode> up = running();
            for (CohortNode n : up) {
                if (n.maintenance().status().isLeader() && !isolated(n.memberId())) {
                    long agree = up.stream().filter(o -> o.cluster().leader().orElse(0) == n.memberId()).count();
                    if (agree > nodes.size() / 2) {
                        return n;
                    }
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no leader within " + timeoutMs + " ms: " + describe());
            }
            sleep(5);
        }
    }

    private boolean isolated(long id) {
        long reachable = addresses.keySet().stream().filter(o -> o != id && !network.isCut(id, o)).count();
        return reachable + 1 <= nodes.size() / 2;
    }

    /** Stops {@code node} (a clean close: its data stays for {@link #restart}). */
    public void kill(CohortNode node) {
        node(node.memberId()).close();
    }

    /** Starts member {@code node} again on its data directory; returns the new node (also {@link #node}). */
    public CohortNode restart(CohortNode node) {
        long id = node.memberId();
        CohortNode old = node(id);
        if (!old.isClosed()) {
            old.close();
        }
        CohortNode fresh = startNode(id);
        nodes.put(id, fresh);
        return fresh;
    }

    /** Cuts the given members from every other member, both ways, until {@link #heal()}. */
    public void partition(CohortNode... side) {
        Set<Long> a = new HashSet<>();
        for (CohortNode n : side) {
            a.add(n.memberId());
        }
        Set<Long> b = new HashSet<>(addresses.keySet());
        b.removeAll(a);
        network.partition(a, b);
    }

    /** Cuts {@code node} from every other member until {@link #heal()}. */
    public void isolate(CohortNode node) {
        network.isolate(node.memberId());
    }

    /** Removes every partition and isolation. */
    public void heal() {
        network.heal();
    }

    /** The in-memory network (for fault injection beyond partitions). */
    public InMemoryNetwork network() {
        return network;
    }

    /** The root of the members' data directories. */
    public Path dataRoot() {
        return root;
    }

    /**
     * Waits until every running member has applied the same index, then returns their keyspace hashes by member
     * (equal on a consistent group).
     */
    public Map<Long, Long> awaitConvergedHashes() {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEFAULT_AWAIT_MS);
        while (true) {
            List<CohortNode> up = running();
            long applied = -1;
            boolean same = true;
            for (CohortNode n : up) {
                long a = n.maintenance().status().appliedIndex();
                same &= applied < 0 || a == applied;
                applied = a;
            }
            if (same) {
                Map<Long, Long> hashes = new TreeMap<>();
                for (CohortNode n : up) {
                    hashes.put(n.memberId(), n.maintenance().hash(0));
                }
                boolean still = up.stream().allMatch(n -> n.maintenance().status().appliedIndex() == up.get(0)
                        .maintenance().status().appliedIndex());
                if (still) {
                    return hashes;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("members did not converge within " + DEFAULT_AWAIT_MS + " ms: " + describe());
            }
            sleep(5);
        }
    }

    private String describe() {
        List<String> parts = new ArrayList<>();
        for (CohortNode n : nodes.values()) {
            parts.add(n.isClosed() ? n.memberId() + ":killed" : n.maintenance().status().toString());
        }
        return String.join(", ", parts);
    }

    /** Closes every member and the network and deletes the data directories. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (CohortNode n : nodes.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        network.close();
        if (ownsRoot) {
            deleteRecursively(root);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Settings of a {@link TestCluster}. */
    public static final class Builder {
        private int size = 3;
        private Path dataRoot;
        private long seed = 42;
        private Consumer<CohortNode.Builder> tuning = b -> { };

        private Builder() {
        }

        /** The number of members (default 3). */
        public Builder size(int v) {
            size = v;
            return this;
        }

        /** Where the members' directories go (kept on close); default: a temporary directory deleted on close. */
        public Builder dataRoot(Path v) {
            dataRoot = v;
            return this;
        }

        /** The in-memory network's seed (fault injection randomness). */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** Adjusts every member's node settings after the test defaults (e.g. {@code b -> b.requestTimeoutMs(500)}). */
        public Builder tuning(Consumer<CohortNode.Builder> v) {
            tuning = v;
            return this;
        }

        /** Starts the members. */
        public TestCluster start() {
            try {
                Path root = dataRoot != null ? dataRoot : Files.createTempDirectory("cohort-test-cluster-");
                return new TestCluster(size, root, dataRoot == null, seed, tuning);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
