package io.cohort.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One Raft log entry: its index, the term it was proposed in, its type and an opaque payload.
 * Immutable; the payload array is never modified after construction.
 */
public final class Entry {
    private final long index;
    private final long term;
    private final EntryType type;
    private final byte[] data;

    /** Creates an entry; {@code data} is owned by the entry from now on. */
    public Entry(long index, long term, EntryType type, byte[] data) {
        if (index < 1) {
            throw new IllegalArgumentException("entry index must be >= 1, was " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("entry term must be >= 1, was " + term);
        }
        this.index = index;
        this.term = term;
        this.type = Objects.requireNonNull(type, "type");
        this.data = Objects.requireNonNull(data, "data");
    }

    /** The log position, starting at 1. */
    public long index() {
        return index;
    }

    /** The term of the leader that created this entry. */
    public long term() {
        return term;
    }

    /** What the payload is. */
    public EntryType type() {
        return type;
    }

    /** The payload; callers must not modify it. */
    public byte[] data() {
        return data;
    }

    /** Payload size in bytes. */
    public int sizeBytes() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Entry)) {
            return false;
        }
        Entry e = (Entry) o;
        return index == e.index && term == e.term && type == e.type && Arrays.equals(data, e.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Entry{" + index + "@" + term + " " + type + " " + data.length + "B}";
    }
}
