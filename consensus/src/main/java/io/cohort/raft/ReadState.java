package io.cohort.raft;

/**
 * A confirmed linearizable read: once the local state machine has applied {@code index}, the read
 * identified by {@code context} may be served from local state.
 *
 * @param index the commit index the leader confirmed while still leader
 * @param context the caller's identifier of the read request
 */
public record ReadState(long index, byte[] context) {
}
