package io.cohort;

/** The result of one operation; {@link #revision()} is the header revision (0 inside a nested txn, as etcd). */
public sealed interface OpResult permits PutResult, GetResult, DeleteResult, TxnResult {
    /** The store's revision when the operation ran (etcd's header revision). */
    long revision();
}
