package io.cohort.benchmarks.raft;

import io.cohort.raft.Entry;
import io.cohort.raft.Membership;
import io.cohort.raft.RaftNode;
import io.cohort.raft.StateMachine;
import io.cohort.raft.log.ChronicleLogStorage;
import io.cohort.raft.transport.InMemoryNetwork;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Three {@link RaftNode}s in one JVM over the in-memory transport, each with a real Chronicle log on
 * disk (fsync on) and a state machine that does nothing: commits per second and commit latency
 * (propose on the leader until applied there) with 1, 64 and 1024 proposals in flight, 128-byte
 * commands. Beside it, in the same run, the raw floor: {@link RaftLogFloor}.
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.raft.RaftClusterBenchmark [seconds]};
 * {@code -Dbench.inFlight=1,64,1024} picks the points, {@code -Dbench.warmupSeconds} the warm-up before each.
 */
public final class RaftClusterBenchmark {
    private static final int COMMAND_BYTES = 128;
    /**
     * The node's default tick (elections after 1-2 s): with a shorter one, a shared 2-core machine under
     * load stalls a replica long enough for spurious elections, and the proposals lost in them fail.
     */
    private static final long TICK_MS = Long.getLong("bench.tickMs", 100);
    /**
     * Zeros kept written ahead of each log's appender ({@link ChronicleLogStorage#DEFAULT_PRE_ZERO_AHEAD_BYTES}; 0 = off);
     * {@code -Dbench.preZeroAheadBytes}, read here for {@link RaftLogConcurrentFloor} too.
     */
    static final long PRE_ZERO_AHEAD_BYTES = Long.getLong("bench.preZeroAheadBytes", ChronicleLogStorage.DEFAULT_PRE_ZERO_AHEAD_BYTES);
    /**
     * Seconds proposed (and not measured) before each point; {@code -Dbench.warmupSeconds}, default 8. With the
     * earlier default (a quarter of the measured seconds, at least 1) the JIT still compiled during the measurement
     * (C2 took ~30% of the 2 cores in the first measured seconds of a 6 s run): 8 s measures the steady state.
     */
    private static final long WARMUP_SECONDS = Long.getLong("bench.warmupSeconds", 8);
    private static final int[] IN_FLIGHT = java.util.Arrays.stream(System.getProperty("bench.inFlight", "1,64,1024")
            .split(",")).mapToInt(Integer::parseInt).toArray();

    private RaftClusterBenchmark() {
    }

    /** A state machine that only records how far it got (no snapshots: the log is never compacted here). */
    static final class NoopStateMachine implements StateMachine {
        private volatile long applied;

        @Override
        public long appliedIndex() {
            return applied;
        }

        @Override
        public List<?> apply(List<Entry> committed) {
            applied = committed.get(committed.size() - 1).index();
            return List.of();
        }
    }

