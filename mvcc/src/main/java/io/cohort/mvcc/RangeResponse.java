package io.cohort.mvcc;

import java.util.List;

/**
 * The result of a range.
 *
 * @param revision the header revision (the current revision, even for reads in the past)
 * @param kvs the key-values
 * @param more true if the limit cut the result
 * @param count the number of keys in the range at the read revision
 */
public record RangeResponse(long revision, List<KeyValue> kvs, boolean more, long count) implements Response {
    /** Copies the list. */
    public RangeResponse {
        kvs = List.copyOf(kvs);
    }
}
