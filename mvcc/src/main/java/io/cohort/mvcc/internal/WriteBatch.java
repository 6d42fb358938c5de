package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

/**
 * One LMDB write txn applying a batch of commands; per command it tracks the begin revision and the changes
 * (etcd's {@code storeTxnWrite}): every change of one command gets revision {beginRev + 1, sub}.
 */
final class WriteBatch {
    final Store store;
    final Txn<DirectBuffer> txn;
    final ReadView view;
    // Scratch: the store's writer buffers (store.writer*), not allocated per txn (up to five direct buffers, each with
    // malloc, zeroing and a Cleaner, on every apply).
    private final UnsafeBuffer keyView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer idView = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer nullView = new UnsafeBuffer(0, 0);

    /** The revision before the current command. */
    long beginRev;
    /** Changes made by the current command so far (the next sub revision). */
    int changes;
    // The chain links of the version being written (set by link; fields, not an allocation per put). Its jump is the
    // first revision of its spine, in the store's spine buffer (jumpMain, jumpSub).
    private long linkDepth;
    private int linkSpineLength;
    /** Bytes written in this batch (for the quota estimate). */
    long writtenBytes;
    List<Event> events = new ArrayList<>();

    /** Caller holds the writer's lock (one WriteBatch at a time: the scratch buffers are the store's). */
    WriteBatch(Store store, Txn<DirectBuffer> txn) {
        this.store = store;
        this.txn = txn;
        this.view = ReadView.of(store, txn);
    }

    /** Starts a command at the current revision {@code rev}. */
    void begin(long rev) {
        beginRev = rev;
        changes = 0;
        events = new ArrayList<>();
    }

    /** The revision the current command's reads see: beginRev, or beginRev + 1 once it changed something. */
    long readRev() {
        return changes > 0 ? beginRev + 1 : beginRev;
    }

    private DirectBuffer key(Bytes key) {
        key.copyTo(store.writerKeyBuffer, 0);
        keyView.wrap(store.writerKeyBuffer, 0, key.size());
        return keyView;
    }

    private DirectBuffer id(long id) {
        store.writerIdBuffer.putLong(0, id, ByteOrder.BIG_ENDIAN);
        idView.wrap(store.writerIdBuffer, 0, 8);
        return idView;
    }

    /** Puts {@code key}; returns the new revision. */
    long put(Bytes key, Bytes value, long lease) {
        long main = beginRev + 1;
        long sub = changes;
        DirectBuffer k = key(key);
        DirectBuffer old = store.latest.get(txn, k);
        long create = main;
        long version = 1;
        long oldLease = 0;
        long pm = 0;
        long ps = 0;
        if (old != null) {
            pm = Revision.main(old, 0);
            ps = Revision.sub(old, 0);
            int h = Revision.BYTES;
            if (!Record.tombstone(old, h)) {
                create = Record.create(old, h);
                version = Record.version(old, h) + 1;
                oldLease = Record.lease(old, h);
            }
            if (pm > main || (pm == main && ps >= sub)) {
                throw new IllegalStateException("revisions must strictly increase: key " + key + " at {" + pm + ","
                        + ps + "}, new {" + main + "," + sub + "}");
            }
        }
        link(old); // Before any write: writing the key's latest value may overwrite old.
        Revision.put(store.writerRevisionBuffer, 0, main, sub);
        int rsize = Record.revValueSize(key.size(), value.size());
        MutableDirectBuffer r = (MutableDirectBuffer) store.revs.reserve(txn, store.writerRevisionBuffer, rsize,
                PutFlags.MDB_APPEND);
        Record.putHeader(r, 0, false, create, version, lease, pm, ps, linkDepth, jumpMain(), jumpSub());
        r.putInt(Record.HEADER, key.size(), Record.LE);
        key.copyTo(r, Record.HEADER + 4);
        value.copyTo(r, Record.HEADER + 4 + key.size());
        int lsize = Record.latestValueSize(linkSpineLength, value.size());
        MutableDirectBuffer l = (MutableDirectBuffer) store.latest.reserve(txn, k, lsize);
        Revision.put(l, 0, main, sub);
        Record.putHeader(l, Revision.BYTES, false, create, version, lease, pm, ps, linkDepth, jumpMain(),
                jumpSub());
        value.copyTo(l, putSpine(l));
        if (oldLease != 0 && oldLease != lease) {
            store.leaseKeys.delete(txn, id(oldLease), k);
        }
        if (lease != 0 && lease != oldLease) {
            store.leaseKeys.put(txn, id(lease), k);
        }
        writtenBytes += rsize + lsize + 2L * key.size() + 64;
        changes++;
        events.add(new Event(Event.Type.PUT, new KeyValue(key, create, main, version, value, lease), null));
        return main;
    }

