package io.cohort;

/**
 * Why a watch ended, and where to resume.
 *
 * @param reason why
 * @param resumeRevision the revision a new watch should start from to continue exactly (for
 *     {@link Reason#COMPACTED}: the compacted revision, after re-reading the keys)
 * @param message the reason in words
 */
public record WatchCancellation(Reason reason, long resumeRevision, String message) {
    /** Why a watch ended. */
    public enum Reason {
        /** The revision it needed next is compacted: re-read, then watch from {@code resumeRevision}. */
        COMPACTED,
        /** Its listener fell behind by more than the node's bound. */
        SLOW_CONSUMER,
        /** {@link Watch#cancel()} was called. */
        CANCELLED,
        /** The node closed. */
        NODE_CLOSED
    }
}
