package io.cohort.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.CohortException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The idle compactor alone, over a fake keyspace: it parks while nothing is pending and finishes what comes. */
class IdleCompactorTest {
    private static final long POLL_MS = 10;
    private static final long LONG_PARK_MS = 60_000;

    /** A keyspace with {@code remaining} physical steps left; busy while {@code busy} is set. */
    private static final class FakeKeyspace {
        final AtomicInteger remaining = new AtomicInteger();
        final AtomicInteger steps = new AtomicInteger();
        final AtomicInteger failuresLeft = new AtomicInteger();
        volatile boolean busy;
        volatile boolean closed;

        boolean pending() {
            return remaining.get() > 0;
        }

        boolean stepIfIdle() {
            if (closed) {
                throw new CohortException.Closed("keyspace closed", null);
            }
            if (busy || remaining.get() == 0) {
                return false;
            }
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("injected step failure");
            }
            steps.incrementAndGet();
            return remaining.decrementAndGet() > 0;
        }
    }

    private static IdleCompactor compactor(FakeKeyspace ks, long idleParkMs) {
        return new IdleCompactor(7, ks::pending, ks::stepIfIdle, POLL_MS, idleParkMs);
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, long timeoutMs, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as(what + " within " + timeoutMs + " ms").isNegative();
            Thread.sleep(5);
        }
    }

    @Test
    void withNothingPendingItDoesNotPoll() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        try (IdleCompactor c = compactor(ks, 1000)) {
            c.start();
            awaitTrue(() -> c.looksForTest() >= 1, 2000, "the first look");
            Thread.sleep(300);
            // It polled every 10 ms before: about 30 looks here. Now one, or two if a park returned early.
            assertThat(c.looksForTest()).isBetween(1L, 2L);
        }
    }

    @Test
    void aCompactionAppliedWakesItAndItFinishesEveryStepThenParksAgain() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        try (IdleCompactor c = compactor(ks, LONG_PARK_MS)) {
            c.start();
            awaitTrue(() -> c.looksForTest() >= 1, 2000, "the first look");
            ks.remaining.set(3 * IdleCompactor.STEPS_PER_LOOK + 5); // several looks' worth
            c.compactionApplied();
            // Only the wake-up can start it within the test: its idle park is a minute.
            awaitTrue(() -> ks.remaining.get() == 0, 5000, "every step");
            assertThat(ks.steps.get()).isEqualTo(3 * IdleCompactor.STEPS_PER_LOOK + 5);
            long looks = c.looksForTest();
            Thread.sleep(200);
            assertThat(c.looksForTest()).as("looks once nothing is pending").isLessThanOrEqualTo(looks + 1);
        }
    }

    @Test
    void aCompactionPendingAtStartIsFinished() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        ks.remaining.set(5);
        try (IdleCompactor c = compactor(ks, LONG_PARK_MS)) {
            c.start();
            awaitTrue(() -> ks.remaining.get() == 0, 5000, "the steps pending at start");
        }
    }

    @Test
    void whileTheKeyspaceIsBusyItLooksEveryPollAndFinishesOnceIdle() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        ks.busy = true;
        ks.remaining.set(4);
        try (IdleCompactor c = compactor(ks, LONG_PARK_MS)) {
            c.start();
            Thread.sleep(300);
            assertThat(ks.steps.get()).as("no step while writes come").isZero();
            assertThat(c.looksForTest()).as("looks every 10 ms while a compaction waits").isGreaterThanOrEqualTo(5);
            ks.busy = false;
            awaitTrue(() -> ks.remaining.get() == 0, 5000, "the steps once idle");
        }
    }

    @Test
    void aFailedStepIsRetried() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        ks.failuresLeft.set(1);
        ks.remaining.set(2);
        try (IdleCompactor c = compactor(ks, LONG_PARK_MS)) {
            c.start();
            awaitTrue(() -> ks.remaining.get() == 0, 5000, "the steps after a failed one");
            assertThat(ks.failuresLeft.get()).isZero();
        }
    }

    @Test
    void closeStopsItDuringItsIdleParkAndAClosedKeyspaceEndsIt() throws Exception {
        FakeKeyspace ks = new FakeKeyspace();
        IdleCompactor c = compactor(ks, LONG_PARK_MS);
        c.start();
        awaitTrue(() -> c.looksForTest() >= 1, 2000, "the first look");
        long start = System.nanoTime();
        c.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("close during a minute's park")
                .isLessThan(2000);
        long looks = c.looksForTest();
        c.compactionApplied(); // no effect on a stopped compactor
        Thread.sleep(50);
        assertThat(c.looksForTest()).isEqualTo(looks);

        FakeKeyspace closing = new FakeKeyspace();
        closing.remaining.set(1);
        closing.closed = true;
        try (IdleCompactor ended = compactor(closing, LONG_PARK_MS)) {
            ended.start();
            awaitTrue(() -> ended.looksForTest() >= 1, 2000, "the first look");
            Thread.sleep(100);
            assertThat(ended.looksForTest()).as("a closed keyspace ends the thread").isEqualTo(1);
        }
    }
}
