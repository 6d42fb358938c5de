package io.cohort;

import io.cohort.mvcc.KeyValue;
import java.util.List;

/**
 * The result of a delete.
 *
 * @param revision the header revision
 * @param deleted the number of keys deleted
 * @param prevKvs the deleted key-values when asked for
 */
public record DeleteResult(long revision, long deleted, List<KeyValue> prevKvs) implements OpResult {
    /** Copies the list. */
    public DeleteResult {
        prevKvs = List.copyOf(prevKvs);
    }
}
