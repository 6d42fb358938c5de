package io.cohort.benchmarks.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** A target that completes every request after a fixed delay on a timer thread and records what it saw. */
final class FakeTarget implements Target {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong linearizableReads = new AtomicLong();
    final List<EventSink> sinks = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-target");
        t.setDaemon(true);
        return t;
    });
    private final long delayMicros;
    private final boolean casFails;

    FakeTarget(long delayMicros, boolean casFails) {
        this.delayMicros = delayMicros;
        this.casFails = casFails;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public void prepare(int keyCount, byte[] value) {
    }

    private <T> CompletableFuture<T> later(T result, Runnable atCompletion) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        requests.incrementAndGet();
        CompletableFuture<T> f = new CompletableFuture<>();
        timer.schedule(() -> {
            inFlight.decrementAndGet();
            atCompletion.run();
            f.complete(result);
        }, delayMicros, TimeUnit.MICROSECONDS);
        return f;
    }

    @Override
    public CompletableFuture<?> putAsync(int keyIndex, byte[] value) {
        return later("ok", () -> { });
    }

    @Override
    public CompletableFuture<?> rangeAsync(int keyIndex, boolean linearizable) {
        if (linearizable) {
            linearizableReads.incrementAndGet();
        }
        return later("ok", () -> { });
    }

    @Override
    public CompletableFuture<Boolean> casAsync(int keyIndex, byte[] expected, byte[] value) {
        return later(!casFails, () -> { });
    }

    @Override
    public CompletableFuture<?> putWatchedAsync(int keyIndex, byte[] value) {
        long stamp = 0;
        for (int b = 0; b < Long.BYTES; b++) {
            stamp = (stamp << 8) | (value[b] & 0xFF);
        }
        long sent = stamp;
        return later("ok", () -> sinks.forEach(s -> s.onEvent(sent)));
    }

    @Override
    public AutoCloseable watch(EventSink sink) {
        sinks.add(sink);
        return () -> sinks.remove(sink);
    }

    @Override
    public String describe() {
        return "fake";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
