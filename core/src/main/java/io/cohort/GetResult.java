package io.cohort;

import io.cohort.mvcc.KeyValue;
import java.util.List;
import java.util.Optional;

/**
 * The result of a get.
 *
 * @param revision the header revision (the current revision, even for a read in the past)
 * @param kvs the key-values
 * @param more true if the limit cut the result
 * @param count the number of keys in the range at the read revision
 */
public record GetResult(long revision, List<KeyValue> kvs, boolean more, long count) implements OpResult {
    /** Copies the list. */
    public GetResult {
        kvs = List.copyOf(kvs);
    }

    /** The first key-value, if any. */
    public Optional<KeyValue> first() {
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }

    /** The first key-value's value as UTF-8, if any. */
    public Optional<String> valueUtf8() {
        return first().map(kv -> kv.value().toStringUtf8());
    }
}
