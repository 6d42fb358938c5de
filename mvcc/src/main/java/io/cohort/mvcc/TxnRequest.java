package io.cohort.mvcc;

import java.util.List;

/**
 * A transaction, as etcd's {@code TxnRequest}: if every compare holds run {@code success}, else {@code failure}.
 *
 * @param compare the conditions
 * @param success the ops run when all conditions hold
 * @param failure the ops run otherwise
 */
public record TxnRequest(List<Compare> compare, List<TxnOp> success, List<TxnOp> failure)
        implements WriteRequest, TxnOp {
    /** Copies the lists. */
    public TxnRequest {
        compare = List.copyOf(compare);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
    }

    /** True if no op in any branch (nested included) writes. */
    public boolean isReadOnly() {
        for (List<TxnOp> ops : List.of(success, failure)) {
            for (TxnOp op : ops) {
                if (op instanceof PutRequest || op instanceof DeleteRangeRequest) {
                    return false;
                }
                if (op instanceof TxnRequest && !((TxnRequest) op).isReadOnly()) {
                    return false;
                }
            }
        }
        return true;
    }
}
