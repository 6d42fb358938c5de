package io.cohort.mvcc;

/** Every error the keyspace reports, with etcd's gRPC status code and message. */
public enum ErrorCode {
    /** Empty key. */
    EMPTY_KEY(3, "etcdserver: key is not provided"),
    /** ignore_value/ignore_lease on a missing key, or an empty txn op. */
    KEY_NOT_FOUND(3, "etcdserver: key not found"),
    /** ignore_value with a value. */
    VALUE_PROVIDED(3, "etcdserver: value is provided"),
    /** ignore_lease with a lease. */
    LEASE_PROVIDED(3, "etcdserver: lease is provided"),
    /** A key written twice in one txn branch. */
    DUPLICATE_KEY(3, "etcdserver: duplicate key given in txn request"),
    /** Too many compares or ops in a txn list. */
    TOO_MANY_OPS(3, "etcdserver: too many operations in txn request"),
    /** The encoded request is over the size limit. */
    REQUEST_TOO_LARGE(3, "etcdserver: request is too large"),
    /** The key is longer than the storage supports (Cohort-specific). */
    KEY_TOO_LONG(3, "etcdserver: key is too long"),
    /** Unknown lease. */
    LEASE_NOT_FOUND(5, "etcdserver: requested lease not found"),
    /** Lease ID in use. */
    LEASE_EXISTS(9, "etcdserver: lease already exists"),
    /** Lease TTL over the maximum. */
    LEASE_TTL_TOO_LARGE(11, "etcdserver: too large lease TTL"),
    /** Revision above the current one. */
    FUTURE_REVISION(11, "etcdserver: mvcc: required revision is a future revision"),
    /** Revision compacted. */
    COMPACTED(11, "etcdserver: mvcc: required revision has been compacted"),
    /** The backend quota is used up. */
    NO_SPACE(8, "etcdserver: mvcc: database space exceeded"),
    /** The data directory is corrupt or not a keyspace. */
    CORRUPT(15, "etcdserver: corrupt cluster");

    private final int grpcCode;
    private final String etcdMessage;

    ErrorCode(int grpcCode, String etcdMessage) {
        this.grpcCode = grpcCode;
        this.etcdMessage = etcdMessage;
    }

    /** The gRPC status code number. */
    public int grpcCode() {
        return grpcCode;
    }

    /** etcd's exact status message. */
    public String etcdMessage() {
        return etcdMessage;
    }
}