    /** Result of one measured run. */
    record Result(int inFlight, double commitsPerSecond, double p50Micros, double p99Micros, double cpuMicrosPerCommit) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        if (WARMUP_SECONDS < 0) {
            throw new IllegalArgumentException("bench.warmupSeconds must be >= 0, was " + WARMUP_SECONDS);
        }
        System.out.printf("Raft cluster benchmark: 3 nodes in one JVM, in-memory transport, Chronicle log with fsync, "
                + "%d-byte commands, %d s per point; JDK %s, %d cores%n", COMMAND_BYTES, seconds,
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        List<Result> results = new ArrayList<>();
        List<RaftLogFloorBenchmark.Floor> floors = new ArrayList<>();
        Path floorDir = Files.createTempDirectory("cohort-raft-floor");
        try {
            for (int inFlight : IN_FLIGHT) {
                results.add(runCluster(inFlight, seconds));
                floors.add(RaftLogFloorBenchmark.rawForceFloor(inFlight, Math.max(1, seconds / 2.0), 1, floorDir));
            }
        } finally {
            RaftLogFloorBenchmark.deleteRecursively(floorDir);
        }
        System.out.println();
        System.out.println("| in flight (= floor batch) | cluster commits/s | p50 µs | p99 µs | floor appends/s | floor p50 µs "
                + "| floor p99 µs | p50 / floor p50 | CPU µs per commit |");
        System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            RaftLogFloorBenchmark.Floor f = floors.get(i);
            System.out.printf("| %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.1fx | %.1f |%n", r.inFlight,
                    r.commitsPerSecond, r.p50Micros, r.p99Micros, f.appendsPerSecond(), f.p50Micros(), f.p99Micros(),
                    r.p50Micros / f.p50Micros(), r.cpuMicrosPerCommit);
        }
    }

    static Result runCluster(int inFlight, int seconds) throws Exception {
        Path dir = Files.createTempDirectory("cohort-raft-bench");
        Membership members = new Membership(Set.of(1L, 2L, 3L), Set.of());
        List<RaftNode> nodes = new ArrayList<>();
        try (InMemoryNetwork network = InMemoryNetwork.builder().seed(1).linkCapacityMessages(65_536).build()) {
            for (long id = 1; id <= 3; id++) {
                long member = id;
                nodes.add(RaftNode.builder(id)
                        .raft(r -> r.bootstrap(members).randomSeed(member).snapshotIntervalEntries(0))
                        .storage(ChronicleLogStorage.open(dir.resolve("member-" + id), ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, PRE_ZERO_AHEAD_BYTES))
                        .transport(network.transport(id))
                        .stateMachine(new NoopStateMachine())
                        .tickMs(TICK_MS)
                        .requestTimeoutMs(30_000)
                        .start());
            }
            RaftNode leader = awaitLeader(nodes);
            long startTerm = leader.status().term();
            byte[] command = new byte[COMMAND_BYTES];
            Recorder recorder = new Recorder(3);
            Semaphore window = new Semaphore(inFlight);
            AtomicLong failures = new AtomicLong();
            java.util.concurrent.atomic.AtomicReference<Throwable> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
            long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(WARMUP_SECONDS);
            long end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
            long committed = 0;
            long cpuStartNs = 0;
            boolean measuring = false;
            while (true) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                if (!measuring && now >= warmupEnd) {
                    recorder.getIntervalHistogram(); // Discard warm-up.
                    cpuStartNs = processCpuNs();
                    measuring = true;
                }
                window.acquire();
                long start = System.nanoTime();
                boolean counted = measuring;
                leader.propose(command).whenComplete((index, error) -> {
                    if (error != null) {
                        if (failures.incrementAndGet() == 1) {
                            firstFailure.set(error);
                        }
                    } else if (counted) {
                        recorder.recordValue((System.nanoTime() - start) / 1_000);
                    }
                    window.release();
                });
                if (counted) {
                    committed++;
                }
            }
            window.acquire(inFlight);
            long cpuNs = processCpuNs() - cpuStartNs;
            Histogram h = recorder.getIntervalHistogram();
            long endTerm = leader.status().term();
            if (endTerm != startTerm || !leader.status().isLeader()) {
                System.out.printf("in flight %4d: leadership changed during the run (term %d -> %d, member %d %s)%n",
                        inFlight, startTerm, endTerm, leader.id(), leader.status().role());
            }
            if (failures.get() > 0) {
                throw new IllegalStateException(failures.get() + " proposals failed; the first: " + firstFailure.get(),
                        firstFailure.get());
            }
            double rate = h.getTotalCount() / (double) seconds;
            double cpuPerCommit = h.getTotalCount() == 0 ? 0 : cpuNs / 1000.0 / h.getTotalCount();
            Result r = new Result(inFlight, rate, h.getValueAtPercentile(50), h.getValueAtPercentile(99), cpuPerCommit);
            System.out.printf("in flight %4d: %,10.0f commits/s  p50 %,8d µs  p99 %,8d µs  CPU %.1f µs/commit"
                    + "  (%d proposals)%n", inFlight, rate, h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                    cpuPerCommit, committed);
            return r;
        } finally {
            nodes.forEach(RaftNode::close);
            RaftLogFloorBenchmark.deleteRecursively(dir);
        }
    }

    /** CPU time of this JVM (all threads: the three replicas, network, load generator), in ns. */
    private static long processCpuNs() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }

    static RaftNode awaitLeader(List<RaftNode> nodes) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes) {
                if (n.status().isLeader()) {
                    return n;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no leader within 30 s");
    }
}
