package io.cohort;

/**
 * Options of a get, as etcd's {@code RangeRequest} fields, plus the read's consistency. Immutable; start from
 * {@link #defaults()} (linearizable, current revision, no limit, key order).
 *
 * @param limit the most key-values returned, 0 for no limit
 * @param revision the revision to read at, 0 for the current one
 * @param sortOrder the sort order
 * @param sortTarget the field sorted by
 * @param keysOnly return keys without values
 * @param countOnly return only the count
 * @param minModRevision drop key-values modified before this revision (0: no filter)
 * @param maxModRevision drop key-values modified after this revision (0: no filter)
 * @param minCreateRevision drop key-values created before this revision (0: no filter)
 * @param maxCreateRevision drop key-values created after this revision (0: no filter)
 * @param serializable read this member's state without a Raft round (may be stale); false: linearizable
 */
public record GetOptions(long limit, long revision, SortOrder sortOrder, SortTarget sortTarget, boolean keysOnly,
                         boolean countOnly, long minModRevision, long maxModRevision, long minCreateRevision,
                         long maxCreateRevision, boolean serializable) {
    private static final GetOptions DEFAULTS =
            new GetOptions(0, 0, SortOrder.NONE, SortTarget.KEY, false, false, 0, 0, 0, 0, false);

    /** The sort order, as etcd's. */
    public enum SortOrder {
        /** No sorting asked for (key order). */
        NONE,
        /** Ascending. */
        ASCEND,
        /** Descending. */
        DESCEND
    }

    /** The field sorted by, as etcd's. */
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
    public GetOptions {
        java.util.Objects.requireNonNull(sortOrder, "sortOrder");
        java.util.Objects.requireNonNull(sortTarget, "sortTarget");
    }

    /** Linearizable, at the current revision, every key-value, in key order. */
    public static GetOptions defaults() {
        return DEFAULTS;
    }

    /** The defaults, but served from this member's state without a Raft round. */
    public static GetOptions serializableRead() {
        return DEFAULTS.withSerializable(true);
    }

    /** With at most {@code n} key-values. */
    public GetOptions withLimit(long n) {
        return new GetOptions(n, revision, sortOrder, sortTarget, keysOnly, countOnly, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, serializable);
    }

    /** Read at revision {@code rev}. */
    public GetOptions withRevision(long rev) {
        return new GetOptions(limit, rev, sortOrder, sortTarget, keysOnly, countOnly, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, serializable);
    }

    /** Sorted by {@code target} in {@code order}. */
    public GetOptions withSort(SortTarget target, SortOrder order) {
        return new GetOptions(limit, revision, order, target, keysOnly, countOnly, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, serializable);
    }

    /** Keys without values. */
    public GetOptions withKeysOnly() {
        return new GetOptions(limit, revision, sortOrder, sortTarget, true, countOnly, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, serializable);
    }

    /** Only the count. */
    public GetOptions withCountOnly() {
        return new GetOptions(limit, revision, sortOrder, sortTarget, keysOnly, true, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, serializable);
    }

    /** Only key-values whose mod revision is in {@code [min, max]} (0: that side unbounded). */
    public GetOptions withModRevisions(long min, long max) {
        return new GetOptions(limit, revision, sortOrder, sortTarget, keysOnly, countOnly, min, max,
                minCreateRevision, maxCreateRevision, serializable);
    }

    /** Only key-values whose create revision is in {@code [min, max]} (0: that side unbounded). */
    public GetOptions withCreateRevisions(long min, long max) {
        return new GetOptions(limit, revision, sortOrder, sortTarget, keysOnly, countOnly, minModRevision,
                maxModRevision, min, max, serializable);
    }

    /** Serializable ({@code true}) or linearizable. */
    public GetOptions withSerializable(boolean v) {
        return new GetOptions(limit, revision, sortOrder, sortTarget, keysOnly, countOnly, minModRevision,
                maxModRevision, minCreateRevision, maxCreateRevision, v);
    }
}
