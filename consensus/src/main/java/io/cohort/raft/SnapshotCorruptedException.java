package io.cohort.raft;

/**
 * A snapshot's bytes do not match its size or checksum (CRC-32C): it is refused, never installed. A member that
 * receives one from its leader reports it and asks for the snapshot again.
 */
public final class SnapshotCorruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient SnapshotMeta meta;

    /** Creates the exception for the snapshot at {@code meta}, saying what was wrong. */
    public SnapshotCorruptedException(SnapshotMeta meta, String what) {
        super("snapshot at index " + meta.index() + " term " + meta.term() + " is corrupt: " + what);
        this.meta = meta;
    }

    /** The position of the refused snapshot. */
    public SnapshotMeta meta() {
        return meta;
    }
}
