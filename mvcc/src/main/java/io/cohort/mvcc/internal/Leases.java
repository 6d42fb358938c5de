package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.LeaseInfo;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.SeekOp;
import org.lmdbjava.Txn;

/**
 * The leases table: lease ID -> granted TTL and checkpointed remaining TTL (two little-endian longs; records of
 * 8 bytes, written before checkpoints existed, have no checkpoint), and lease ID -> attached keys.
 */
final class Leases {
    /** Bytes of a lease record. */
    static final int RECORD_BYTES = 16;

    private Leases() {
    }

    /** Writes {@code id} as an 8-byte big-endian key into {@code buf} and returns an 8-byte view. */
    static DirectBuffer idKey(MutableDirectBuffer buf, long id) {
        buf.putLong(0, id, ByteOrder.BIG_ENDIAN);
        return new org.agrona.concurrent.UnsafeBuffer(buf, 0, 8);
    }

    /** The granted TTL of lease {@code id}, or -1 if it does not exist. */
    static long grantedTtl(Store s, Txn<DirectBuffer> txn, long id) {
        MutableDirectBuffer b = Store.allocate(8);
        DirectBuffer v = s.leases.get(txn, idKey(b, id));
        return v == null ? -1 : v.getLong(0, ByteOrder.LITTLE_ENDIAN);
    }

    /** The keys attached to lease {@code id}, in byte order. */
    static List<Bytes> keys(Store s, Txn<DirectBuffer> txn, long id) {
        List<Bytes> keys = new ArrayList<>();
        MutableDirectBuffer b = Store.allocate(8);
        try (Cursor<DirectBuffer> c = s.leaseKeys.openCursor(txn)) {
            if (c.get(idKey(b, id), GetOp.MDB_SET_KEY)) {
                do {
                    DirectBuffer v = c.val();
                    keys.add(Bytes.copyOf(v, 0, v.capacity()));
                } while (c.seek(SeekOp.MDB_NEXT_DUP));
            }
        }
        return keys;
    }

    /** Every lease with its TTLs. */
    static List<LeaseInfo> infos(Store s, Txn<DirectBuffer> txn) {
        List<LeaseInfo> out = new ArrayList<>();
        try (Cursor<DirectBuffer> c = s.leases.openCursor(txn)) {
            for (boolean ok = c.first(); ok; ok = c.next()) {
                DirectBuffer v = c.val();
                long checkpointed = v.capacity() >= RECORD_BYTES ? v.getLong(8, ByteOrder.LITTLE_ENDIAN) : 0;
                out.add(new LeaseInfo(c.key().getLong(0, ByteOrder.BIG_ENDIAN), v.getLong(0, ByteOrder.LITTLE_ENDIAN),
                        checkpointed));
            }
        }
        return out;
    }

    /** Every lease ID. */
    static List<Long> ids(Store s, Txn<DirectBuffer> txn) {
        List<Long> ids = new ArrayList<>();
        try (Cursor<DirectBuffer> c = s.leases.openCursor(txn)) {
            for (boolean ok = c.first(); ok; ok = c.next()) {
                ids.add(c.key().getLong(0, ByteOrder.BIG_ENDIAN));
            }
        }
        return ids;
    }
}
