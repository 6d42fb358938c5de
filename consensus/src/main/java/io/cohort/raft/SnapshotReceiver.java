package io.cohort.raft;

import java.util.Objects;

/**
 * Writes the snapshot chunks of successive {@link Ready#snapshotChunks()} into a staging, one snapshot at a time, and
 * returns the verified snapshot once its last chunk is in; the driver of a {@link RaftCore} hands it to
 * {@link RaftCore#snapshotReceived} (or, if verification failed, reports {@link RaftCore#snapshotRefused}).
 * Single-threaded, like the core.
 */
public final class SnapshotReceiver {
    private static final byte[] NO_BYTES = new byte[0];

    private final SnapshotStaging.Factory factory;
    /** The first chunk of the snapshot being staged, its bytes dropped (they are in the staging). */
    private SnapshotChunk staged;
    private SnapshotStaging staging;

    /** A receiver staging snapshots where {@code factory} says. */
    public SnapshotReceiver(SnapshotStaging.Factory factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /**
     * Writes {@code chunk} (a chunk at offset 0 starts a new snapshot, aborting any unfinished one) and returns the
     * snapshot if this was its last chunk, else null.
     *
     * @throws SnapshotCorruptedException if the completed snapshot does not match its size or checksum
     */
    public Snapshot write(SnapshotChunk chunk) {
        if (chunk.offset() == 0) {
            abort();
            staging = factory.stage(chunk.meta(), chunk.snapshotSizeBytes(), chunk.snapshotChecksum());
            staged = new SnapshotChunk(chunk.meta(), chunk.snapshotSizeBytes(), chunk.snapshotChecksum(), 0, NO_BYTES);
        } else if (staging == null || !staged.meta().equals(chunk.meta())
                || staged.snapshotSizeBytes() != chunk.snapshotSizeBytes()
                || staged.snapshotChecksum() != chunk.snapshotChecksum()) {
            throw new IllegalStateException(chunk + " does not continue the snapshot being staged (" + staged + ")");
        }
        staging.write(chunk.offset(), chunk.bytes());
        if (!chunk.last()) {
            return null;
        }
        SnapshotStaging done = staging;
        staging = null;
        staged = null;
        return new Snapshot(chunk.meta(), done.finish());
    }

    /** Discards an unfinished snapshot, if any. */
    public void abort() {
        if (staging != null) {
            staging.abort();
            staging = null;
            staged = null;
        }
    }
}
