package io.cohort.mvcc;

/** A data directory that is corrupt, foreign or of an unknown format; it is never reset silently. */
public final class CorruptKeyspaceException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public CorruptKeyspaceException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public CorruptKeyspaceException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
