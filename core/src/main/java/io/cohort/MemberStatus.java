package io.cohort;

/**
 * One member's view of itself and the group.
 *
 * @param memberId this member
 * @param leaderId the leader as this member knows it, 0 if none
 * @param isLeader true if this member leads
 * @param term the Raft term
 * @param commitIndex the highest log index known committed
 * @param appliedIndex the highest log index applied to the keyspace
 * @param revision the keyspace's current revision
 * @param compactedRevision the compacted revision (-1 if never compacted)
 * @param dataSizeBytes the bytes the keyspace uses (the figure the quota applies to)
 * @param corruptionDetected true if a consistency check found this member's keyspace differs from another's
 */
public record MemberStatus(long memberId, long leaderId, boolean isLeader, long term, long commitIndex,
                           long appliedIndex, long revision, long compactedRevision, long dataSizeBytes,
                           boolean corruptionDetected) {
}
