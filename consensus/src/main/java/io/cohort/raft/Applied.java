package io.cohort.raft;

/**
 * A proposal once applied: its log index and what the {@link StateMachine} returned for it (null if the state
 * machine returns no results).
 *
 * @param index the log index the command was committed and applied at
 * @param result the state machine's result for the command, or null
 */
public record Applied(long index, Object result) {
}
