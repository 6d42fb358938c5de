package io.cohort.benchmarks.kv;

import io.cohort.CohortNode;
import io.cohort.Compare;
import io.cohort.GetOptions;
import io.cohort.KeyRange;
import io.cohort.KvStore;
import io.cohort.Op;
import io.cohort.PutOptions;
import io.cohort.benchmarks.InProcessGroup;
import io.cohort.mvcc.Bytes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The public {@link KvStore} API on a 3-member group in one JVM: in-memory transport, real disks (Chronicle logs
 * with fsync, LMDB keyspaces), requests sent round-robin to all three members (followers forward writes).
 * Operations: put, linearizable get, serializable get, txn compare-and-swap; 1, 64 and 1024 requests in flight from
 * 16 caller threads; throughput and latency percentiles (HdrHistogram, from the call to the future's completion).
 *
 * <p>Run: {@code java @<flags> -cp benchmarks/target/benchmarks.jar io.cohort.benchmarks.kv.KvStoreBenchmark
 * [seconds per point]}; {@code -Dbench.inFlight=1,64,1024}, {@code -Dbench.ops=put,get,sget,cas} pick the points.
 */
public final class KvStoreBenchmark {
    private static final int CALLER_THREADS = 16;
    private static final int KEYS = 10_000;
    private static final int VALUE_BYTES = 128;
    private static final int[] IN_FLIGHT = java.util.Arrays.stream(System.getProperty("bench.inFlight", "1,64,1024")
            .split(",")).mapToInt(Integer::parseInt).toArray();
    private static final List<String> OPS = List.of(System.getProperty("bench.ops", "put,get,sget,cas").split(","));

    private KvStoreBenchmark() {
    }

    /** One measured point. */
    record Result(String op, int inFlight, double opsPerSecond, long p50Micros, long p99Micros, long p999Micros) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        System.out.printf("KvStore benchmark: 3 members in one JVM, in-memory transport, Chronicle logs with fsync, "
                + "LMDB keyspaces; %d keys, %d-byte values; %d caller threads; %d s per point; JDK %s, %d cores%n",
                KEYS, VALUE_BYTES, CALLER_THREADS, seconds, Runtime.version(), Runtime.getRuntime().availableProcessors());
        List<Result> results = new ArrayList<>();
        try (InProcessGroup group = new InProcessGroup("cohort-kv-bench",
                b -> b.snapshotIntervalEntries(0).maxPendingRequests(4_096))) {
            List<CohortNode> nodes = group.members;
            group.awaitLeader();
            Bytes[] keys = new Bytes[KEYS];
            byte[] value = new byte[VALUE_BYTES];
            for (int i = 0; i < KEYS; i++) {
                keys[i] = Bytes.ofUtf8(String.format("bench/key/%06d", i));
            }
            preload(nodes.get(0).kv(), keys, Bytes.wrap(value));
            for (String op : OPS) {
                for (int inFlight : IN_FLIGHT) {
                    results.add(run(op, inFlight, seconds, nodes, request(op, keys, Bytes.wrap(value))));
                }
            }
        }
        System.out.println();
        System.out.println("| operation | in flight | ops/s | p50 µs | p99 µs | p99.9 µs |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (Result r : results) {
            System.out.printf("| %s | %d | %.0f | %d | %d | %d |%n", r.op, r.inFlight, r.opsPerSecond, r.p50Micros,
                    r.p99Micros, r.p999Micros);
        }
    }

    private static Function<KvStore, CompletableFuture<?>> request(String op, Bytes[] keys, Bytes value) {
        GetOptions serializable = GetOptions.serializableRead();
        GetOptions linearizable = GetOptions.defaults();
        return switch (op) {
            case "put" -> kv -> kv.putAsync(key(keys), value, PutOptions.defaults());
            case "get" -> kv -> kv.getAsync(KeyRange.key(key(keys)), linearizable);
            case "sget" -> kv -> kv.getAsync(KeyRange.key(key(keys)), serializable);
            case "cas" -> kv -> {
                // Compare-and-swap on the value every key holds: the compare holds, the put runs.
                Bytes k = key(keys);
                return kv.txnAsync(Op.txn(List.of(new Compare(KeyRange.key(k), Compare.Target.VALUE,
                                Compare.Operator.EQUAL, 0, value)), List.of(Op.put(k, value, PutOptions.defaults())),
                        List.of(Op.get(KeyRange.key(k), linearizable))));
            };
            default -> throw new IllegalArgumentException("unknown op " + op + " (put, get, sget, cas)");
        };
    }

    private static Bytes key(Bytes[] keys) {
        return keys[ThreadLocalRandom.current().nextInt(keys.length)];
    }

    private static void preload(KvStore kv, Bytes[] keys, Bytes value) throws InterruptedException {
        Semaphore window = new Semaphore(256);
        AtomicLong failures = new AtomicLong();
        for (Bytes k : keys) {
            window.acquire();
            kv.putAsync(k, value, PutOptions.defaults()).whenComplete((r, e) -> {
                if (e != null) {
                    failures.incrementAndGet();
                }
                window.release();
            });
        }
        window.acquire(256);
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " preload puts failed");
        }
    }

    private static Result run(String op, int inFlight, int seconds, List<CohortNode> nodes,
                              Function<KvStore, CompletableFuture<?>> request) throws Exception {
        Recorder recorder = new Recorder(3);
        Semaphore window = new Semaphore(inFlight);
        AtomicLong failures = new AtomicLong();
        AtomicLong next = new AtomicLong();
        long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(seconds);
        CountDownLatch done = new CountDownLatch(CALLER_THREADS);
        for (int t = 0; t < CALLER_THREADS; t++) {
            Thread caller = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        window.acquire();
                        KvStore kv = nodes.get((int) (next.getAndIncrement() % nodes.size())).kv();
                        long start = System.nanoTime();
                        request.apply(kv).whenComplete((r, e) -> {
                            long now = System.nanoTime();
                            if (e != null) {
                                failures.incrementAndGet();
                            } else if (start >= warmupEnd && now < end) {
                                recorder.recordValue((now - start) / 1_000);
                            }
                            window.release();
                        });
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "bench-caller-" + t);
            caller.setDaemon(true);
            caller.start();
        }
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(warmupEnd - System.nanoTime()));
        recorder.getIntervalHistogram(); // Discard warm-up.
        done.await();
        window.acquire(inFlight);
        Histogram h = recorder.getIntervalHistogram();
        if (failures.get() > 0) {
            throw new IllegalStateException(op + " at " + inFlight + " in flight: " + failures.get() + " requests failed");
        }
        double rate = h.getTotalCount() / (double) seconds;
        Result r = new Result(op, inFlight, rate, h.getValueAtPercentile(50), h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9));
        System.out.printf("%-4s in flight %4d: %,10.0f ops/s  p50 %,8d µs  p99 %,8d µs  p99.9 %,8d µs%n", op, inFlight,
                rate, r.p50Micros, r.p99Micros, r.p999Micros);
        return r;
    }
}
