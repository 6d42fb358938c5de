package io.cohort;

/**
 * The outcome of {@link Maintenance#checkConsistencyAsync()} on the member that asked.
 *
 * @param revision the revision whose history was hashed
 * @param hash the hash the asking member computed before proposing the check
 * @param compared false if a compaction between proposal and apply made the hashes not comparable (ask again)
 * @param matched true if this member's hash at apply equals {@code hash} (always true unless the asking member's
 *     state changed under it); the other members compare at apply and raise {@link MemberStatus#corruptionDetected}
 */
public record ConsistencyCheck(long revision, long hash, boolean compared, boolean matched) {
}
