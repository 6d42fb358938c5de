package io.cohort.raft;

/**
 * A confirmed linearizable read: once the local state machine has applied {@code index}, the read
 * identified by {@code context} may be served from local state.
 */
public record ReadState(long index, byte[] context) {
}
