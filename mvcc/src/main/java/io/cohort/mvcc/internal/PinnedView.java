package io.cohort.mvcc.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.agrona.DirectBuffer;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keyspace pinned at one committed state by an open LMDB read transaction, to be written to a snapshot file later,
 * on another thread (the environment runs with MDB_NOTLS, so a read transaction may move between threads). While it
 * is open it pins the pages of that state: write it soon, then it is released. Closing it cancels a write in
 * progress (the write stops, deletes its file and throws {@link CancellationException}).
 */
public final class PinnedView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PinnedView.class);
    private static final int OPEN = 0;
    private static final int WRITING = 1;
    private static final int RELEASED = 2;
    /** Entries copied between two checks for cancellation and time. */
    private static final int CHECK_EVERY_ENTRIES = 1024;

    private final Store store;
    private final Txn<DirectBuffer> txn;
    private final State state;
    private final Consumer<PinnedView> onRelease;
    private int phase = OPEN; // guarded by this
    private volatile boolean cancelled;
    private volatile String cancelReason;

    PinnedView(Store store, Txn<DirectBuffer> txn, State state, Consumer<PinnedView> onRelease) {
        this.store = store;
        this.txn = txn;
        this.state = state;
        this.onRelease = onRelease;
    }

    /** The pinned state (applied index, revision, compaction). */
    public State state() {
        return state;
    }

    /**
     * Writes the pinned state to {@code file} (must not exist) as a keyspace snapshot file (the format
     * {@link SnapshotFile#restore} reads), synced if {@code syncFile}; with {@code syncKeyspace} also forces the live
     * keyspace to disk (it then durably holds at least the pinned state). Releases the pinned state in every case. One
     * call only.
     *
     * @throws CancellationException if {@link #close} was called before or during the write, or it took longer than
     *     {@code timeoutMs}: the file is deleted
     * @throws IllegalArgumentException if {@code file} exists (it is left alone)
     */
    public void writeTo(Path file, long timeoutMs, boolean syncFile, boolean syncKeyspace) {
        synchronized (this) {
            if (phase != OPEN || cancelled) {
                throw new CancellationException("the keyspace snapshot at applied index " + state.appliedIndex()
                        + " was released before it was written");
            }
            phase = WRITING;
        }
        if (Files.exists(file)) {
            release();
            throw new IllegalArgumentException("snapshot file " + file + " already exists");
        }
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(timeoutMs, Long.MAX_VALUE / 2_000_000));
        boolean written = false;
        try {
            SnapshotFile.writeFrom(store, txn, file, syncFile, CHECK_EVERY_ENTRIES, () -> checkContinue(deadlineNs, timeoutMs));
            if (syncKeyspace) {
                store.env.sync(true); // mdb_env_sync may run beside the writer; the env stays open while pinned.
            }
            checkContinue(deadlineNs, timeoutMs);
            written = true;
        } finally {
            release();
            if (!written) {
                deleteQuietly(file);
            }
        }
    }

    private void checkContinue(long deadlineNs, long timeoutMs) {
        if (cancelled) {
            throw new CancellationException("the keyspace snapshot at applied index " + state.appliedIndex()
                    + " was cancelled while written" + (cancelReason == null ? "" : ": " + cancelReason));
        }
        if (System.nanoTime() - deadlineNs > 0) {
            throw new CancellationException("the keyspace snapshot at applied index " + state.appliedIndex()
                    + " took longer than " + timeoutMs + " ms to write; abandoned so its read transaction does not "
                    + "pin old pages any longer");
        }
    }

    /** Releases the pinned state; a write in progress stops (its file deleted) and throws. Idempotent, any thread. */
    @Override
    public void close() {
        cancel("closed");
    }

    void cancel(String reason) {
        synchronized (this) {
            if (!cancelled) {
                cancelReason = reason;
                cancelled = true;
            }
            if (phase != OPEN) {
                return; // The writer releases it when it stops.
            }
        }
        release();
    }

    /** Waits up to {@code timeoutMs} until the pinned state is released; true if it is. */
    synchronized boolean awaitReleased(long timeoutMs) {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (phase != RELEASED) {
            long leftNs = deadlineNs - System.nanoTime();
            if (leftNs <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, leftNs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return phase == RELEASED;
            }
        }
        return true;
    }

    private void release() {
        synchronized (this) {
            if (phase == RELEASED) {
                return;
            }
            phase = RELEASED;
            txn.close(); // A read txn: aborted, its reader slot freed (from any thread under MDB_NOTLS).
            notifyAll();
        }
        onRelease.accept(this);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete the unfinished snapshot file {}", file, e);
        }
    }
}
