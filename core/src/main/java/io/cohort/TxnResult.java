package io.cohort;

import java.util.List;

/**
 * The result of a txn.
 *
 * @param revision the header revision (0 for a nested txn, as etcd)
 * @param succeeded true if every compare held (the {@code then} branch ran)
 * @param results one result per op of the branch that ran
 */
public record TxnResult(long revision, boolean succeeded, List<OpResult> results) implements OpResult {
    /** Copies the list. */
    public TxnResult {
        results = List.copyOf(results);
    }

    /** The {@code i}th result, cast to {@code type}. */
    public <T extends OpResult> T result(int i, Class<T> type) {
        return type.cast(results.get(i));
    }
}
