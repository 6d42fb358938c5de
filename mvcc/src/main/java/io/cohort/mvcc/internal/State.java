package io.cohort.mvcc.internal;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The keyspace's persistent counters, stored in the meta DBI in the same LMDB txn as the data.
 *
 * @param appliedIndex the index of the last applied command
 * @param revision the current store revision
 * @param compactedRevision the logically compacted revision (-1: never compacted)
 * @param physicalMain the main revision up to which physical compaction has removed records
 * @param physicalSub the sub revision of that position
 */
public record State(long appliedIndex, long revision, long compactedRevision, long physicalMain, long physicalSub) {
    static final int BYTES = 40;

    /** The state of a fresh keyspace (etcd starts at revision 1). */
    static State fresh() {
        return new State(0, 1, -1, 0, 0);
    }

    State withApplied(long index, long rev) {
        return new State(index, rev, compactedRevision, physicalMain, physicalSub);
    }

    State withCompacted(long rev) {
        return new State(appliedIndex, revision, rev, physicalMain, physicalSub);
    }

    State withPhysical(long main, long sub) {
        return new State(appliedIndex, revision, compactedRevision, main, sub);
    }

    /** True if physical compaction has records left to remove. */
    boolean compactionPending() {
        return physicalMain < compactedRevision;
    }

    void write(MutableDirectBuffer b) {
        b.putLong(0, appliedIndex, ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, revision, ByteOrder.LITTLE_ENDIAN);
        b.putLong(16, compactedRevision, ByteOrder.LITTLE_ENDIAN);
        b.putLong(24, physicalMain, ByteOrder.LITTLE_ENDIAN);
        b.putLong(32, physicalSub, ByteOrder.LITTLE_ENDIAN);
    }

    static State read(DirectBuffer b) {
        return new State(b.getLong(0, ByteOrder.LITTLE_ENDIAN), b.getLong(8, ByteOrder.LITTLE_ENDIAN),
                b.getLong(16, ByteOrder.LITTLE_ENDIAN), b.getLong(24, ByteOrder.LITTLE_ENDIAN),
                b.getLong(32, ByteOrder.LITTLE_ENDIAN));
    }
}
