package io.cohort.raft;

/**
 * Where a follower writes a snapshot's chunks as they arrive from the leader, in order, before installing it
 * ({@link StateMachine#stageSnapshot}). {@link #finish()} checks the size and CRC-32C of everything written and
 * returns the staged snapshot; a staging that fails or is given up is {@link #abort() aborted}.
 */
public interface SnapshotStaging {

    /** Writes {@code chunk} at {@code offset}, which must equal the number of bytes written so far. */
    void write(long offset, byte[] chunk);

    /**
     * Makes the staged bytes durable and verifies them against the expected size and checksum.
     *
     * @throws SnapshotCorruptedException if they do not match (the staging is aborted)
     */
    SnapshotData finish();

    /** Discards what was staged; idempotent. */
    void abort();

    /** Creates a staging for the snapshot at {@code meta} of {@code sizeBytes} with CRC-32C {@code checksum}. */
    @FunctionalInterface
    interface Factory {
        /** A new, empty staging. */
        SnapshotStaging stage(SnapshotMeta meta, long sizeBytes, int checksum);
    }

    /**
     * A staging in one byte array: only for small state machines, tests and simulations.
     *
     * @throws IllegalArgumentException if {@code sizeBytes} exceeds {@code maxBytes}
     */
    static SnapshotStaging inMemory(SnapshotMeta meta, long sizeBytes, int checksum, int maxBytes) {
        if (sizeBytes < 0 || sizeBytes > maxBytes) {
            throw new IllegalArgumentException("a snapshot of " + sizeBytes + " bytes cannot be staged in memory (at most "
                    + maxBytes + " bytes); stage it on disk (FileSnapshotStaging)");
        }
        byte[] bytes = new byte[(int) sizeBytes];
        return new SnapshotStaging() {
            private long written;

            @Override
            public void write(long offset, byte[] chunk) {
                if (offset != written || chunk.length > bytes.length - offset) {
                    throw new IllegalStateException("chunk of " + chunk.length + " bytes at " + offset + " but "
                            + written + " of " + bytes.length + " bytes written");
                }
                System.arraycopy(chunk, 0, bytes, (int) offset, chunk.length);
                written += chunk.length;
            }

            @Override
            public SnapshotData finish() {
                if (written != bytes.length) {
                    throw new SnapshotCorruptedException(meta, "truncated: " + written + " of " + bytes.length
                            + " bytes received");
                }
                SnapshotData data = SnapshotData.ofBytes(bytes); // computes the CRC-32C once
                if (data.checksum() != checksum) {
                    throw new SnapshotCorruptedException(meta, "CRC-32C " + Integer.toHexString(data.checksum())
                            + ", expected " + Integer.toHexString(checksum));
                }
                return data;
            }

            @Override
            public void abort() {
                written = -1;
            }
        };
    }
}
