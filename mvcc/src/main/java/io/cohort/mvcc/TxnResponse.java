package io.cohort.mvcc;

import java.util.List;

/**
 * The result of a txn.
 *
 * @param revision the header revision (0 for a nested txn, as etcd)
 * @param succeeded true if the compares held
 * @param responses one response per op of the branch that ran
 */
public record TxnResponse(long revision, boolean succeeded, List<Response> responses) implements Response {
    /** Copies the list. */
    public TxnResponse {
        responses = List.copyOf(responses);
    }
}
