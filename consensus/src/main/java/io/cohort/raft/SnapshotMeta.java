package io.cohort.raft;

/** Where a snapshot stands in the log: the last index and term it covers, and the membership at that point. */
public record SnapshotMeta(long index, long term, Membership membership) {
    /** The position before any entry: no snapshot. */
    public static final SnapshotMeta NONE = new SnapshotMeta(0, 0, Membership.EMPTY);

    public SnapshotMeta {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must be >= 0: " + index + ", " + term);
        }
    }
}
