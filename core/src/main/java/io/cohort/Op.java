package io.cohort;

import io.cohort.mvcc.Bytes;
import java.util.List;
import java.util.Objects;

/** One operation of a txn branch: a put, a get, a delete or a nested txn. Immutable. */
public sealed interface Op permits Op.Put, Op.Get, Op.Delete, Op.Txn {

    /** Puts {@code key = value} (UTF-8). */
    static Put put(String key, String value) {
        return new Put(Bytes.ofUtf8(key), Bytes.ofUtf8(value), PutOptions.defaults());
    }

    /** Puts {@code key = value} with {@code options}. */
    static Put put(Bytes key, Bytes value, PutOptions options) {
        return new Put(key, value, options);
    }

    /** Gets the single {@code key} (UTF-8). */
    static Get get(String key) {
        return new Get(KeyRange.key(key), GetOptions.defaults());
    }

    /** Gets {@code keys} with {@code options} (the consistency option is ignored inside a txn). */
    static Get get(KeyRange keys, GetOptions options) {
        return new Get(keys, options);
    }

    /** Deletes the single {@code key} (UTF-8). */
    static Delete delete(String key) {
        return new Delete(KeyRange.key(key), DeleteOptions.defaults());
    }

    /** Deletes {@code keys} with {@code options}. */
    static Delete delete(KeyRange keys, DeleteOptions options) {
        return new Delete(keys, options);
    }

    /** A nested txn: if every compare holds run {@code then}, else {@code otherwise}. */
    static Txn txn(List<Compare> when, List<Op> then, List<Op> otherwise) {
        return new Txn(when, then, otherwise);
    }

    /**
     * A put.
     *
     * @param key the key
     * @param value the value
     * @param options the options
     */
    record Put(Bytes key, Bytes value, PutOptions options) implements Op {
        /** Checks the fields. */
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(options, "options");
        }
    }

    /**
     * A get.
     *
     * @param keys the keys
     * @param options the options
     */
    record Get(KeyRange keys, GetOptions options) implements Op {
        /** Checks the fields. */
        public Get {
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(options, "options");
        }
    }

    /**
     * A delete.
     *
     * @param keys the keys
     * @param options the options
     */
    record Delete(KeyRange keys, DeleteOptions options) implements Op {
        /** Checks the fields. */
        public Delete {
            Objects.requireNonNull(keys, "keys");
            Objects.requireNonNull(options, "options");
        }
    }

    /**
     * A txn: if every compare of {@code when} holds run {@code then}, else {@code otherwise}.
     *
     * @param when the conditions
     * @param then the ops run when every condition holds
     * @param otherwise the ops run otherwise
     */
    record Txn(List<Compare> when, List<Op> then, List<Op> otherwise) implements Op {
        /** Copies the lists. */
        public Txn {
            when = List.copyOf(when);
            then = List.copyOf(then);
            otherwise = List.copyOf(otherwise);
        }
    }
}
