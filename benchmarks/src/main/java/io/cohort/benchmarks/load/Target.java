package io.cohort.benchmarks.load;

import java.util.concurrent.CompletableFuture;

/**
 * One system under load, as a JVM service sees it: Cohort embedded in this JVM, or etcd through jetcd. Keys are
 * numbered {@code 0..keyCount-1}; each target builds its own key objects once in {@link #prepare} so the hot path
 * does not format strings.
 */
public interface Target extends AutoCloseable {
    /** A short name for tables: {@code cohort} or {@code etcd}. */
    String name();

    /** Builds the key objects and writes every key once with {@code value} (so reads and CAS hit existing keys). */
    void prepare(int keyCount, byte[] value) throws Exception;

    /** Puts {@code value} at key {@code keyIndex} of the main key set. */
    CompletableFuture<?> putAsync(int keyIndex, byte[] value);

    /** Reads key {@code keyIndex}: linearizable (a quorum round) or serializable (local). */
    CompletableFuture<?> rangeAsync(int keyIndex, boolean linearizable);

    /**
     * A txn compare-and-set: if the key's value equals {@code expected}, put {@code value}, else get the key.
     * Completes with whether the compare held.
     */
    CompletableFuture<Boolean> casAsync(int keyIndex, byte[] expected, byte[] value);

    /** Puts {@code value} at key {@code keyIndex} of the watched key set (a prefix apart from the main keys). */
    CompletableFuture<?> putWatchedAsync(int keyIndex, byte[] value);

    /**
     * Opens a watch on the watched key set's prefix; {@code sink} gets, per put event, the value's first 8 bytes
     * (the writer's {@code System.nanoTime()} when it sent the put).
     */
    AutoCloseable watch(EventSink sink) throws Exception;

    /** Receives watched events. */
    @FunctionalInterface
    interface EventSink {
        /** One put event whose value starts with {@code sentNanos}. */
        void onEvent(long sentNanos);
    }

    /**
     * Writes every key of the main set once with {@code value} through {@link #putAsync}, 256 at a time (what
     * {@link #prepare} does after building its keys); throws if a put fails or it takes over 120 s.
     */
    static void preload(Target target, int keyCount, byte[] value) throws InterruptedException {
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(256);
        java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();
        for (int i = 0; i < keyCount; i++) {
            window.acquire();
            target.putAsync(i, value).whenComplete((r, e) -> {
                if (e != null) {
                    failures.incrementAndGet();
                }
                window.release();
            });
        }
        if (!window.tryAcquire(256, 120, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("preload of " + keyCount + " keys did not finish in 120 s");
        }
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " of " + keyCount + " preload puts failed");
        }
    }

    /** A line for the report: which member or endpoint the load goes to and its role. */
    String describe();
}
