package io.cohort.linearizability;

import java.util.List;
import java.util.Optional;

/**
 * The sequential specification a history is checked against.
 *
 * @param <S> the state; must implement {@code equals} and {@code hashCode} (the checker memoizes on it)
 * @param <I> the operation input
 * @param <O> the operation output
 */
public interface Model<S, I, O> {

    /** The state before any operation. */
    S initialState();

    /**
     * The state after {@code op} runs on {@code state}, if its recorded output is what the
     * specification gives there; empty if not. For an operation with an unknown outcome (null
     * output) any output is acceptable.
     */
    Optional<S> step(S state, Operation<I, O> op);

    /**
     * Independent sub-histories that can be checked separately (for a key-value store: one per
     * key). The default keeps the history whole.
     */
    default List<List<Operation<I, O>>> partition(List<Operation<I, O>> history) {
        return List.of(history);
    }

    /** A short description of an operation for reports. */
    default String describe(Operation<I, O> op) {
        return "client " + op.clientId() + " " + op.input() + " -> " + (op.outcomeUnknown() ? "?" : op.output());
    }
}
