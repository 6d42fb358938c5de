package io.cohort.raft;

import java.util.Objects;
import java.util.concurrent.CancellationException;

/**
 * A state machine snapshot in two phases: captured at exactly {@link #meta()}{@code .index()} on the thread that
 * applies ({@link StateMachine#captureSnapshot}, which must be cheap), then written durably by {@link #write()} on a
 * separate snapshot thread while the state machine keeps applying. A {@link RaftNode} writes at most one at a time, and
 * compacts its log behind a snapshot only once {@link #write()} returned.
 */
public interface SnapshotCapture extends AutoCloseable {

    /** The log position and membership the captured state is exactly at. */
    SnapshotMeta meta();

    /**
     * Writes the captured state durably (it is then the state machine's {@link StateMachine#latestSnapshot()}) and
     * returns its contents, never rewritten afterwards (see {@link StateMachine#takeSnapshot}). Called once, on a
     * thread other than the applying one; may take long.
     *
     * @throws CancellationException if {@link #close()} was called before or during the write: nothing was made
     *     durable or visible as a snapshot
     */
    SnapshotData write();

    /**
     * Abandons the capture, from any thread: releases what it holds; a {@link #write()} in progress stops and publishes
     * nothing. Once this returns, {@link #write()} either has already returned or throws {@link CancellationException}.
     * Idempotent; a no-op after {@link #write()} returned.
     */
    @Override
    void close();

    /** A capture whose snapshot is already written ({@code data}): {@link #write()} returns it at once. */
    static SnapshotCapture written(SnapshotMeta meta, SnapshotData data) {
        return new WrittenSnapshotCapture(Objects.requireNonNull(meta, "meta"), Objects.requireNonNull(data, "data"));
    }
}
