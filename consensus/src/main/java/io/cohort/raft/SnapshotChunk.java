package io.cohort.raft;

import java.util.Objects;

/**
 * A piece of a snapshot a follower received from its leader, to write into staging ({@link Ready#snapshotChunks()},
 * {@link SnapshotReceiver}). Chunks of one snapshot come in order; a chunk at offset 0 starts a new staging.
 *
 * @param meta the snapshot's position
 * @param snapshotSizeBytes the whole snapshot's size
 * @param snapshotChecksum the whole snapshot's CRC-32C
 * @param offset where {@code bytes} go in the snapshot
 * @param bytes the chunk's bytes (callers must not modify)
 */
public record SnapshotChunk(SnapshotMeta meta, long snapshotSizeBytes, int snapshotChecksum, long offset, byte[] bytes) {
    /** Validates the fields. */
    public SnapshotChunk {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(bytes, "bytes");
        if (offset < 0 || offset > snapshotSizeBytes - bytes.length) {
            throw new IllegalArgumentException("chunk of " + bytes.length + " bytes at " + offset
                    + " outside a snapshot of " + snapshotSizeBytes + " bytes");
        }
    }

    /** True if this chunk ends the snapshot. */
    public boolean last() {
        return offset + bytes.length == snapshotSizeBytes;
    }

    @Override
    public String toString() {
        return "SnapshotChunk{" + meta.index() + "@" + meta.term() + " " + offset + "+" + bytes.length + "/"
                + snapshotSizeBytes + "}";
    }
}
