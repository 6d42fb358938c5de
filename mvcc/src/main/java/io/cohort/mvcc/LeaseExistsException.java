package io.cohort.mvcc;

/** A lease grant with an ID that is in use. */
public final class LeaseExistsException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public LeaseExistsException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public LeaseExistsException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
