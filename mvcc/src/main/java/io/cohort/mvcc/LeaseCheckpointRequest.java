package io.cohort.mvcc;

import java.util.List;
import java.util.Objects;

/**
 * Records the remaining TTLs the leader counted for some leases (etcd's {@code LeaseCheckpointRequest}), so that a
 * new leader resumes from them instead of resetting long TTLs to full. Leases that no longer exist are skipped. It
 * changes no key and no revision.
 *
 * @param checkpoints the leases and their remaining TTLs; at most {@link #MAX_CHECKPOINTS}
 */
public record LeaseCheckpointRequest(List<Checkpoint> checkpoints) implements WriteRequest {
    /** Most checkpoints in one request. */
    public static final int MAX_CHECKPOINTS = 10_000;

    /**
     * One lease's remaining TTL.
     *
     * @param id the lease
     * @param remainingTtlSeconds its remaining TTL, at least 1 second
     */
    public record Checkpoint(long id, long remainingTtlSeconds) {
        /** Checks the fields. */
        public Checkpoint {
            if (remainingTtlSeconds < 1) {
                throw new IllegalArgumentException("a checkpointed remaining TTL must be >= 1 s, was "
                        + remainingTtlSeconds + " for lease " + id);
            }
        }
    }

    /** Copies and checks the list. */
    public LeaseCheckpointRequest {
        Objects.requireNonNull(checkpoints, "checkpoints");
        if (checkpoints.isEmpty() || checkpoints.size() > MAX_CHECKPOINTS) {
            throw new IllegalArgumentException("a lease checkpoint request holds 1 to " + MAX_CHECKPOINTS
                    + " checkpoints, was " + checkpoints.size());
        }
        checkpoints = List.copyOf(checkpoints);
    }
}
