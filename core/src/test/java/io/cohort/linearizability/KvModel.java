package io.cohort.linearizability;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The sequential specification of a key-value store for the checker: put, get, delete and a
 * compare-and-set txn (etcd's {@code txn if value(k) == expected then put(k, new)}), each on one key,
 * so histories are checked one key at a time. The state of a key is its value, or {@link #ABSENT}.
 */
public final class KvModel implements Model<String, KvModel.Input, KvModel.Output> {
    /** The state of a key that does not exist. */
    public static final String ABSENT = "\u0000absent";

    /** What a client asked. */
    public sealed interface Input permits Put, Get, Delete, Cas {
        /** The key the operation is on. */
        String key();
    }

    /** Sets {@code key} to {@code value}. */
    public record Put(String key, String value) implements Input {
    }

    /** Reads {@code key}. */
    public record Get(String key) implements Input {
    }

    /** Deletes {@code key}. */
    public record Delete(String key) implements Input {
    }

    /** Sets {@code key} to {@code value} if it holds {@code expected} ({@link #ABSENT}: if it does not exist). */
    public record Cas(String key, String expected, String value) implements Input {
    }

    /**
     * What the client got: for a get the value ({@link #ABSENT} if none); for a delete whether a key
     * was deleted; for a cas whether it succeeded; for a put nothing beyond success.
     */
    public record Output(String value, boolean succeeded) {
        /** The output of a put. */
        public static final Output OK = new Output(null, true);

        /** A get's output. */
        public static Output read(String value) {
            return new Output(Objects.requireNonNull(value, "value (use ABSENT)"), true);
        }

        /** A delete's or cas's output. */
        public static Output flag(boolean succeeded) {
            return new Output(null, succeeded);
        }
    }

    @Override
    public String initialState() {
        return ABSENT;
    }

    @Override
    public Optional<String> step(String state, Operation<Input, Output> op) {
        Output out = op.output();
        Input in = op.input();
        if (in instanceof Put p) {
            return Optional.of(p.value());
        }
        if (in instanceof Get) {
            return out == null || state.equals(out.value()) ? Optional.of(state) : Optional.empty();
        }
        if (in instanceof Delete) {
            boolean deleted = !state.equals(ABSENT);
            return out == null || out.succeeded() == deleted ? Optional.of(ABSENT) : Optional.empty();
        }
        Cas c = (Cas) in;
        boolean matches = state.equals(c.expected());
        if (out == null) {
            // Unknown outcome: it did whatever the state it meets makes it do.
            return Optional.of(matches ? c.value() : state);
        }
        if (out.succeeded() != matches) {
            return Optional.empty();
        }
        return Optional.of(matches ? c.value() : state);
    }

    @Override
    public List<List<Operation<Input, Output>>> partition(List<Operation<Input, Output>> history) {
        Map<String, List<Operation<Input, Output>>> byKey = new LinkedHashMap<>();
        for (Operation<Input, Output> op : history) {
            byKey.computeIfAbsent(op.input().key(), k -> new ArrayList<>()).add(op);
        }
        return new ArrayList<>(byKey.values());
    }
}
