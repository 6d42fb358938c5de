package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * Physical compaction in bounded steps. Compaction at C is logical at apply (reads below C fail at once); the
 * records it makes unreachable are removed here afterwards, scanning the revision DBI in order: a record at or
 * below C supersedes its key's previous version (removed), and a tombstone at or below C is removed with it
 * (and from the latest DBI if it is still the key's latest version). What stays is etcd's "keep" set: per key
 * the latest version at or below C unless that is a tombstone.
 */
final class Compactor {
    private Compactor() {
    }

    /** Removes at most {@code maxRecords} records' worth of history; returns the new state. */
    static State step(Store s, Txn<DirectBuffer> txn, State st, int maxRecords) {
        long target = st.compactedRevision();
        MutableDirectBuffer pos = Store.allocate(Revision.BYTES);
        Revision.put(pos, 0, st.physicalMain(), st.physicalSub());
        MutableDirectBuffer prev = Store.allocate(Revision.BYTES);
        MutableDirectBuffer keyBuf = Store.allocate(512);
        UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
        long lastMain = st.physicalMain();
        long lastSub = st.physicalSub();
        int n = 0;
        boolean done = false;
        try (Cursor<DirectBuffer> c = s.revs.openCursor(txn)) {
            boolean ok = c.get(pos, GetOp.MDB_SET_RANGE);
            if (ok && Revision.main(c.key(), 0) == lastMain && Revision.sub(c.key(), 0) == lastSub) {
                ok = c.next();
            }
            while (true) {
                if (!ok) {
                    done = true;
                    break;
                }
                long main = Revision.main(c.key(), 0);
                long sub = Revision.sub(c.key(), 0);
                if (main > target) {
                    done = true;
                    break;
                }
                if (n >= maxRecords) {
                    break;
                }
                DirectBuffer v = c.val();
                long pm = Record.prevMain(v, 0);
                long ps = Record.prevSub(v, 0);
                boolean tomb = Record.tombstone(v, 0);
                int keyLen = Record.revKeyLength(v);
                Bytes key = Bytes.copyOf(v, Record.HEADER + 4, keyLen);
                if (tomb) {
                    c.delete();
                    key.copyTo(keyBuf, 0);
                    keyView.wrap(keyBuf, 0, keyLen);
                    DirectBuffer l = s.latest.get(txn, keyView);
                    if (l != null && Revision.main(l, 0) == main && Revision.sub(l, 0) == sub) {
                        s.latest.delete(txn, keyView);
                    }
                }
                if (pm != 0) {
                    Revision.put(prev, 0, pm, ps);
                    s.revs.delete(txn, prev);
                }
                lastMain = main;
                lastSub = sub;
                n++;
                // After a cursor delete the cursor already stands on the next record; re-seek to be exact.
                Revision.put(pos, 0, main, sub);
                ok = c.get(pos, GetOp.MDB_SET_RANGE);
                if (ok && Revision.main(c.key(), 0) == main && Revision.sub(c.key(), 0) == sub) {
                    ok = c.next();
                }
            }
        }
        if (done) {
            return st.withPhysical(target, Long.MAX_VALUE);
        }
        return st.withPhysical(lastMain, lastSub);
    }
}
