package io.cohort.benchmarks.lease;

import io.cohort.CohortNode;
import io.cohort.benchmarks.InProcessGroup;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Leases at scale on a 3-member group in one JVM (in-memory transport, fsync on): grants of 100,000 leases (1,024 in
 * flight), the heap they take, then keep-alives over all of them (1,024 in flight) on the leader (renewed in memory
 * after a ReadIndex) and on a follower (through the log).
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.lease.LeaseBenchmark
 * [seconds per keep-alive point]}; {@code -Dbench.leases=100000}.
 */
public final class LeaseBenchmark {
    private static final int LEASES = Integer.getInteger("bench.leases", 100_000);
    private static final int IN_FLIGHT = 1_024;

    private LeaseBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("Leases: 3 members in one JVM, in-memory transport, fsync on; %,d leases; %d in flight; JDK %s,"
                + " %d cores%n", LEASES, IN_FLIGHT, Runtime.version(), Runtime.getRuntime().availableProcessors());
        try (InProcessGroup group = new InProcessGroup("cohort-lease-bench",
                b -> b.snapshotIntervalEntries(0).maxPendingRequests(4_096))) {
            List<CohortNode> nodes = group.members;
            CohortNode leader = group.awaitLeader();
            CohortNode follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
            long heapBefore = usedHeapAfterGc();
            long[] ids = new long[LEASES];
            Semaphore window = new Semaphore(IN_FLIGHT);
            AtomicLong failures = new AtomicLong();
            long start = System.nanoTime();
            for (int i = 0; i < LEASES; i++) {
                window.acquire();
                int slot = i;
                leader.leases().grantAsync(3_600).whenComplete((g, e) -> {
                    if (e != null) {
                        failures.incrementAndGet();
                    } else {
                        ids[slot] = g.id();
                    }
                    window.release();
                });
            }
            window.acquire(IN_FLIGHT);
            window.release(IN_FLIGHT);
            double grantsPerSecond = LEASES * 1e9 / (System.nanoTime() - start);
            long heapAfter = usedHeapAfterGc();
            System.out.printf("grants: %,.0f/s (%d failed); heap: %,d bytes per lease for the JVM's 3 members "
                    + "(%,d per member)%n", grantsPerSecond, failures.get(), (heapAfter - heapBefore) / LEASES,
                    (heapAfter - heapBefore) / LEASES / 3);
            for (CohortNode target : List.of(leader, follower)) {
                Recorder latency = new Recorder(3);
                AtomicLong done = new AtomicLong();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                long t0 = System.nanoTime();
                while (System.nanoTime() < end) {
                    window.acquire();
                    long id = ids[ThreadLocalRandom.current().nextInt(LEASES)];
                    long sent = System.nanoTime();
                    CompletableFuture<Long> f = target.leases().keepAliveOnceAsync(id);
                    f.whenComplete((ttl, e) -> {
                        if (e != null) {
                            failures.incrementAndGet();
                        } else {
                            latency.recordValue((System.nanoTime() - sent) / 1_000);
                            done.incrementAndGet();
                        }
                        window.release();
                    });
                }
                window.acquire(IN_FLIGHT);
                window.release(IN_FLIGHT);
                Histogram h = latency.getIntervalHistogram();
                System.out.printf("keep-alives on the %s: %,.0f/s, p50 %.2f ms, p99 %.2f ms (%d failed in all)%n",
                        target == leader ? "leader" : "follower", done.get() * 1e9 / (System.nanoTime() - t0),
                        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, failures.get());
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
