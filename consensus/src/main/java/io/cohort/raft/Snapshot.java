package io.cohort.raft;

import java.util.Objects;

/**
 * A state machine snapshot: its log position and the opaque bytes the state machine produced.
 *
 * @param meta last index, term and membership covered
 * @param data the state machine's serialized state
 */
public record Snapshot(SnapshotMeta meta, byte[] data) {
    /** Validates the fields; {@code data} is owned by the snapshot from now on. */
    public Snapshot {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(data, "data");
    }

    @Override
    public String toString() {
        return "Snapshot{" + meta.index() + "@" + meta.term() + " " + meta.membership() + " " + data.length + "B}";
    }
}
