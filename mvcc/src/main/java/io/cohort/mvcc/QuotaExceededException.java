package io.cohort.mvcc;

/** A write refused because the backend quota is used up; reads still work. */
public final class QuotaExceededException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public QuotaExceededException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public QuotaExceededException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
