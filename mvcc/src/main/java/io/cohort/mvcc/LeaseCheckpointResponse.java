package io.cohort.mvcc;

/**
 * The result of a lease checkpoint.
 *
 * @param revision the header revision (unchanged by a checkpoint)
 * @param checkpointed how many of the checkpoints named a lease that exists
 */
public record LeaseCheckpointResponse(long revision, int checkpointed) implements Response {
}
