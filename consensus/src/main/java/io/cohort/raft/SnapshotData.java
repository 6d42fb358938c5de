package io.cohort.raft;

/**
 * The contents of a state machine snapshot, read in ranges so that neither the member sending it nor the one
 * receiving it holds it whole in memory. Implementations are immutable: the same offset always reads the same bytes
 * (a file-backed snapshot's file is never rewritten, see {@link FileSnapshotData}). A snapshot the state machine
 * holds in its own storage has no bytes until a follower needs them ({@link #onDemand}).
 */
public interface SnapshotData {

    /** The number of bytes. */
    long sizeBytes();

    /** The CRC-32C of all {@link #sizeBytes()} bytes, which a receiver verifies before installing. */
    int checksum();

    /**
     * Reads exactly {@code length} bytes at {@code offset} into {@code dst} from {@code dstOffset}.
     *
     * @throws IllegalArgumentException if the range is outside the snapshot or {@code dst}
     * @throws java.io.UncheckedIOException if the bytes cannot be read (for a file: deleted, truncated, I/O error)
     */
    void read(long offset, byte[] dst, int dstOffset, int length);

    /**
     * All the bytes in one array: only for snapshots known to be small (tests, simulations).
     *
     * @throws IllegalStateException if the snapshot is larger than {@code maxBytes}
     */
    default byte[] readAllBytes(int maxBytes) {
        if (sizeBytes() > maxBytes) {
            throw new IllegalStateException("snapshot of " + sizeBytes() + " bytes is larger than the " + maxBytes
                    + " bytes allowed in memory");
        }
        byte[] out = new byte[(int) sizeBytes()];
        read(0, out, 0, out.length);
        return out;
    }

    /**
     * True if the state machine holds this snapshot's state in its own durable storage and writes bytes only when a
     * follower needs them ({@link #onDemand}): {@link #sizeBytes()}, {@link #checksum()} and {@link #read} then throw.
     */
    default boolean writtenOnDemand() {
        return heldIndex() >= 0;
    }

    /**
     * A snapshot the state machine holds in its own durable storage, at applied index {@code heldIndex} (at or past
     * the snapshot's index) when it was stored: taking it copies nothing, and a leader asks for the bytes to send only
     * when a follower needs them ({@link StateMachine#captureSnapshotToSend}). See {@link #writtenOnDemand()}.
     */
    static SnapshotData onDemand(long heldIndex) {
        return new OnDemandSnapshotData(heldIndex);
    }

    /** For a snapshot {@link #writtenOnDemand()}: the applied index the state machine held when it was stored; else -1. */
    default long heldIndex() {
        return -1;
    }

    /** A snapshot held in {@code bytes} (owned by it from now on): for small state machines, tests and simulations. */
    static SnapshotData ofBytes(byte[] bytes) {
        return new BytesSnapshotData(bytes);
    }

    /** Checks that {@code [offset, offset + length)} lies inside a snapshot of {@code sizeBytes} and {@code dst}. */
    static void checkRange(long sizeBytes, long offset, byte[] dst, int dstOffset, int length) {
        if (offset < 0 || length < 0 || offset > sizeBytes - length || dstOffset < 0 || dstOffset > dst.length - length) {
            throw new IllegalArgumentException("cannot read " + length + " bytes at offset " + offset + " of a "
                    + sizeBytes + "-byte snapshot into " + dst.length + " bytes at " + dstOffset);
        }
    }
}
