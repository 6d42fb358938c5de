package io.cohort.mvcc;

import java.util.Objects;

/**
 * Reads a key or a range, as etcd's {@code RangeRequest}.
 *
 * @param key the first key (non-empty)
 * @param rangeEnd empty for the single key, {@code \0} for every key {@code >= key}, else the exclusive end
 * @param limit the maximum number of kvs, {@code <= 0} for no limit
 * @param revision the revision to read at, {@code <= 0} for the current one
 * @param sortOrder the sort order
 * @param sortTarget the field to sort by
 * @param keysOnly return keys without values
 * @param countOnly return only the count
 * @param minModRevision drop kvs with a lower mod revision (0: no filter)
 * @param maxModRevision drop kvs with a higher mod revision (0: no filter)
 * @param minCreateRevision drop kvs with a lower create revision (0: no filter)
 * @param maxCreateRevision drop kvs with a higher create revision (0: no filter)
 */
public record RangeRequest(Bytes key, Bytes rangeEnd, long limit, long revision, SortOrder sortOrder,
                           SortTarget sortTarget, boolean keysOnly, boolean countOnly, long minModRevision,
                           long maxModRevision, long minCreateRevision, long maxCreateRevision) implements TxnOp {
    /** The sort order. */
    public enum SortOrder {
        /** Key order, but see etcd's rules for non-KEY targets. */
        NONE,
        /** Ascending. */
        ASCEND,
        /** Descending. */
        DESCEND
    }

    /** The sort field. */
    public enum SortTarget {
        /** The key. */
        KEY,
        /** The version. */
        VERSION,
        /** The create revision. */
        CREATE,
        /** The mod revision. */
        MOD,
        /** The value. */
        VALUE
    }

    /** Checks the fields. */
    public RangeRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
        Objects.requireNonNull(sortOrder, "sortOrder");
        Objects.requireNonNull(sortTarget, "sortTarget");
    }

    /** Reads {@code [key, rangeEnd)} at the current revision. */
    public static RangeRequest of(Bytes key, Bytes rangeEnd) {
        return new RangeRequest(key, rangeEnd, 0, 0, SortOrder.NONE, SortTarget.KEY, false, false, 0, 0, 0, 0);
    }

    /** Reads the single {@code key} at the current revision. */
    public static RangeRequest key(Bytes key) {
        return of(key, Bytes.EMPTY);
    }

    /** This request at {@code rev}. */
    public RangeRequest atRevision(long rev) {
        return new RangeRequest(key, rangeEnd, limit, rev, sortOrder, sortTarget, keysOnly, countOnly,
                minModRevision, maxModRevision, minCreateRevision, maxCreateRevision);
    }

    /** This request with {@code n} as limit. */
    public RangeRequest withLimit(long n) {
        return new RangeRequest(key, rangeEnd, n, revision, sortOrder, sortTarget, keysOnly, countOnly,
                minModRevision, maxModRevision, minCreateRevision, maxCreateRevision);
    }
}
