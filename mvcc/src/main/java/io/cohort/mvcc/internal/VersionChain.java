package io.cohort.mvcc.internal;

/**
 * The chain of one key's versions, newest first, and the skip pointers that make a read in the past take
 * O(log versions) lookups instead of one per version (etcd answers it from its in-memory key index by binary search;
 * this store has only LMDB).
 *
 * <p>Every record holds its <em>depth</em> in the chain (0 for the version that starts it, written when the key had no
 * latest version: never written, or its last tombstone compacted away; tombstones are versions too) and, besides the
 * link to its previous version, a <em>jump</em> link to the version at depth {@code depth - jumpLength(depth)}: Myers' skew-binary jump pointers, where jump lengths are
 * {@code 2^k - 1}. Revisions fall along the chain, so the version visible at revision R is found by following the
 * jump while its revision is still above R and the previous link otherwise, which takes O(log depth) steps.
 *
 * <p>Writing a version reads nothing but the key's latest value: that carries the <em>spine</em>, the revisions
 * reached from the latest version by jump after jump down to depth 0 (O(log depth) of them). A new version's jump is
 * the previous version when its jump length is 1 (its spine: the previous version, then the previous spine), else the
 * second revision of the previous spine (its spine: the previous spine without its first revision). Physical
 * compaction may remove records a jump or a spine names; those lie below the compacted revision, where no read follows
 * a jump (a jump is followed only while its revision is above the read revision). Depth and jump are physical links,
 * like the previous link, and are left out of keyspace hashes.
 */
final class VersionChain {
    /** Most revisions a spine holds: 2 * 62 jumps reach depth 0 from any depth below 2^62. */
    static final int MAX_SPINE = 127;

    private VersionChain() {
    }

    /** The length of the jump from a version at {@code depth} (at least 1): 1, 1, 3, 1, 1, 3, 7, 1, 1, 3, ... */
    static long jumpLength(long depth) {
        if (depth <= 0 || depth > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("a chain depth must be in [1, " + Long.MAX_VALUE / 2 + "]: " + depth);
        }
        // The sequence for a block of 2^k - 1 depths is the block of 2^(k-1) - 1 twice, then 2^k - 1.
        long size = 1;
        while (size < depth) {
            size = 2 * size + 1;
        }
        long d = depth;
        while (d != size) {
            long half = size >>> 1;
            if (d > half) {
                d -= half;
            }
            size = half;
        }
        return size;
    }
}
