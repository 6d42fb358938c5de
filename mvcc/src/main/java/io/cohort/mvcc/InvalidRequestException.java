package io.cohort.mvcc;

/** A request that etcd rejects as invalid (gRPC InvalidArgument): empty key, duplicate key, too many ops, too large, key too long, ignore_* misuse. */
public final class InvalidRequestException extends KeyspaceException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with {@code code} and an optional {@code detail}. */
    public InvalidRequestException(ErrorCode code, String detail) {
        super(code, detail);
    }

    /** Creates the exception with a cause. */
    public InvalidRequestException(ErrorCode code, String detail, Throwable cause) {
        super(code, detail, cause);
    }
}
