package io.cohort.benchmarks.raft;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.log.ChronicleLogStorage;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.HdrHistogram.Histogram;

/**
 * The raw floor of the Raft log: one thread appending batches of 128-byte records and syncing once per
 * batch, on a bare Chronicle queue (same settings as {@link ChronicleLogStorage}) and through
 * {@link ChronicleLogStorage} itself, for batch sizes 1, 64 and 1024; then the time to open a log of
 * 1M entries (our rebuild scan) beside a bare Chronicle tailer scan of the same queue.
 *
 * <pre>
 * java @mvcc/src/main/resources/META-INF/cohort/jvm-flags/jdk17.flags -cp benchmarks/target/benchmarks.jar \
 *     io.cohort.benchmarks.raft.RaftLogFloorBenchmark [workDir]
 * </pre>
 * System properties: {@code bench.seconds} (measured seconds per case, default 3),
 * {@code bench.warmupSeconds} (default 1), {@code bench.openEntries} (default 1000000),
 * {@code bench.openRepeats} (default 3), {@code bench.openOnly} (skip the append cases).
 */
public final class RaftLogFloorBenchmark {
    private static final int RECORD_BYTES = 128;
    private static final int[] BATCH_SIZES = {1, 64, 1024};

    private RaftLogFloorBenchmark() {
    }

    /** A case: appends one batch of {@code batchSize} records and syncs it. */
    private interface BatchWriter extends AutoCloseable {
        void writeBatchAndSync(int batchSize) throws IOException;

        @Override
        void close() throws IOException;
    }

