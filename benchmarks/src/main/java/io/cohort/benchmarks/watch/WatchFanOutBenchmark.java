package io.cohort.benchmarks.watch;

import io.cohort.CohortNode;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.benchmarks.InProcessGroup;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Watch fan-out on a 3-member group in one JVM (in-memory transport, Chronicle logs with fsync, LMDB): W watchers on
 * one prefix, spread over the three members, listeners on a pool of 2 threads; a writer puts to keys under the prefix.
 * Each point runs twice: the writer as fast as it goes (64 puts in flight) for the most events delivered per second
 * while writing (a backlog then drains before the next run), then paced at half that rate for the put-to-event
 * latency (the put's send time travels in its value; the latency includes the put's own commit).
 *
 * <p>To show where the latency goes, the paced run also reports the put's own latency (send to the leader's reply,
 * i.e. commit and apply on the leader), the put-to-event latency of the watchers on the leader and on the two
 * followers separately (a follower applies one heartbeat or append round after the leader), and the time the JVM
 * spent in GC pauses during the measurement.
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.watch.WatchFanOutBenchmark
 * [seconds per point]}; {@code -Dbench.watchers=1000,10000} picks the points; {@code -Dbench.pacedEventsPerSecond=N}
 * paces the second run at N events per second instead of half the measured most (to compare two builds at one load).
 */
public final class WatchFanOutBenchmark {
    private static final int[] WATCHERS = java.util.Arrays.stream(System.getProperty("bench.watchers", "1000,10000")
            .split(",")).mapToInt(Integer::parseInt).toArray();
    private static final int WRITER_IN_FLIGHT = 64;
    private static final double PACED_EVENTS_PER_SECOND = Double.parseDouble(
            System.getProperty("bench.pacedEventsPerSecond", "0"));

