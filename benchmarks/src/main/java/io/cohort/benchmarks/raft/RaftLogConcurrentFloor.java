package io.cohort.benchmarks.raft;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.log.ChronicleLogStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The log's share of a one-JVM cluster: N threads, each appending batches of 1024 entries of
 * 128-byte commands (144 bytes with the node's request envelope) to its own
 * {@link ChronicleLogStorage} and syncing once per batch, as the N replicas of
 * {@link RaftClusterBenchmark} do. No Raft, no network: what the logs alone can take on this machine.
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.raft.RaftLogConcurrentFloor [writers] [seconds]}
 * ({@code -Dbench.preZeroAheadBytes=0} turns the zeros written ahead of the appenders off)
 */
public final class RaftLogConcurrentFloor {
    private static final int BATCH = 1024;
    private static final int ENTRY_BYTES = 144;

    private RaftLogConcurrentFloor() {
    }

    public static void main(String[] args) throws Exception {
        int writers = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path dir = Files.createTempDirectory("cohort-log-concurrent-floor");
        AtomicLong appended = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int w = 0; w < writers; w++) {
            Path logDir = dir.resolve("writer-" + w);
            threads.add(new Thread(() -> {
                try (ChronicleLogStorage log = ChronicleLogStorage.open(logDir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES,
                        RaftClusterBenchmark.PRE_ZERO_AHEAD_BYTES)) {
                    byte[] command = new byte[ENTRY_BYTES];
                    long index = 1;
                    while (System.nanoTime() < endNs) {
                        List<Entry> batch = new ArrayList<>(BATCH);
                        for (int i = 0; i < BATCH; i++) {
                            batch.add(new Entry(index++, 1, EntryType.COMMAND, command));
                        }
                        log.append(batch);
                        log.sync();
                        appended.addAndGet(BATCH);
                    }
                }
            }, "writer-" + w));
        }
        long startNs = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        double elapsedSeconds = (System.nanoTime() - startNs) / 1e9;
        System.out.printf("%d writers, batches of %d: %,.0f appends/s in all, %,.0f per writer; JDK %s, %d cores%n",
                writers, BATCH, appended.get() / elapsedSeconds, appended.get() / elapsedSeconds / writers,
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        RaftLogFloorBenchmark.deleteRecursively(dir);
    }
}
