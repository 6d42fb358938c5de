package io.cohort.mvcc;

import java.util.Objects;

/**
 * One key's state at a revision, as etcd's {@code mvccpb.KeyValue}.
 *
 * @param key the key
 * @param createRevision the revision that created the key's current generation
 * @param modRevision the revision of the last change
 * @param version 1 on create, +1 per put, reset by delete
 * @param value the value (empty with keys-only reads)
 * @param lease the attached lease ID, 0 for none
 */
public record KeyValue(Bytes key, long createRevision, long modRevision, long version, Bytes value, long lease) {
    /** Checks the fields. */
    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** This key-value with an empty value. */
    public KeyValue withoutValue() {
        return value.isEmpty() ? this : new KeyValue(key, createRevision, modRevision, version, Bytes.EMPTY, lease);
    }
}
