package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The stored form of one key version.
 *
 * <p>Header (shared): flags (1: tombstone), create revision, version, lease, and the revision of the key's
 * previous version (0,0 if none) which chains a key's versions for reads in the past.
 * <ul>
 *   <li>revision DBI value: header, key length (4), key, value;</li>
 *   <li>latest DBI value (keyed by the key): revision (16), header, value.</li>
 * </ul>
 */
public final class Record {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int FLAGS = 0;
    static final int CREATE = 1;
    static final int VERSION = 9;
    static final int LEASE = 17;
    static final int PREV = 25;
    /** Header size. */
    static final int HEADER = 41;
    static final byte TOMBSTONE = 1;

    private Record() {
    }

    /** Size of a revision DBI value. */
    static int revValueSize(int keyLen, int valueLen) {
        return HEADER + 4 + keyLen + valueLen;
    }

    /** Size of a latest DBI value. */
    static int latestValueSize(int valueLen) {
        return Revision.BYTES + HEADER + valueLen;
    }

    static void putHeader(MutableDirectBuffer b, int at, boolean tombstone, long create, long version, long lease,
                          long prevMain, long prevSub) {
        b.putByte(at + FLAGS, tombstone ? TOMBSTONE : 0);
        b.putLong(at + CREATE, create, LE);
        b.putLong(at + VERSION, version, LE);
        b.putLong(at + LEASE, lease, LE);
        Revision.put(b, at + PREV, prevMain, prevSub);
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
        int valueAt = h + HEADER;
        Bytes value = keysOnly ? Bytes.EMPTY : Bytes.copyOf(v, valueAt, v.capacity() - valueAt);
        return new KeyValue(key, create(v, h), Revision.main(v, 0), version(v, h), value, lease(v, h));
    }
}
