package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;

/**
 * A CRC-32C of the keyspace up to a revision: the compacted revision, every key's state at the compacted
 * revision, then every change after it (each revision record without its physical link to the previous version).
 * It does not depend on how far physical compaction has got, nor on when it ran relative to later writes.
 */
final class Hasher {
    private static final int PREV_BYTES = Record.HEADER - Record.PREV;

    private Hasher() {
    }

    static long hash(ReadView view, long compactedRev, long rev) {
        CRC32C crc = new CRC32C();
        ByteBuffer num = ByteBuffer.allocate(8);
        long c = Math.max(compactedRev, 0);
        update(crc, num, c);
        if (c > 0) {
            List<KeyValue> kvs = new ArrayList<>();
            view.range(Bytes.wrap(new byte[] {0}), Bytes.wrap(new byte[] {0}), c, 0, false, false, kvs);
            for (KeyValue kv : kvs) {
                update(crc, num, kv.key().size());
                crc.update(kv.key().toByteArray());
                update(crc, num, kv.createRevision());
                update(crc, num, kv.modRevision());
                update(crc, num, kv.version());
                update(crc, num, kv.lease());
                update(crc, num, kv.value().size());
                crc.update(kv.value().toByteArray());
            }
        }
        org.agrona.MutableDirectBuffer pos = Store.allocate(Revision.BYTES);
        Revision.put(pos, 0, c + 1, 0);
        try (Cursor<DirectBuffer> cur = view.store.revs.openCursor(view.txn)) {
            for (boolean ok = cur.get(pos, GetOp.MDB_SET_RANGE); ok; ok = cur.next()) {
                DirectBuffer k = cur.key();
                if (Revision.main(k, 0) > rev) {
                    break;
                }
                byte[] kb = new byte[k.capacity()];
                k.getBytes(0, kb);
                crc.update(kb);
                // The record without its link to the key's previous version: that link depends on how far
                // physical compaction had got when the write was applied, which differs between replicas.
                DirectBuffer v = cur.val();
                byte[] vb = new byte[v.capacity() - PREV_BYTES];
                v.getBytes(0, vb, 0, Record.PREV);
                v.getBytes(Record.HEADER, vb, Record.PREV, v.capacity() - Record.HEADER);
                crc.update(vb);
            }
        }
        return crc.getValue();
    }

    private static void update(CRC32C crc, ByteBuffer num, long v) {
        num.clear();
        num.putLong(v);
        crc.update(num.array(), 0, 8);
    }
}
