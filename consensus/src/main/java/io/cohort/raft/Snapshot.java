package io.cohort.raft;

import java.util.Objects;

/**
 * A state machine snapshot: its log position and its contents, read in ranges ({@link SnapshotData}).
 *
 * @param meta last index, term and membership covered
 * @param data the state machine's serialized state
 */
public record Snapshot(SnapshotMeta meta, SnapshotData data) {
    /** Validates the fields. */
    public Snapshot {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(data, "data");
    }

    /** A snapshot held in {@code bytes} (owned by it from now on): for small state machines, tests and simulations. */
    public Snapshot(SnapshotMeta meta, byte[] bytes) {
        this(meta, SnapshotData.ofBytes(bytes));
    }

    @Override
    public String toString() {
        return "Snapshot{" + meta.index() + "@" + meta.term() + " " + meta.membership() + " " + data.sizeBytes() + "B}";
    }
}