    private WatchFanOutBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("Watch fan-out: 3 members in one JVM, in-memory transport, fsync on; %d s per point; JDK %s,"
                + " %d cores%n", seconds, Runtime.version(), Runtime.getRuntime().availableProcessors());
        Recorders rec = new Recorders();
        ExecutorService listeners = Executors.newFixedThreadPool(2, rec::newListenerThread);
        try (InProcessGroup group = new InProcessGroup("cohort-watch-bench",
                b -> b.snapshotIntervalEntries(0).maxWatches(20_000).maxWatchLagEvents(100_000))) {
            List<CohortNode> nodes = group.members;
            CohortNode leader = group.awaitLeader();
            System.out.printf("%9s %13s %14s %8s %8s %8s %9s %10s %12s %12s %9s%n", "watchers", "max events/s",
                    "paced events/s", "puts/s", "p50 ms", "p99 ms", "p99.9 ms", "put p99 ms", "leader p99", "follower p99",
                    "GC ms/s");
            for (int w : WATCHERS) {
                rec.reset();
                String prefix = "fan/" + w + "/";
                List<io.cohort.Watch> watches = new ArrayList<>();
                for (int i = 0; i < w; i++) {
                    CohortNode member = nodes.get(i % 3);
                    boolean onLeader = member == leader;
                    WatchListener listener = (List<Event> events, long revision) -> {
                        long now = System.nanoTime();
                        ThreadRecorders mine = rec.mine();
                        synchronized (mine) { // Uncontended: one lock per message instead of atomics per event.
                            // One count per event: the all-watchers histogram is the leader's plus the followers'.
                            LatencyCounts side = onLeader ? mine.leaderEvent : mine.followerEvent;
                            long[] sent = mine.sentNanos(events);
                            for (int j = 0, n = events.size(); j < n; j++) {
                                side.record((now - sent[j]) / 1_000);
                            }
                            mine.delivered += events.size();
                        }
                    };
                    watches.add(member.watcher().watch(WatchSpec.prefix(prefix), listeners, listener));
                }
                // Flat out.
                double maxRate = run(leader, prefix, seconds, 0, rec).eventsPerSecond;
                // At half the most events per second (or at a fixed rate, to compare builds at equal load).
                double putsPerSecond = (PACED_EVENTS_PER_SECOND > 0 ? PACED_EVENTS_PER_SECOND : maxRate / 2) / w;
                Point paced = run(leader, prefix, seconds, putsPerSecond, rec);
                System.out.printf("%9d %13.0f %14.0f %8.0f %8.2f %8.2f %9.2f %10.2f %12.2f %12.2f %9.1f%n", w, maxRate,
                        paced.eventsPerSecond, putsPerSecond, ms(paced.event, 50), ms(paced.event, 99),
                        ms(paced.event, 99.9), ms(paced.put, 99), ms(paced.leaderEvent, 99),
                        ms(paced.followerEvent, 99), paced.gcMsPerSecond);
                watches.forEach(io.cohort.Watch::cancel);
            }
        } finally {
            listeners.shutdownNow();
        }
    }

    /** The send time a put carries in the first 8 bytes of its value (read without copying). */
    private static long sentNanos(Bytes value) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (value.byteAt(i) & 0xFF);
        }
        return v;
    }

    private static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * One listener thread's latency histograms (microseconds), guarded by this object's monitor: the thread takes it
     * once per message, uncontended, and the reader only to take an interval.
     */
    private static final class ThreadRecorders {
        final LatencyCounts leaderEvent = new LatencyCounts();
        final LatencyCounts followerEvent = new LatencyCounts();
        /** Events delivered on this thread, ever. */
        long delivered;
        /** The send times of the events of {@link #lastEvents}, decoded once for the watches that share the list. */
        private long[] lastSent = new long[64];
        private List<Event> lastEvents;

        /**
         * The send times of {@code events}, in order. The hub hands watches of one range the same immutable list, so
         * the next listener call on this thread usually reuses the last decoding; the latency is still taken per
         * event and per watch, at the call's own time.
         */
        long[] sentNanos(List<Event> events) {
            if (events != lastEvents) {
                int n = events.size();
                if (lastSent.length < n) {
                    lastSent = new long[Math.max(n, 2 * lastSent.length)];
                }
                for (int j = 0; j < n; j++) {
                    lastSent[j] = WatchFanOutBenchmark.sentNanos(events.get(j).kv().value());
                }
                lastEvents = events;
            }
            return lastSent;
        }

        /** Adds this interval's counts to {@code leader} and {@code follower} and starts the next interval. */
        synchronized void takeInterval(Histogram leader, Histogram follower) {
            leaderEvent.addTo(leader);
            followerEvent.addTo(follower);
        }

        synchronized long delivered() {
            return delivered;
        }
    }

    /** A listener pool thread with its own recorders: found without a thread-local lookup. */
    private static final class ListenerThread extends Thread {
        final ThreadRecorders recorders;

        ListenerThread(Runnable task, ThreadRecorders recorders, String name) {
            super(task, name);
            this.recorders = recorders;
            setDaemon(true);
        }
    }

    /**
     * Latencies and the count of delivered events. Each listener thread records into its own plain counts (a shared
     * recorder's atomics, contended by the listener threads millions of times a second, slowed the very listeners
     * being measured; even HdrHistogram's per-value upkeep was most of their time), found through the thread object
     * (not a thread-local) and guarded by one uncontended lock per message; an interval's histograms are the sums
     * over the threads. Put latencies (a few thousand a second, completed on whichever thread the node uses) share
     * one recorder.
     */
    private static final class Recorders {
        final Recorder put = new Recorder(3);
        private final List<ThreadRecorders> all = new CopyOnWriteArrayList<>();
        private final ThreadLocal<ThreadRecorders> local = ThreadLocal.withInitial(() -> {
            ThreadRecorders r = new ThreadRecorders();
            all.add(r);
            return r;
        });

        /** A listener pool thread, with recorders of its own. */
        Thread newListenerThread(Runnable task) {
            ThreadRecorders r = new ThreadRecorders();
            all.add(r);
            return new ListenerThread(task, r, "watch-listener-" + all.size());
        }

        /** The calling thread's recorders (a field of a listener pool thread; any other thread: a thread-local). */
        ThreadRecorders mine() {
            return Thread.currentThread() instanceof ListenerThread t ? t.recorders : local.get();
        }

        /** Events delivered so far, summed over threads. */
        long delivered() {
            long sum = 0;
            for (ThreadRecorders r : all) {
                sum += r.delivered();
            }
            return sum;
        }

        /** The histograms since the last call, summed over threads: event, leader, follower, put. */
        Histogram[] interval() {
            Histogram[] sum = {new Histogram(3), new Histogram(3), new Histogram(3), new Histogram(3)};
            for (ThreadRecorders r : all) {
                r.takeInterval(sum[1], sum[2]);
            }
            sum[0].add(sum[1]);
            sum[0].add(sum[2]);
            sum[3].add(put.getIntervalHistogram());
            return sum;
        }

        void reset() {
            interval();
        }
    }

    record Point(double eventsPerSecond, Histogram event, Histogram leaderEvent, Histogram followerEvent,
                 Histogram put, double gcMsPerSecond) {
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    /** Writes for {@code seconds} (after a 1 s warm-up) at {@code putsPerSecond} (0: as fast as it goes). */
    private static Point run(CohortNode leader, String prefix, int seconds, double putsPerSecond, Recorders rec)
            throws Exception {
        Semaphore window = new Semaphore(WRITER_IN_FLIGHT);
        long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
        long periodNs = putsPerSecond > 0 ? (long) (1e9 / putsPerSecond) : 0;
        long next = System.nanoTime();
        boolean measuring = false;
        long deliveredAtStart = 0;
        long gcAtStart = 0;
        long startNs = 0;
        int i = 0;
        while (true) {
            long now = System.nanoTime();
            if (!measuring && now >= warmupEnd) {
                measuring = true;
                deliveredAtStart = rec.delivered();
                gcAtStart = gcMillis();
                rec.reset();
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
            byte[] value = new byte[16];
            long sent = System.nanoTime();
            for (int b = 0; b < 8; b++) {
                value[b] = (byte) (sent >>> (56 - 8 * b));
            }
            leader.kv().putAsync(Bytes.ofUtf8(prefix + (i++ % 100)), Bytes.wrap(value), io.cohort.PutOptions.defaults())
                    .whenComplete((r, e) -> {
                        rec.put.recordValue(Math.max(0, (System.nanoTime() - sent) / 1_000));
                        window.release();
                    });
        }
        window.acquire(WRITER_IN_FLIGHT);
        long elapsedNs = System.nanoTime() - startNs;
        // Events still on their way when writing stopped are delivered, but not counted in this rate.
        double rate = (rec.delivered() - deliveredAtStart) * 1e9 / elapsedNs;
        double gcMsPerSecond = (gcMillis() - gcAtStart) * 1e9 / elapsedNs;
        Histogram[] h = rec.interval();
        Point p = new Point(rate, h[0], h[1], h[2], h[3], gcMsPerSecond);
        // Let the backlog drain (delivery stalls for half a second, at most 60 s) before the next run.
        long last = -1;
        for (int wait = 0; wait < 120 && rec.delivered() != last; wait++) {
            last = rec.delivered();
            Thread.sleep(500);
        }
        rec.reset();
        return p;
    }
}
