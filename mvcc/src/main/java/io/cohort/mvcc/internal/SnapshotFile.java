package io.cohort.mvcc.internal;

import io.cohort.mvcc.CorruptKeyspaceException;
import io.cohort.mvcc.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.agrona.DirectBuffer;
import org.lmdbjava.CopyFlags;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

/**
 * A keyspace snapshot: one self-contained LMDB data file (a compacting copy of the live environment, taken in one
 * read transaction, so it is consistent without blocking writers). Restoring copies every table of the file into the
 * live environment in one write transaction, so readers see either the old keyspace or the new one, never a mix.
 */
final class SnapshotFile {
    private static final List<String> TABLES = List.of("meta", "rev", "kv", "lease", "lease_keys");

    private SnapshotFile() {
    }

    /** Writes a compact copy of {@code store} to {@code file} (which must not exist); returns the copy's state. */
    static State write(Store store, Path file) {
        if (Files.exists(file)) {
            throw new IllegalArgumentException("snapshot file " + file + " already exists");
        }
        Path tmpDir = file.resolveSibling(file.getFileName() + ".copying");
        try {
            deleteDirectory(tmpDir);
            Files.createDirectories(tmpDir);
            store.env.copy(tmpDir.toFile(), CopyFlags.MDB_CP_COMPACT);
            Path data = tmpDir.resolve("data.mdb");
            try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(data, file, StandardCopyOption.ATOMIC_MOVE);
            deleteDirectory(tmpDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write keyspace snapshot " + file, e);
        }
        try (Env<DirectBuffer> env = openReadOnly(file)) {
            Dbi<DirectBuffer> meta = env.openDbi("meta");
            try (Txn<DirectBuffer> txn = env.txnRead()) {
                DirectBuffer st = meta.get(txn, Store.META_STATE);
                return State.read(st);
            }
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

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
