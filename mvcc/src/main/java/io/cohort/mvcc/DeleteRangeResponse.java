package io.cohort.mvcc;

import java.util.List;

/**
 * The result of a delete range.
 *
 * @param revision the header revision
 * @param deleted the number of keys deleted
 * @param prevKvs the deleted key-values when asked for
 */
public record DeleteRangeResponse(long revision, long deleted, List<KeyValue> prevKvs) implements Response {
    /** Copies the list. */
    public DeleteRangeResponse {
        prevKvs = List.copyOf(prevKvs);
    }
}
