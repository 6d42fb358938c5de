package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * Reads keys at a revision inside one LMDB txn (read or write; a write txn sees its own writes).
 *
 * <p>The latest version of every key is one lookup in the latest DBI; older versions are reached along the key's
 * {@link VersionChain} in the revision DBI, in O(log versions) lookups.
 */
public final class ReadView {
    final Store store;
    final Txn<DirectBuffer> txn;
    private final MutableDirectBuffer keyBuf;
    private final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
    private final MutableDirectBuffer revBuf;
    /** Records of version chains this view has read: the cost of its reads in the past (O(log versions) each). */
    long chainLookups;

    ReadView(Store store, Txn<DirectBuffer> txn, Scratch scratch) {
        this.store = store;
        this.txn = txn;
        this.keyBuf = scratch.key;
        this.revBuf = scratch.rev;
    }

    /** Per-thread direct buffers for lookups. */
    static final class Scratch {
        final MutableDirectBuffer key = Store.allocate(512);
        final MutableDirectBuffer rev = Store.allocate(Revision.BYTES);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static ReadView of(Store store, Txn<DirectBuffer> txn) {
        return new ReadView(store, txn, SCRATCH.get());
    }

    /** A view of {@code key} in the scratch buffer; null if longer than LMDB keys can be. */
    DirectBuffer keyBuffer(Bytes key) {
        if (key.size() > store.maxKeyBytes || key.isEmpty()) {
            return null;
        }
        key.copyTo(keyBuf, 0);
        keyView.wrap(keyBuf, 0, key.size());
        return keyView;
    }

    /** The key's state at {@code atRev}, or null if it does not exist then. */
    public KeyValue get(Bytes key, long atRev, boolean keysOnly) {
        DirectBuffer k = keyBuffer(key);
        if (k == null) {
            return null;
        }
        DirectBuffer v = store.latest.get(txn, k);
        if (v == null) {
            return null;
        }
        long main = Revision.main(v, 0);
        if (main <= atRev) {
            return Record.tombstone(v, Revision.BYTES) ? null : Record.fromLatest(key, v, keysOnly);
        }
        return visibleAt(v, Revision.BYTES, atRev, keysOnly);
    }

    /**
     * The key's version visible at {@code atRev}, or null if the key did not exist then, searched back from version
     * {@code v} (its header at {@code at}), which is newer than {@code atRev}: along the key's {@link VersionChain},
     * taking the jump while it lands on a version still newer than {@code atRev}, else one step back.
     */
    KeyValue visibleAt(DirectBuffer v, int at, long atRev, boolean keysOnly) {
        DirectBuffer x = v;
        int h = at;
        while (true) {
            // Read all links first: every get re-wraps the txn's value buffer, which x may be.
            long jm = Record.jumpMain(x, h);
            long js = Record.jumpSub(x, h);
            long pm = Record.prevMain(x, h);
            long ps = Record.prevSub(x, h);
            if (jm > atRev) {
                Revision.put(revBuf, 0, jm, js);
                chainLookups++;
                DirectBuffer r = store.revs.get(txn, revBuf);
                if (r != null) {
                    x = r;
                    h = 0;
                    continue;
                }
                // Absent only if compacted past atRev, which a read does not see; the previous link still answers.
            }
            if (pm == 0) {
                return null;
            }
            Revision.put(revBuf, 0, pm, ps);
            chainLookups++;
            DirectBuffer r = store.revs.get(txn, revBuf);
            if (r == null) {
                // Removed by compaction: only tombstones and superseded versions are removed, so absent.
                return null;
            }
            if (pm <= atRev) {
                return Record.tombstone(r, 0) ? null : Record.fromRev(r, pm, keysOnly);
            }
            x = r;
            h = 0;
        }
    }

    /** True if {@code rangeEnd} is the single byte 0 ("every key >= key"). */
    static boolean toInfinity(Bytes rangeEnd) {
        return rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0;
    }

    /**
     * Adds to {@code out} the live kvs of {@code [key, end)} at {@code atRev} in key order, at most {@code fetchLimit}
     * ({@code <= 0}: all) and none if {@code countOnly}; returns the number of live keys in the range.
     */
    public long range(Bytes key, Bytes end, long atRev, long fetchLimit, boolean countOnly, boolean keysOnly,
                      List<KeyValue> out) {
        if (end.isEmpty()) {
            KeyValue kv = get(key, atRev, keysOnly);
            if (kv == null) {
                return 0;
            }
            if (!countOnly) {
                out.add(kv);
            }
            return 1;
        }
        boolean inf = toInfinity(end);
        if (!inf && end.compareTo(key) <= 0) {
            return 0;
        }
        long count = 0;
        int seekLen = Math.min(key.size(), store.maxKeyBytes);
        key.copyTo(keyBuf, 0);
        keyView.wrap(keyBuf, 0, seekLen);
        try (Cursor<DirectBuffer> c = store.latest.openCursor(txn)) {
            boolean ok = seekLen == 0 ? c.first() : c.get(keyView, GetOp.MDB_SET_RANGE);
            while (ok) {
                DirectBuffer k = c.key();
                int klen = k.capacity();
                if (!inf && end.compareTo(k, 0, klen) <= 0) {
                    break;
                }
                if (seekLen < key.size() && key.compareTo(k, 0, klen) > 0) {
                    ok = c.next();
                    continue;
                }
                DirectBuffer v = c.val();
                long main = Revision.main(v, 0);
                if (main <= atRev) {
                    if (!Record.tombstone(v, Revision.BYTES)) {
                        count++;
                        if (!countOnly && (fetchLimit <= 0 || out.size() < fetchLimit)) {
                            out.add(Record.fromLatest(Bytes.copyOf(k, 0, klen), v, keysOnly));
                        }
                    }
                } else {
                    KeyValue kv = visibleAt(v, Revision.BYTES, atRev, keysOnly || countOnly);
                    if (kv != null) {
                        count++;
                        if (!countOnly && (fetchLimit <= 0 || out.size() < fetchLimit)) {
                            out.add(kv);
                        }
                    }
                }
                ok = c.next();
            }
        }
        return count;
    }

    /** True if lease {@code id} exists. */
    boolean leaseExists(long id) {
        return store.leases.get(txn, Leases.idKey(revBuf, id)) != null;
    }
}
