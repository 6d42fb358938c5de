package io.cohort;

import io.cohort.internal.Await;
import java.util.concurrent.CompletableFuture;

/** Status and upkeep of one member. */
public interface Maintenance {

    /** This member's status. */
    MemberStatus status();

    /**
     * A CRC-32C of this member's keyspace history up to {@code revision} (0: current), as etcd's HashKV: equal on
     * members that applied the same commands. Local; no Raft round.
     */
    long hash(long revision);

    /**
     * Checks that every member holds the same keyspace: hashes this member's history up to its current revision and
     * proposes the hash through Raft; every member compares its own hash of that revision when it applies the check
     * (all at the same log position) and, on a mismatch, logs a corruption error and sets
     * {@link MemberStatus#corruptionDetected}.
     */
    CompletableFuture<ConsistencyCheck> checkConsistencyAsync();

    /** Runs {@link #checkConsistencyAsync()} and waits. */
    default ConsistencyCheck checkConsistency() {
        return Await.result(checkConsistencyAsync());
    }

    /**
     * Defragments the keyspace file: currently a no-op, on purpose. LMDB keeps freed pages (from compacted history)
     * on its free list and reuses them for new writes, so the file stops growing once history is compacted; but it
     * never shrinks in place, and this version does not reopen the keyspace on a compacted copy to return the space
     * to the disk. Kept so callers written for etcd work.
     */
    CompletableFuture<Void> defragmentAsync();

    /** Runs {@link #defragmentAsync()} and waits. */
    default void defragment() {
        Await.result(defragmentAsync());
    }
}
