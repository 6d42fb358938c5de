package io.cohort.mvcc;

import io.cohort.mvcc.internal.PinnedView;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;

/**
 * The keyspace pinned at one moment by {@link Keyspace#captureSnapshot()}, to be written to a snapshot file later on
 * any thread while the keyspace keeps applying. It holds an LMDB read transaction, which pins the pages of that
 * moment: write it soon, or close it.
 */
public final class KeyspaceSnapshot implements AutoCloseable {
    private final PinnedView view;

    KeyspaceSnapshot(PinnedView view) {
        this.view = view;
    }

    /** The applied index of the pinned keyspace. */
    public long appliedIndex() {
        return view.state().appliedIndex();
    }

    /** The revision of the pinned keyspace. */
    public long revision() {
        return view.state().revision();
    }

    /**
     * Writes the pinned keyspace to {@code file} (which must not exist), in the format {@link Keyspace#restoreSnapshot}
     * reads, syncs it, and forces the live keyspace to disk (it then durably holds at least {@link #appliedIndex()}).
     * Releases the pinned pages in every case; one call only.
     *
     * @throws CancellationException if this snapshot was closed before or during the write, or the write took longer
     *     than {@code timeoutMs}; the file is deleted
     * @throws IllegalArgumentException if {@code file} exists
     */
    public void writeTo(Path file, long timeoutMs) {
        view.writeTo(file, checkTimeout(timeoutMs), true, true);
    }

    /**
     * Writes the pinned keyspace to {@code file} (which must not exist) like {@link #writeTo}, but syncs neither the
     * file nor the live keyspace: for a copy that need not survive a crash, such as one sent to a follower (which
     * checks it against its checksum). Releases the pinned pages in every case; one call only.
     *
     * @throws CancellationException if this snapshot was closed before or during the write, or the write took longer
     *     than {@code timeoutMs}; the file is deleted
     * @throws IllegalArgumentException if {@code file} exists
     */
    public void writeCopy(Path file, long timeoutMs) {
        view.writeTo(file, checkTimeout(timeoutMs), false, false);
    }

    private static long checkTimeout(long timeoutMs) {
        if (timeoutMs < 1) {
            throw new IllegalArgumentException("timeoutMs must be >= 1, was " + timeoutMs);
        }
        return timeoutMs;
    }

    /** Releases the pinned keyspace; a write in progress stops, deletes its file and throws. Idempotent, any thread. */
    @Override
    public void close() {
        view.close();
    }
}
