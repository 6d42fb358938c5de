package io.cohort.mvcc;

/** A request that is applied as a command (it may change the keyspace or the leases). */
public sealed interface WriteRequest
        permits PutRequest, DeleteRangeRequest, TxnRequest, CompactRequest, LeaseGrantRequest, LeaseRevokeRequest,
        LeaseCheckpointRequest {
}
