package io.cohort.benchmarks.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Drives one {@link Target} with one workload: a window of N requests in flight (a semaphore shared by a few issuing
 * threads), a warm-up that is not recorded, then a measured period; latency from the call to the future's
 * completion in an HdrHistogram; a progress line every second on stdout.
 *
 * <p>Watch fan-out: {@code watchers} watches on the watched prefix, puts under that prefix with N in flight, each
 * put's value stamped with its send time; the rate and the latencies are per delivered event (put sent to event
 * received by one watcher), as in etcd's {@code benchmark watch-latency}.
 */
public final class LoadGenerator {
    private static final int MAX_ISSUER_THREADS = 4;
    private static final long WATCH_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final int keyCount;
    private final byte[] value;
    private final double warmupSeconds;
    private final double seconds;
    private final int watchers;

    /**
     * @param keyCount keys the requests pick from uniformly
     * @param value the value every put writes (and every key holds after {@link Target#prepare})
     * @param warmupSeconds unrecorded seconds before each point
     * @param seconds measured seconds per point
     * @param watchers watches opened for the watch workload
     */
    public LoadGenerator(int keyCount, byte[] value, double warmupSeconds, double seconds, int watchers) {
        if (keyCount < 1 || value.length < Long.BYTES || seconds <= 0 || warmupSeconds < 0 || watchers < 1) {
            throw new IllegalArgumentException("keyCount >= 1, value >= 8 bytes, seconds > 0, warmupSeconds >= 0,"
                    + " watchers >= 1 required; got keyCount=" + keyCount + " valueBytes=" + value.length
                    + " seconds=" + seconds + " warmupSeconds=" + warmupSeconds + " watchers=" + watchers);
        }
        this.keyCount = keyCount;
        this.value = value.clone();
        this.warmupSeconds = warmupSeconds;
        this.seconds = seconds;
        this.watchers = watchers;
    }

    /** Runs one point and returns its result. */
    public PointResult run(Target target, Workload workload, int inFlight) throws Exception {
        if (inFlight < 1) {
            throw new IllegalArgumentException("inFlight must be >= 1, got " + inFlight);
        }
        return workload == Workload.WATCH ? runWatch(target, inFlight) : runRequests(target, workload, inFlight);
    }

