package io.cohort.mvcc;

import java.util.Objects;

/**
 * Deletes a key or a range, as etcd's {@code DeleteRangeRequest}.
 *
 * @param key the first key (non-empty)
 * @param rangeEnd empty for the single key, {@code \0} for every key {@code >= key}, else the exclusive end
 * @param prevKv return the deleted key-values
 */
public record DeleteRangeRequest(Bytes key, Bytes rangeEnd, boolean prevKv) implements WriteRequest, TxnOp {
    /** Checks the fields. */
    public DeleteRangeRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
    }

    /** Deletes the single {@code key}. */
    public static DeleteRangeRequest of(Bytes key) {
        return new DeleteRangeRequest(key, Bytes.EMPTY, false);
    }
}
