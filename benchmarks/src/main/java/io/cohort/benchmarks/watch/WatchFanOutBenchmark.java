package io.cohort.benchmarks.watch;

import io.cohort.CohortNode;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.benchmarks.InProcessGroup;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Watch fan-out on a 3-member group in one JVM (in-memory transport, Chronicle logs with fsync, LMDB): W watchers on
 * one prefix, spread over the three members, listeners on a pool of 2 threads; a writer puts to keys under the prefix.
 * Each point runs twice: the writer as fast as it goes (64 puts in flight) for the most events delivered per second
 * while writing (a backlog then drains before the next run), then paced at half that rate for the put-to-event
 * latency (the put's start time travels in its value; the latency includes the put's own commit).
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.watch.WatchFanOutBenchmark
 * [seconds per point]}; {@code -Dbench.watchers=1000,10000} picks the points.
 */
public final class WatchFanOutBenchmark {
    private static final int[] WATCHERS = java.util.Arrays.stream(System.getProperty("bench.watchers", "1000,10000")
            .split(",")).mapToInt(Integer::parseInt).toArray();
    private static final int WRITER_IN_FLIGHT = 64;

    private WatchFanOutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("Watch fan-out: 3 members in one JVM, in-memory transport, fsync on; %d s per point; JDK %s,"
                + " %d cores%n", seconds, Runtime.version(), Runtime.getRuntime().availableProcessors());
        ExecutorService listeners = Executors.newFixedThreadPool(2);
        try (InProcessGroup group = new InProcessGroup("cohort-watch-bench",
                b -> b.snapshotIntervalEntries(0).maxWatches(20_000).maxWatchLagEvents(100_000))) {
            List<CohortNode> nodes = group.members;
            CohortNode leader = group.awaitLeader();
            System.out.printf("%9s %14s %16s %12s %10s %10s %10s%n", "watchers", "max events/s", "paced events/s",
                    "puts/s", "p50 ms", "p99 ms", "p99.9 ms");
            for (int w : WATCHERS) {
                LongAdder delivered = new LongAdder();
                Recorder latency = new Recorder(3);
                String prefix = "fan/" + w + "/";
                List<io.cohort.Watch> watches = new ArrayList<>();
                WatchListener listener = (List<Event> events, long revision) -> {
                    long now = System.nanoTime();
                    for (Event e : events) {
                        long sent = ByteBuffer.wrap(e.kv().value().toByteArray()).getLong();
                        latency.recordValue(Math.max(0, (now - sent) / 1_000));
                    }
                    delivered.add(events.size());
                };
                for (int i = 0; i < w; i++) {
                    watches.add(nodes.get(i % 3).watcher().watch(WatchSpec.prefix(prefix), listeners, listener));
                }
                // Flat out.
                double maxRate = run(leader, prefix, seconds, 0, delivered, latency, w).eventsPerSecond;
                // At half the most events per second.
                double putsPerSecond = maxRate / 2 / w;
                Point paced = run(leader, prefix, seconds, putsPerSecond, delivered, latency, w);
                System.out.printf("%9d %14.0f %16.0f %12.0f %10.2f %10.2f %10.2f%n", w, maxRate, paced.eventsPerSecond,
                        putsPerSecond, paced.latency.getValueAtPercentile(50) / 1000.0,
                        paced.latency.getValueAtPercentile(99) / 1000.0,
                        paced.latency.getValueAtPercentile(99.9) / 1000.0);
                watches.forEach(io.cohort.Watch::cancel);
            }
        } finally {
            listeners.shutdownNow();
        }
    }

    record Point(double eventsPerSecond, Histogram latency) {
    }

    /** Writes for {@code seconds} (after a 1 s warm-up) at {@code putsPerSecond} (0: as fast as it goes). */
    private static Point run(CohortNode leader, String prefix, int seconds, double putsPerSecond, LongAdder delivered,
                             Recorder latency, int watchers) throws Exception {
        Semaphore window = new Semaphore(WRITER_IN_FLIGHT);
        long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
        long periodNs = putsPerSecond > 0 ? (long) (1e9 / putsPerSecond) : 0;
        long next = System.nanoTime();
        boolean measuring = false;
        long deliveredAtStart = 0;
        long startNs = 0;
        int i = 0;
        while (true) {
            long now = System.nanoTime();
            if (!measuring && now >= warmupEnd) {
                measuring = true;
                deliveredAtStart = delivered.sum();
                latency.getIntervalHistogram();
                startNs = now;
            }
            if (now >= end) {
                break;
            }
            if (periodNs > 0) {
                if (now < next) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(next - now, 1_000_000));
                    continue;
                }
                next += periodNs;
            }
            window.acquire();
            byte[] value = ByteBuffer.allocate(16).putLong(System.nanoTime()).array();
            leader.kv().putAsync(Bytes.ofUtf8(prefix + (i++ % 100)), Bytes.wrap(value), io.cohort.PutOptions.defaults())
                    .whenComplete((r, e) -> window.release());
        }
        window.acquire(WRITER_IN_FLIGHT);
        long elapsedNs = System.nanoTime() - startNs;
        // Events still on their way when writing stopped are delivered, but not counted in this rate.
        double rate = (delivered.sum() - deliveredAtStart) * 1e9 / elapsedNs;
        Histogram h = latency.getIntervalHistogram();
        // Let the backlog drain (delivery stalls for half a second, at most 60 s) before the next run.
        long last = -1;
        for (int wait = 0; wait < 120 && delivered.sum() != last; wait++) {
            last = delivered.sum();
            Thread.sleep(500);
        }
        latency.getIntervalHistogram();
        return new Point(rate, h);
    }
}