    private PointResult runRequests(Target target, Workload workload, int inFlight) throws Exception {
        Recorder recorder = new Recorder(3);
        Recorder progress = new Recorder(3);
        Semaphore window = new Semaphore(inFlight);
        Errors errors = new Errors();
        long start = System.nanoTime();
        long warmupEnd = start + (long) (warmupSeconds * 1e9);
        long end = warmupEnd + (long) (seconds * 1e9);
        int threads = Math.min(inFlight, MAX_ISSUER_THREADS);
        List<Thread> issuers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread issuer = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() < end) {
                        window.acquire();
                        int key = random.nextInt(keyCount);
                        long sent = System.nanoTime();
                        CompletableFuture<?> f;
                        try {
                            f = issue(target, workload, key);
                        } catch (RuntimeException e) {
                            f = CompletableFuture.failedFuture(e);
                        }
                        f.whenComplete((r, e) -> {
                            long now = System.nanoTime();
                            if (e != null || Boolean.FALSE.equals(r)) {
                                errors.add(e); // null: a CAS whose compare failed
                            } else {
                                progress.recordValue(now - sent);
                                if (sent >= warmupEnd && now <= end) {
                                    recorder.recordValue(now - sent);
                                }
                            }
                            window.release();
                        });
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "load-" + workload.shortName() + "-" + t);
            issuer.setDaemon(true);
            issuers.add(issuer);
        }
        recorder.reset();
        issuers.forEach(Thread::start);
        printProgress(target.name(), workload.shortName(), inFlight, start, warmupEnd, end, progress, errors.count);
        for (Thread t : issuers) {
            t.join();
        }
        // Every request sent must complete (or fail) before the next point: nothing is left in flight.
        if (!window.tryAcquire(inFlight, 60, TimeUnit.SECONDS)) {
            throw new IllegalStateException(target.name() + " " + workload.shortName() + ": "
                    + (inFlight - window.availablePermits()) + " requests still in flight 60 s after the end");
        }
        Histogram h = recorder.getIntervalHistogram();
        errors.printIfAny();
        return result(target.name(), workload.shortName(), inFlight, h, errors.count.get());
    }

    private CompletableFuture<?> issue(Target target, Workload workload, int key) {
        return switch (workload) {
            case PUT -> target.putAsync(key, value);
            case RANGE_LINEARIZABLE -> target.rangeAsync(key, true);
            case RANGE_SERIALIZABLE -> target.rangeAsync(key, false);
            case TXN_CAS -> target.casAsync(key, value, value);
            case WATCH -> throw new IllegalArgumentException("watch is not a request workload");
        };
    }

    private PointResult runWatch(Target target, int inFlight) throws Exception {
        Recorder recorder = new Recorder(3);
        Recorder progress = new Recorder(3);
        Errors errors = new Errors();
        long start = System.nanoTime();
        long warmupEnd = start + (long) (warmupSeconds * 1e9);
        long end = warmupEnd + (long) (seconds * 1e9);
        LongAdder measuredEvents = new LongAdder();
        List<AutoCloseable> watches = new ArrayList<>();
        Target.EventSink sink = sentNanos -> {
            long now = System.nanoTime();
            progress.recordValue(Math.max(0, now - sentNanos));
            if (sentNanos >= warmupEnd && sentNanos < end) {
                recorder.recordValue(Math.max(0, now - sentNanos));
                measuredEvents.increment();
            }
        };
        try {
            for (int i = 0; i < watchers; i++) {
                watches.add(target.watch(sink));
            }
            Semaphore window = new Semaphore(inFlight);
            Thread writer = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() < end) {
                        window.acquire();
                        byte[] stamped = value.clone();
                        long sent = System.nanoTime();
                        for (int b = 0; b < Long.BYTES; b++) {
                            stamped[b] = (byte) (sent >>> (56 - 8 * b));
                        }
                        target.putWatchedAsync(random.nextInt(keyCount), stamped).whenComplete((r, e) -> {
                            if (e != null) {
                                errors.add(e);
                            }
                            window.release();
                        });
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "load-watch-writer");
            writer.setDaemon(true);
            writer.start();
            printProgress(target.name(), "watch", inFlight, start, warmupEnd, end, progress, errors.count);
            writer.join();
            if (!window.tryAcquire(inFlight, 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(target.name() + " watch: puts still in flight 60 s after the end");
            }
            // Events for puts sent before the end may still be on their way: give them a bounded time to arrive.
            long drainUntil = System.nanoTime() + WATCH_DRAIN_NANOS;
            long last = -1;
            while (System.nanoTime() < drainUntil && measuredEvents.sum() != last) {
                last = measuredEvents.sum();
                Thread.sleep(200);
            }
        } finally {
            for (AutoCloseable w : watches) {
                w.close();
            }
        }
        errors.printIfAny();
        return result(target.name(), "watch", inFlight, recorder.getIntervalHistogram(), errors.count.get());
    }

    /** Failed requests of one point: how many, and the first one's cause for the report. */
    private static final class Errors {
        final AtomicLong count = new AtomicLong();
        private volatile Throwable first;

        /** Counts one failure; {@code cause} null means a CAS whose compare failed. */
        void add(Throwable cause) {
            if (count.getAndIncrement() == 0) {
                first = cause != null ? cause : new IllegalStateException("CAS compare failed");
            }
        }

        void printIfAny() {
            if (count.get() > 0) {
                System.out.println("  errors: " + count.get() + ", first: " + first);
            }
        }
    }

    private PointResult result(String system, String workload, int inFlight, Histogram h, long errors) {
        double rate = h.getTotalCount() / seconds;
        PointResult r = new PointResult(system, workload, inFlight, seconds, h.getTotalCount(), rate,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3, h.getValueAtPercentile(99) / 1e3,
                h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, errors);
        System.out.printf("%-6s %-7s x%-4d %,11.0f ops/s  p50 %,9.0f µs  p99 %,9.0f µs  p99.9 %,9.0f µs  errors %d%n",
                system, workload, inFlight, rate, r.p50Micros(), r.p99Micros(), r.p999Micros(), errors);
        return r;
    }

    private static void printProgress(String system, String workload, int inFlight, long start, long warmupEnd,
                                      long end, Recorder progress, AtomicLong errors) throws InterruptedException {
        long nextTick = start + TimeUnit.SECONDS.toNanos(1);
        long lastTick = start;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                return;
            }
            long sleepNanos = Math.min(nextTick, end) - now;
            TimeUnit.NANOSECONDS.sleep(sleepNanos);
            now = System.nanoTime();
            if (now >= nextTick) {
                Histogram h = progress.getIntervalHistogram();
                double rate = h.getTotalCount() / ((now - lastTick) / 1e9);
                System.out.printf("  [%s %s x%d] %4.1fs %s %,10.0f ops/s  p50 %,9.0f µs  p99 %,9.0f µs  errors %d%n",
                        system, workload, inFlight, (now - start) / 1e9, now < warmupEnd ? "warm-up " : "measured",
                        rate, h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, errors.get());
                lastTick = now;
                nextTick += TimeUnit.SECONDS.toNanos(1);
            }
        }
    }
}
