package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The stored form of one key version.
 *
 * <p>Header (shared): flags (1: tombstone), create revision, version, lease, then the physical links of the key's
 * {@link VersionChain}: the revision of the previous version (0,0 if none), the depth in the chain and the revision of
 * the jump target (0,0 if none). The links come last so that hashes can leave them out in one piece.
 * <ul>
 *   <li>revision DBI value: header, key length (4), key, value;</li>
 *   <li>latest DBI value (keyed by the key): revision (16), header, the {@link VersionChain} spine (a count (1)
 *   and that many revisions), value.</li>
 * </ul>
 */
public final class Record {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int FLAGS = 0;
    static final int CREATE = 1;
    static final int VERSION = 9;
    static final int LEASE = 17;
    static final int PREV = 25;
    static final int DEPTH = 41;
    static final int JUMP = 49;
    /** Header size. */
    static final int HEADER = 65;
    static final byte TOMBSTONE = 1;

    private Record() {
    }

    /** Size of a revision DBI value. */
    static int revValueSize(int keyLen, int valueLen) {
        return HEADER + 4 + keyLen + valueLen;
    }

    /** Size of a latest DBI value. */
    static int latestValueSize(int spineLength, int valueLen) {
        return Revision.BYTES + HEADER + 1 + spineLength * Revision.BYTES + valueLen;
    }

    /** Where a latest DBI value's spine count is; the spine's revisions follow it. */
    static final int LATEST_SPINE = Revision.BYTES + HEADER;

    /** The number of revisions in a latest DBI value's spine. */
    static int spineLength(DirectBuffer latest) {
        return latest.getByte(LATEST_SPINE) & 0xff;
    }

    /** Where a latest DBI value's value starts. */
    static int latestValueAt(DirectBuffer latest) {
        return LATEST_SPINE + 1 + spineLength(latest) * Revision.BYTES;
    }

    static void putHeader(MutableDirectBuffer b, int at, boolean tombstone, long create, long version, long lease,
                          long prevMain, long prevSub, long depth, long jumpMain, long jumpSub) {
        b.putByte(at + FLAGS, tombstone ? TOMBSTONE : 0);
        b.putLong(at + CREATE, create, LE);
        b.putLong(at + VERSION, version, LE);
        b.putLong(at + LEASE, lease, LE);
        Revision.put(b, at + PREV, prevMain, prevSub);
        b.putLong(at + DEPTH, depth, LE);
        Revision.put(b, at + JUMP, jumpMain, jumpSub);
    }

    static boolean tombstone(DirectBuffer b, int at) {
        return (b.getByte(at + FLAGS) & TOMBSTONE) != 0;
    }

    static long create(DirectBuffer b, int at) {
        return b.getLong(at + CREATE, LE);
    }

    static long version(DirectBuffer b, int at) {
        return b.getLong(at + VERSION, LE);
    }

    static long lease(DirectBuffer b, int at) {
        return b.getLong(at + LEASE, LE);
    }

    static long prevMain(DirectBuffer b, int at) {
        return Revision.main(b, at + PREV);
    }

    static long prevSub(DirectBuffer b, int at) {
        return Revision.sub(b, at + PREV);
    }

    static long depth(DirectBuffer b, int at) {
        return b.getLong(at + DEPTH, LE);
    }

    static long jumpMain(DirectBuffer b, int at) {
        return Revision.main(b, at + JUMP);
    }

    static long jumpSub(DirectBuffer b, int at) {
        return Revision.sub(b, at + JUMP);
    }

    /** The key stored in a revision DBI value. */
    static Bytes revKey(DirectBuffer v) {
        int len = v.getInt(HEADER, LE);
        return Bytes.copyOf(v, HEADER + 4, len);
    }

    static int revKeyLength(DirectBuffer v) {
        return v.getInt(HEADER, LE);
    }

    /** Decodes a revision DBI value at main revision {@code main}. */
    static KeyValue fromRev(DirectBuffer v, long main, boolean keysOnly) {
        int keyLen = v.getInt(HEADER, LE);
        Bytes key = Bytes.copyOf(v, HEADER + 4, keyLen);
        int valueAt = HEADER + 4 + keyLen;
        Bytes value = keysOnly ? Bytes.EMPTY : Bytes.copyOf(v, valueAt, v.capacity() - valueAt);
        return new KeyValue(key, create(v, 0), main, version(v, 0), value, lease(v, 0));
    }

    /** Decodes a latest DBI value of {@code key}. */
    static KeyValue fromLatest(Bytes key, DirectBuffer v, boolean keysOnly) {
        int h = Revision.BYTES;
        int valueAt = latestValueAt(v);
        Bytes value = keysOnly ? Bytes.EMPTY : Bytes.copyOf(v, valueAt, v.capacity() - valueAt);
        return new KeyValue(key, create(v, h), Revision.main(v, 0), version(v, h), value, lease(v, h));
    }
}
