package io.cohort.internal;

import io.cohort.CohortException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that finishes physical compaction while the keyspace is idle (every apply also runs one step, so under
 * writes it finishes there). While a compaction is pending it looks every {@code pollMs}; while none is, it parks
 * until {@link #compactionApplied} wakes it, or at most {@code idleParkMs}, so an idle node does not wake 100 times
 * a second for nothing.
 */
final class IdleCompactor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdleCompactor.class);
    /** Steps per look: each is one bounded write transaction, and writers wait for it. */
    static final int STEPS_PER_LOOK = 16;
    private static final long RETRY_AFTER_FAILURE_MS = 1000;
    private static final long JOIN_TIMEOUT_MS = 10_000;

    private final long memberId;
    private final BooleanSupplier pending;
    private final BooleanSupplier stepIfIdle;
    private final long pollNs;
    private final long idleParkNs;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long looks;

    /**
     * For member {@code memberId}: {@code pending} says whether physical compaction has work left, {@code stepIfIdle}
     * runs one step if the keyspace is idle and says whether more remains (it may throw
     * {@link CohortException.Closed} once the keyspace is closing).
     */
    IdleCompactor(long memberId, BooleanSupplier pending, BooleanSupplier stepIfIdle, long pollMs, long idleParkMs) {
        if (pollMs <= 0 || idleParkMs < pollMs) {
            throw new IllegalArgumentException("pollMs must be > 0 and idleParkMs >= pollMs: " + pollMs + ", "
                    + idleParkMs);
        }
        this.memberId = memberId;
        this.pending = pending;
        this.stepIfIdle = stepIfIdle;
        this.pollNs = TimeUnit.MILLISECONDS.toNanos(pollMs);
        this.idleParkNs = TimeUnit.MILLISECONDS.toNanos(idleParkMs);
        this.thread = new Thread(this::run, "cohort-compactor-" + memberId);
        thread.setDaemon(true);
    }

    /** Starts the thread; it looks at once, so a compaction pending at start is finished. */
    void start() {
        thread.start();
    }

    /** Wakes the thread: a compaction was applied (or a snapshot installed), so physical work may be pending. */
    void compactionApplied() {
        LockSupport.unpark(thread);
    }

    /** For tests: how many times the thread has looked for work. */
    long looksForTest() {
        return looks;
    }

    private void run() {
        while (running) {
            looks++; // one writer: this thread
            Thread.interrupted(); // nobody interrupts it (close unparks); a stray interrupt must not make park spin
            try {
                for (int i = 0; i < STEPS_PER_LOOK && running; i++) {
                    if (!stepIfIdle.getAsBoolean()) {
                        break;
                    }
                }
                // Pending: the keyspace was busy, or more steps remain. Else nothing to do until a compaction comes.
                LockSupport.parkNanos(this, pending.getAsBoolean() ? pollNs : idleParkNs);
            } catch (CohortException.Closed e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("member {}: physical compaction failed; it is retried in {} ms", memberId,
                        RETRY_AFTER_FAILURE_MS, e);
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(RETRY_AFTER_FAILURE_MS));
            }
        }
    }

    /** Stops the thread and waits for it (bounded); a step under way finishes first. */
    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(JOIN_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("member {}: the compactor thread did not stop within {} ms", memberId, JOIN_TIMEOUT_MS);
        }
    }
}
