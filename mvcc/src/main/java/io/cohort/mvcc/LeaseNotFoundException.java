package io.cohort.mvcc;

/** A lease that does not exist. */
public final class LeaseNotFoundException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public LeaseNotFoundException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public LeaseNotFoundException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
