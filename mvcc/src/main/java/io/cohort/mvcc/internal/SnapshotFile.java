package io.cohort.mvcc.internal;

import io.cohort.mvcc.CorruptKeyspaceException;
import io.cohort.mvcc.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;

/**
 * A keyspace snapshot: one self-contained LMDB data file (every table of the live environment as one read transaction
 * sees it, copied in key order, so it is consistent and compact without blocking writers). Restoring copies every table of the file into the
 * live environment in one write transaction, so readers see either the old keyspace or the new one, never a mix.
 */
final class SnapshotFile {
    /** Every table, in {@link Store}'s field order: meta, revs, latest, leases, leaseKeys. */
    private static final List<String> TABLES = List.of("meta", "rev", "kv", "lease", "lease_keys");
    private static final String DUPSORT_TABLE = "lease_keys";
    /** Bytes copied per write transaction of a snapshot file. */
    private static final long COMMIT_EVERY_BYTES = 64L << 20;

    private SnapshotFile() {
    }

    /**
     * Writes the state {@code txn} (a read transaction of {@code store}) sees to {@code file} (must not exist; the
     * caller checks, since it deletes the file on failure): a fresh LMDB environment with every table copied in key
     * order (MDB_APPEND, so pages are filled and the copy is compact), committed every {@link #COMMIT_EVERY_BYTES}
     * bytes so no write transaction grows without bound, and synced if {@code sync}. Runs {@code check} every
     * {@code checkEveryEntries} entries (it throws to stop; the caller deletes the file).
     */
    static void writeFrom(Store store, Txn<DirectBuffer> txn, Path file, boolean sync, int checkEveryEntries,
                          Runnable check) {
        List<Dbi<DirectBuffer>> sources = List.of(store.meta, store.revs, store.latest, store.leases, store.leaseKeys);
        try (Env<DirectBuffer> dst = Env.create(DirectBufferProxy.PROXY_DB)
                .setMapSize(store.env.info().mapSize) // address space only: the file grows with the pages written
                .setMaxDbs(8)
                .open(file.toFile(), EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_NOLOCK, EnvFlags.MDB_NOSYNC,
                        EnvFlags.MDB_NOTLS)) {
            List<Dbi<DirectBuffer>> targets = new ArrayList<>(TABLES.size());
            for (String name : TABLES) { // All opened before the first write transaction (each opens its own).
                targets.add(DUPSORT_TABLE.equals(name)
                        ? dst.openDbi(name, DbiFlags.MDB_CREATE, DbiFlags.MDB_DUPSORT)
                        : dst.openDbi(name, DbiFlags.MDB_CREATE));
            }
            // One write cursor per table appends (MDB_APPEND on a cursor that stays at the end: no descent from the
            // root per entry, unlike Dbi.put, which opens a cursor and searches for every entry).
            Txn<DirectBuffer> out = dst.txnWrite();
            Cursor<DirectBuffer> cursor = null;
            try {
                long bytes = 0;
                long entries = 0;
                for (int t = 0; t < TABLES.size(); t++) {
                    PutFlags append = DUPSORT_TABLE.equals(TABLES.get(t)) ? PutFlags.MDB_APPENDDUP : PutFlags.MDB_APPEND;
                    Dbi<DirectBuffer> to = targets.get(t);
                    cursor = to.openCursor(out);
                    try (CursorIterable<DirectBuffer> it = sources.get(t).iterate(txn)) {
                        for (CursorIterable.KeyVal<DirectBuffer> kv : it) {
                            if (!cursor.put(kv.key(), kv.val(), append)) {
                                throw new IllegalStateException("table " + TABLES.get(t) + " of the keyspace is not in"
                                        + " key order at entry " + entries + ": cannot write snapshot " + file);
                            }
                            bytes += kv.key().capacity() + kv.val().capacity();
                            if (++entries % checkEveryEntries == 0) {
                                check.run();
                            }
                            if (bytes >= COMMIT_EVERY_BYTES) {
                                cursor.close();
                                cursor = null;
                                out.commit();
                                out.close();
                                out = dst.txnWrite();
                                cursor = to.openCursor(out);
                                bytes = 0;
                            }
                        }
                    }
                    cursor.close();
                    cursor = null;
                }
                out.commit();
            } finally {
                if (cursor != null) {
                    cursor.close();
                }
                out.close();
            }
            check.run();
        }
        if (!sync) {
            return;
        }
        // One fsync, after the environment is closed (it runs MDB_NOSYNC): the file then holds every committed page.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync keyspace snapshot " + file, e);
        }
    }

    /**
     * Replaces every table of {@code store} with the snapshot's, in {@code txn}; returns the snapshot's state.
     *
     * @throws CorruptKeyspaceException if the file is not a Cohort keyspace snapshot
     */
    static State restore(Store store, Txn<DirectBuffer> txn, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, "snapshot file " + file + " does not exist");
        }
        Env<DirectBuffer> src;
        try {
            src = openReadOnly(file);
        } catch (LmdbException e) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, file + " is not an LMDB keyspace snapshot: " + e, e);
        }
        try (src) {
            List<String> names = src.getDbiNames().stream().map(b -> new String(b, StandardCharsets.UTF_8))
                    .toList();
            if (!names.containsAll(TABLES)) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, file + " lacks Cohort's tables " + TABLES
                        + " (has " + names + "): not a keyspace snapshot");
            }
            Dbi<DirectBuffer> meta = src.openDbi("meta");
            Dbi<DirectBuffer> revs = src.openDbi("rev");
            Dbi<DirectBuffer> latest = src.openDbi("kv");
            Dbi<DirectBuffer> leases = src.openDbi("lease");
            Dbi<DirectBuffer> leaseKeys = src.openDbi("lease_keys", DbiFlags.MDB_DUPSORT);
            State state;
            try (Txn<DirectBuffer> from = src.txnRead()) {
                DirectBuffer magic = meta.get(from, Store.META_MAGIC);
                if (magic == null || !Store.MAGIC.equals(magic.getStringWithoutLengthAscii(0, magic.capacity()))) {
                    throw new CorruptKeyspaceException(ErrorCode.CORRUPT, file + " lacks the Cohort keyspace marker");
                }
                DirectBuffer format = meta.get(from, Store.META_FORMAT);
                if (format == null || format.capacity() != 4 || format.getInt(0) != Store.FORMAT_VERSION) {
                    throw new CorruptKeyspaceException(ErrorCode.CORRUPT, file + " has an unknown keyspace format");
                }
                DirectBuffer st = meta.get(from, Store.META_STATE);
                if (st == null || st.capacity() != State.BYTES) {
                    throw new CorruptKeyspaceException(ErrorCode.CORRUPT, file + " has no valid keyspace state");
                }
                state = State.read(st);
                copyTable(meta, store.meta, from, txn);
                copyTable(revs, store.revs, from, txn);
                copyTable(latest, store.latest, from, txn);
                copyTable(leases, store.leases, from, txn);
                copyTable(leaseKeys, store.leaseKeys, from, txn);
            }
            return state;
        }
    }

    private static void copyTable(Dbi<DirectBuffer> from, Dbi<DirectBuffer> to, Txn<DirectBuffer> fromTxn,
                                  Txn<DirectBuffer> toTxn) {
        to.drop(toTxn); // Empties the table, keeps it.
        try (CursorIterable<DirectBuffer> it = from.iterate(fromTxn)) {
            for (CursorIterable.KeyVal<DirectBuffer> kv : it) {
                to.put(toTxn, kv.key(), kv.val());
            }
        }
    }

    private static Env<DirectBuffer> openReadOnly(Path file) {
        return Env.create(DirectBufferProxy.PROXY_DB)
                .setMaxDbs(8)
                .setMapSize(Math.max(1L << 20, sizeOf(file)))
                .open(file.toFile(), EnvFlags.MDB_NOSUBDIR, EnvFlags.MDB_RDONLY_ENV, EnvFlags.MDB_NOLOCK,
                        EnvFlags.MDB_NOTLS);
    }

    /** The size of {@code file}, 0 if it is not a regular file (restore then reports it). */
    static long sizeOrZero(Path file) {
        return Files.isRegularFile(file) ? sizeOf(file) : 0;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