    public static void main(String[] args) throws Exception {
        Path work = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("raft-log-floor");
        Files.createDirectories(work);
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "3"));
        double warmupSeconds = Double.parseDouble(System.getProperty("bench.warmupSeconds", "1"));
        int openEntries = Integer.getInteger("bench.openEntries", 1_000_000);
        System.out.printf(Locale.ROOT, "# JDK %s, %d cores, work dir %s, %.1f s per case%n",
            Runtime.version(), Runtime.getRuntime().availableProcessors(), work, seconds);
        System.out.printf(Locale.ROOT, "%-28s %6s %14s %12s %12s %12s %10s%n",
            "case", "batch", "appends/s", "p50 us", "p99 us", "max us", "batches");
        for (int batch : Boolean.getBoolean("bench.openOnly") ? new int[0] : BATCH_SIZES) {
            run("chronicle raw + force", batch, seconds, warmupSeconds, work, RaftLogFloorBenchmark::rawForce);
            run("chronicle raw + msync", batch, seconds, warmupSeconds, work, RaftLogFloorBenchmark::rawMsync);
            run("ChronicleLogStorage", batch, seconds, warmupSeconds, work, RaftLogFloorBenchmark::logStorage);
        }
        openTime(work.resolve("open"), openEntries);
    }

    private interface Factory {
        BatchWriter create(Path dir) throws IOException;
    }

    /** One measured case: appends per second and per-batch latency percentiles in microseconds. */
    record Floor(double appendsPerSecond, double p50Micros, double p99Micros) {
    }

    /** The raw floor the Raft cluster benchmark compares with: bare Chronicle, append + force per batch. */
    static Floor rawForceFloor(int batch, double seconds, double warmupSeconds, Path work) throws Exception {
        return run("chronicle raw + force", batch, seconds, warmupSeconds, work, RaftLogFloorBenchmark::rawForce);
    }

    private static Floor run(String name, int batch, double seconds, double warmupSeconds, Path work, Factory factory)
            throws Exception {
        Path dir = work.resolve(name.replaceAll("[^A-Za-z]+", "-") + "-" + batch);
        deleteRecursively(dir);
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Floor floor;
        try (BatchWriter writer = factory.create(dir)) {
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            while (System.nanoTime() < warmupEnd) {
                writer.writeBatchAndSync(batch);
            }
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long batches = 0;
            long now = start;
            while (now < end) {
                long t0 = System.nanoTime();
                writer.writeBatchAndSync(batch);
                now = System.nanoTime();
                histogram.recordValue(Math.min(now - t0, histogram.getHighestTrackableValue()));
                batches++;
            }
            double elapsedSeconds = (now - start) / 1e9;
            System.out.printf(Locale.ROOT, "%-28s %6d %14.0f %12.1f %12.1f %12.1f %10d%n", name, batch,
                batches * batch / elapsedSeconds, histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, histogram.getMaxValue() / 1e3, batches);
            floor = new Floor(batches * batch / elapsedSeconds, histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3);
        }
        deleteRecursively(dir);
        return floor;
    }

    /** The clock ChronicleLogStorage uses: a fixed cycle (no roll during a case). */
    private static final TimeProvider FIXED_CYCLE = () -> RollCycles.FAST_DAILY.lengthInMillis() / 2;

    private static SingleChronicleQueue rawQueue(Path dir) {
        return SingleChronicleQueueBuilder.binary(dir)
            .rollCycle(RollCycles.FAST_DAILY)
            .timeProvider(FIXED_CYCLE)
            .syncMode(SyncMode.SYNC)
            .timeoutMS(500)
            .build();
    }

    /** Bare Chronicle, durability as in ChronicleLogStorage: FileChannel.force on the cycle file. */
    private static BatchWriter rawForce(Path dir) {
        SingleChronicleQueue queue = rawQueue(dir);
        ExcerptAppender appender = queue.createAppender();
        byte[] record = new byte[RECORD_BYTES];
        return new BatchWriter() {
            FileChannel channel;

            @Override
            public void writeBatchAndSync(int batchSize) throws IOException {
                for (int i = 0; i < batchSize; i++) {
                    try (DocumentContext dc = appender.writingDocument()) {
                        dc.wire().bytes().write(record);
                    }
                }
                if (channel == null) {
                    File f = appender.currentFile();
                    channel = FileChannel.open(f.toPath(), StandardOpenOption.WRITE);
                }
                channel.force(false);
            }

            @Override
            public void close() throws IOException {
                if (channel != null) {
                    channel.close();
                }
                queue.close();
            }
        };
    }

    /** Bare Chronicle with SyncMode.SYNC and appender.sync() (msync of the written range). */
    private static BatchWriter rawMsync(Path dir) {
        SingleChronicleQueue queue = rawQueue(dir);
        ExcerptAppender appender = queue.createAppender();
        byte[] record = new byte[RECORD_BYTES];
        return new BatchWriter() {
            @Override
            public void writeBatchAndSync(int batchSize) {
                for (int i = 0; i < batchSize; i++) {
                    try (DocumentContext dc = appender.writingDocument()) {
                        dc.wire().bytes().write(record);
                    }
                }
                appender.sync();
            }

            @Override
            public void close() {
                queue.close();
            }
        };
    }

    /** ChronicleLogStorage: append(List of 128-byte entries) + sync(). */
    private static BatchWriter logStorage(Path dir) {
        ChronicleLogStorage log = ChronicleLogStorage.open(dir);
        byte[] payload = new byte[RECORD_BYTES];
        List<Entry> batch = new ArrayList<>(1024);
        return new BatchWriter() {
            long next = 1;

            @Override
            public void writeBatchAndSync(int batchSize) {
                batch.clear();
                for (int i = 0; i < batchSize; i++) {
                    batch.add(new Entry(next++, 1, EntryType.COMMAND, payload));
                }
                log.append(batch);
                log.sync();
            }

            @Override
            public void close() {
                log.close();
            }
        };
    }

    private static void openTime(Path dir, int entries) throws IOException {
        deleteRecursively(dir);
        byte[] payload = new byte[RECORD_BYTES];
        long writeStart = System.nanoTime();
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            List<Entry> batch = new ArrayList<>(1024);
            for (long i = 1; i <= entries; i++) {
                batch.add(new Entry(i, 1 + i / 100_000, EntryType.COMMAND, payload));
                if (batch.size() == 1024 || i == entries) {
                    log.append(batch);
                    log.sync();
                    batch.clear();
                }
            }
        }
        System.out.printf(Locale.ROOT, "# wrote %d entries of %d bytes in %.1f s%n", entries, RECORD_BYTES,
            (System.nanoTime() - writeStart) / 1e9);
        for (int i = 0, n = Integer.getInteger("bench.openRepeats", 3); i < n; i++) {
            long t0 = System.nanoTime();
            long last;
            try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
                last = log.lastIndex();
            }
            long ours = System.nanoTime() - t0;
            t0 = System.nanoTime();
            long documents = 0;
            try (SingleChronicleQueue queue = rawQueue(dir)) {
                ExcerptTailer tailer = queue.createTailer();
                while (true) {
                    try (DocumentContext dc = tailer.readingDocument()) {
                        if (!dc.isPresent()) {
                            break;
                        }
                        documents++;
                    }
                }
            }
            long raw = System.nanoTime() - t0;
            System.out.printf(Locale.ROOT, "open of a log of %d entries: ChronicleLogStorage.open %.0f ms (last index %d);"
                + " bare Chronicle tailer scan of %d documents %.0f ms%n", entries, ours / 1e6, last, documents, raw / 1e6);
        }
        deleteRecursively(dir);
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
