package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;

/** Reads history back as events (the source for watches), in revision order. */
public final class History {
    private History() {
    }

    /** True if {@code k} is in the range given by etcd's key/range_end convention. */
    public static boolean inRange(Bytes key, Bytes end, Bytes k) {
        if (end.isEmpty()) {
            return key.equals(k);
        }
        if (ReadView.toInfinity(end)) {
            return key.compareTo(k) <= 0;
        }
        return key.compareTo(k) <= 0 && k.compareTo(end) < 0;
    }

    /**
     * The events of {@code [key, end)} from {@code fromRev} up to {@code toRev}, at least {@code maxEvents} unless
     * history ends first (a revision is never split). {@code fromRev} must be at or above the compacted revision.
     */
    public static List<Event> read(ReadView view, long compactedRev, long fromRev, long toRev, Bytes key, Bytes end,
                                   boolean prevKv, int maxEvents) {
        List<Event> out = new ArrayList<>();
        org.agrona.MutableDirectBuffer pos = Store.allocate(Revision.BYTES);
        Revision.put(pos, 0, Math.max(fromRev, 1), 0);
        long lastMain = -1;
        try (Cursor<DirectBuffer> c = view.store.revs.openCursor(view.txn)) {
            for (boolean ok = c.get(pos, GetOp.MDB_SET_RANGE); ok; ok = c.next()) {
                long main = Revision.main(c.key(), 0);
                if (main > toRev || (out.size() >= maxEvents && main != lastMain)) {
                    break;
                }
                if (main < compactedRev) {
                    continue; // physically not yet removed
                }
                DirectBuffer v = c.val();
                int keyLen = Record.revKeyLength(v);
                Bytes k = Bytes.copyOf(v, Record.HEADER + 4, keyLen);
                if (!inRange(key, end, k)) {
                    continue;
                }
                boolean tomb = Record.tombstone(v, 0);
                KeyValue kv = tomb ? new KeyValue(k, 0, main, 0, Bytes.EMPTY, 0) : Record.fromRev(v, main, false);
                if (main == compactedRev) {
                    // Only etcd's keep set survives at the compacted revision.
                    KeyValue kept = view.get(k, compactedRev, true);
                    if (tomb || kept == null || kept.modRevision() != main || kept.version() != kv.version()) {
                        continue;
                    }
                }
                Event e = new Event(tomb ? Event.Type.DELETE : Event.Type.PUT, kv, null);
                if (prevKv) {
                    e = withWatchPrevKv(view, compactedRev, e);
                }
                out.add(e);
                lastMain = main;
            }
        }
        return out;
    }

    /** etcd's watch rule: no prev kv for a create; else the key at mod_revision - 1 if not compacted. */
    public static Event withWatchPrevKv(ReadView view, long compactedRev, Event e) {
        if (e.isCreate()) {
            return e;
        }
        long at = e.kv().modRevision() - 1;
        if (at < compactedRev || at <= 0) {
            return e;
        }
        KeyValue prev = view.get(e.kv().key(), at, false);
        return prev == null ? e : e.withPrevKv(prev);
    }
}
