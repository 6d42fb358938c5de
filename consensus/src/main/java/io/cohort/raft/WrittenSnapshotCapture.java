package io.cohort.raft;

/** A {@link SnapshotCapture} written when it was captured (a state machine that snapshots synchronously). */
record WrittenSnapshotCapture(SnapshotMeta meta, SnapshotData data) implements SnapshotCapture {

    @Override
    public SnapshotData write() {
        return data;
    }

    @Override
    public void close() {
        // Nothing held: the snapshot is already durable.
    }
}
