package io.cohort.mvcc;

/** One operation in a txn branch: a range, put, delete range, nested txn or an empty op. */
public sealed interface TxnOp permits RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, TxnOp.Empty {
    /** An empty {@code RequestOp} (etcd rejects it with "key not found"). */
    record Empty() implements TxnOp {
    }

    /** The empty op. */
    TxnOp EMPTY = new Empty();
}
