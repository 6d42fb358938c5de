package io.cohort.linearizability;

import java.util.Objects;

/**
 * One client operation in a recorded history: when it was called, when it returned, what it asked
 * and what it got. An operation whose outcome is unknown (the client timed out or crashed) has
 * {@link #UNKNOWN_RETURN} as its return time and a null output: it may have taken effect at any
 * point after its call, or never.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
public record Operation<I, O>(int clientId, long callNanos, long returnNanos, I input, O output) {
    /** The return time of an operation whose outcome is unknown. */
    public static final long UNKNOWN_RETURN = Long.MAX_VALUE;

    public Operation {
        Objects.requireNonNull(input, "input");
        if (returnNanos < callNanos) {
            throw new IllegalArgumentException("an operation returns no earlier than it is called: "
                    + callNanos + " > " + returnNanos);
        }
        if (returnNanos == UNKNOWN_RETURN && output != null) {
            throw new IllegalArgumentException("an operation with an unknown outcome has no output");
        }
    }

    /** An operation that returned {@code output}. */
    public static <I, O> Operation<I, O> completed(int clientId, long callNanos, long returnNanos, I input, O output) {
        return new Operation<>(clientId, callNanos, returnNanos, input, output);
    }

    /** An operation whose outcome is unknown. */
    public static <I, O> Operation<I, O> unknown(int clientId, long callNanos, I input) {
        return new Operation<>(clientId, callNanos, UNKNOWN_RETURN, input, null);
    }

    /** True if the outcome is unknown. */
    public boolean outcomeUnknown() {
        return returnNanos == UNKNOWN_RETURN;
    }
}
