package io.cohort.internal;

/**
 * The outcome of a consistency check on one member: its hash of the history up to {@code revision} against the
 * proposer's.
 *
 * @param revision the revision checked
 * @param expectedHash the proposer's hash
 * @param localHash this member's hash (0 if not compared)
 * @param compared false if this member could not compare (its compacted revision differs from the proposer's)
 */
public record HashCheck(long revision, long expectedHash, long localHash, boolean compared) {
    /** True if compared and different: the replicas diverged. */
    public boolean mismatch() {
        return compared && expectedHash != localHash;
    }
}
