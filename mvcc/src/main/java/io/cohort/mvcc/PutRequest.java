package io.cohort.mvcc;

import java.util.Objects;

/**
 * Puts a key, as etcd's {@code PutRequest}.
 *
 * @param key the key (non-empty)
 * @param value the value
 * @param lease the lease to attach, 0 for none
 * @param prevKv return the previous key-value
 * @param ignoreValue keep the current value (the key must exist)
 * @param ignoreLease keep the current lease (the key must exist)
 */
public record PutRequest(Bytes key, Bytes value, long lease, boolean prevKv, boolean ignoreValue, boolean ignoreLease)
        implements WriteRequest, TxnOp {
    /** Checks the fields. */
    public PutRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    /** A plain put of {@code key = value}. */
    public static PutRequest of(Bytes key, Bytes value) {
        return new PutRequest(key, value, 0, false, false, false);
    }
}
