package io.cohort.mvcc;

/** A read or compaction at a compacted or future revision, or a too large lease TTL (gRPC OutOfRange). */
public final class RevisionException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public RevisionException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public RevisionException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