    /**
     * Sets the {@link VersionChain} links of a new version whose previous version is {@code old} (a latest DBI value;
     * null if the key has none) and leaves the new version's spine in the store's spine buffer: the previous version
     * with the previous spine after it for a jump of 1, else the previous spine without its first revision. Reads only
     * {@code old}, before anything is written (writing the key's latest value may overwrite it).
     */
    private void link(DirectBuffer old) {
        MutableDirectBuffer spine = store.writerSpineBuffer;
        if (old == null) {
            linkDepth = 0;
            linkSpineLength = 0;
        } else {
            long depth = Record.depth(old, Revision.BYTES) + 1;
            int n = Record.spineLength(old);
            int from = Record.LATEST_SPINE + 1;
            if (VersionChain.jumpLength(depth) == 1) {
                if (n + 1 > VersionChain.MAX_SPINE) {
                    throw new IllegalStateException("version chain spine of " + (n + 1) + " revisions at depth " + depth
                            + ", over " + VersionChain.MAX_SPINE);
                }
                Revision.put(spine, 0, Revision.main(old, 0), Revision.sub(old, 0));
                spine.putBytes(Revision.BYTES, old, from, n * Revision.BYTES);
                linkSpineLength = n + 1;
            } else {
                if (n < 2) {
                    // A jump longer than 1 starts at depth 3 or more, whose previous version's spine reaches depth 0
                    // in two or more jumps.
                    throw new IllegalStateException("version chain broken: the version before depth " + depth + " at {"
                            + Revision.main(old, 0) + "," + Revision.sub(old, 0) + "} has a spine of " + n);
                }
                spine.putBytes(0, old, from + Revision.BYTES, (n - 1) * Revision.BYTES);
                linkSpineLength = n - 1;
            }
            linkDepth = depth;
        }
    }

    /** The main revision of the jump target left by {@link #link} (0: none, at depth 0). */
    private long jumpMain() {
        return linkSpineLength == 0 ? 0 : Revision.main(store.writerSpineBuffer, 0);
    }

    /** The sub revision of the jump target left by {@link #link} (0: none). */
    private long jumpSub() {
        return linkSpineLength == 0 ? 0 : Revision.sub(store.writerSpineBuffer, 0);
    }

    /** Writes the latest DBI value's spine left by {@link #link} into {@code l}; returns where the value goes. */
    private int putSpine(MutableDirectBuffer l) {
        l.putByte(Record.LATEST_SPINE, (byte) linkSpineLength);
        l.putBytes(Record.LATEST_SPINE + 1, store.writerSpineBuffer, 0, linkSpineLength * Revision.BYTES);
        return Record.latestValueAt(l);
    }

    /** Deletes {@code key} if it is live; returns true if it was. */
    boolean delete(Bytes key) {
        long main = beginRev + 1;
        long sub = changes;
        DirectBuffer k = key(key);
        DirectBuffer old = store.latest.get(txn, k);
        if (old == null || Record.tombstone(old, Revision.BYTES)) {
            return false;
        }
        long pm = Revision.main(old, 0);
        long ps = Revision.sub(old, 0);
        long oldLease = Record.lease(old, Revision.BYTES);
        link(old); // Before any write, as in put.
        Revision.put(store.writerRevisionBuffer, 0, main, sub);
        int rsize = Record.revValueSize(key.size(), 0);
        MutableDirectBuffer r = (MutableDirectBuffer) store.revs.reserve(txn, store.writerRevisionBuffer, rsize,
                PutFlags.MDB_APPEND);
        Record.putHeader(r, 0, true, 0, 0, 0, pm, ps, linkDepth, jumpMain(), jumpSub());
        r.putInt(Record.HEADER, key.size(), Record.LE);
        key.copyTo(r, Record.HEADER + 4);
        MutableDirectBuffer l = (MutableDirectBuffer) store.latest.reserve(txn, k,
                Record.latestValueSize(linkSpineLength, 0));
        Revision.put(l, 0, main, sub);
        Record.putHeader(l, Revision.BYTES, true, 0, 0, 0, pm, ps, linkDepth, jumpMain(), jumpSub());
        putSpine(l);
        if (oldLease != 0) {
            store.leaseKeys.delete(txn, id(oldLease), k);
        }
        writtenBytes += rsize + 128;
        changes++;
        events.add(new Event(Event.Type.DELETE, new KeyValue(key, 0, main, 0, Bytes.EMPTY, 0), null));
        return true;
    }

    /** Deletes the live keys of {@code [key, end)}; returns how many. */
    long deleteRange(Bytes key, Bytes end) {
        List<KeyValue> kvs = new ArrayList<>();
        view.range(key, end, readRev(), 0, false, true, kvs);
        long n = 0;
        for (KeyValue kv : kvs) {
            if (delete(kv.key())) {
                n++;
            }
        }
        return n;
    }

    /** Records lease {@code id} with {@code ttlSeconds} and no checkpoint. */
    void grantLease(long id, long ttlSeconds) {
        MutableDirectBuffer v = store.writerLeaseRecordBuffer; // LMDB copies it in put
        v.putLong(0, ttlSeconds, ByteOrder.LITTLE_ENDIAN);
        v.putLong(8, 0, ByteOrder.LITTLE_ENDIAN);
        store.leases.put(txn, id(id), v);
        writtenBytes += 64;
    }

    /** Records a remaining TTL for lease {@code id}; false (nothing written) if the lease does not exist. */
    boolean checkpointLease(long id, long remainingTtlSeconds) {
        DirectBuffer old = store.leases.get(txn, id(id));
        if (old == null) {
            return false;
        }
        MutableDirectBuffer v = store.writerLeaseRecordBuffer; // LMDB copies it in put
        v.putLong(0, old.getLong(0, ByteOrder.LITTLE_ENDIAN), ByteOrder.LITTLE_ENDIAN);
        v.putLong(8, remainingTtlSeconds, ByteOrder.LITTLE_ENDIAN);
        store.leases.put(txn, id(id), v);
        return true;
    }

    /** Removes lease {@code id} and its (already emptied) attachment list. */
    void removeLease(long id) {
        store.leases.delete(txn, id(id));
        store.leaseKeys.delete(txn, id(id));
    }

    /** Stores {@code state}. */
    void writeState(State state) {
        MutableDirectBuffer st = store.writerStateBuffer;
        state.write(st);
        store.meta.put(txn, Store.META_STATE, st);
    }

    DirectBuffer nullBuffer() {
        return nullView;
    }
}
