package io.cohort.mvcc;

/** Base of every error the keyspace reports; {@link #code()} maps it to etcd's gRPC code and message. */
public abstract class KeyspaceException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    /** Creates the exception; the message is etcd's message plus {@code detail} (if not null). */
    protected KeyspaceException(ErrorCode code, String detail) {
        super(detail == null ? code.etcdMessage() : code.etcdMessage() + " (" + detail + ")");
        this.code = code;
    }

    /** Creates the exception with a cause. */
    protected KeyspaceException(ErrorCode code, String detail, Throwable cause) {
        super(detail == null ? code.etcdMessage() : code.etcdMessage() + " (" + detail + ")", cause);
        this.code = code;
    }

    /** The error code. */
    public ErrorCode code() {
        return code;
    }

    /** The gRPC status code etcd returns for this error. */
    public int grpcCode() {
        return code.grpcCode();
    }

    /** etcd's exact status message for this error. */
    public String etcdMessage() {
        return code.etcdMessage();
    }
}
