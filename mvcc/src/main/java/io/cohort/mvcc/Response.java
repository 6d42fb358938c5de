package io.cohort.mvcc;

/** A response; {@code revision()} is the header revision etcd would return (0 for nested txns). */
public sealed interface Response permits PutResponse, RangeResponse, DeleteRangeResponse, TxnResponse,
        CompactResponse, LeaseGrantResponse, LeaseRevokeResponse, LeaseCheckpointResponse {
    /** The header revision. */
    long revision();
}
