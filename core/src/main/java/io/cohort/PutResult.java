package io.cohort;

import io.cohort.mvcc.KeyValue;
import java.util.Optional;

/**
 * The result of a put.
 *
 * @param revision the header revision (the put's revision)
 * @param prevKv the previous key-value when asked for and present, else null
 */
public record PutResult(long revision, KeyValue prevKv) implements OpResult {
    /** The previous key-value, if asked for and present. */
    public Optional<KeyValue> previous() {
        return Optional.ofNullable(prevKv);
    }
}
