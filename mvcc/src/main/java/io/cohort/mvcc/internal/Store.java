package io.cohort.mvcc.internal;

import io.cohort.mvcc.CorruptKeyspaceException;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.QuotaExceededException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LMDB environment and its DBIs; checks the format marker at open.
 *
 * <p>The environment runs MDB_WRITEMAP: a commit writes its pages straight into the shared mapping instead of one
 * pwrite per dirty page (that pwrite path was a third of the apply thread's CPU under load). With WRITEMAP, LMDB
 * sizes data.mdb to the map size as a sparse file, and a store into a hole on a full disk is a SIGBUS, not an error.
 * So before every write transaction the writer reserves disk for the pages it may add ({@link #reserveAhead}): zeros
 * are written past the high-water mark, a full disk shows up there as a typed error before anything is written, and
 * the pages LMDB then grows into are already in the page cache (no hole fault with zero-fill on the apply thread).
 */
public final class Store implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Store.class);
    static final String MAGIC = "cohort-mvcc";
    static final int FORMAT_VERSION = 2; // 2: records carry their version chain's depth and jump link
    private static final Set<String> LMDB_FILES = Set.of("data.mdb", "lock.mdb");

    /** Meta keys. */
    static final DirectBuffer META_MAGIC = direct("magic");
    static final DirectBuffer META_FORMAT = direct("format");
    static final DirectBuffer META_STATE = direct("state");

    final Env<DirectBuffer> env;
    /** revision (16 bytes) -> record with key and value. */
    final Dbi<DirectBuffer> revs;
    /** key -> revision + record header + jump spine + value of the key's latest version (tombstones included). */
    final Dbi<DirectBuffer> latest;
    /** format marker and {@link State}. */
    final Dbi<DirectBuffer> meta;
    /** lease ID (8 bytes, big-endian) -> granted TTL (8 bytes). */
    final Dbi<DirectBuffer> leases;
    /** lease ID -> attached keys (DUPSORT, keys in byte order). */
    final Dbi<DirectBuffer> leaseKeys;
    final int maxKeyBytes;
    final int pageSizeBytes;
    /** Reserve this much disk past the high-water mark of pages before a write transaction. */
    static final long RESERVE_AHEAD_BYTES = 16L << 20;
    private static final int ZEROS_CHUNK_BYTES = 1 << 20;
    private final long mapSizeBytes;
    private final FileChannel dataFile;
    private final ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS_CHUNK_BYTES);
    /** data.mdb holds written blocks (pages or reserved zeros) below this offset; only the writer moves it. */
    private long reservedBytes;
    // The single writer's scratch (WriteBatch, under the engine's write lock; lmdbjava stores a buffer's capacity).
    final MutableDirectBuffer writerKeyBuffer = allocate(512);
    final MutableDirectBuffer writerRevisionBuffer = allocate(Revision.BYTES);
    final MutableDirectBuffer writerIdBuffer = allocate(8);
    final MutableDirectBuffer writerLeaseRecordBuffer = allocate(Leases.RECORD_BYTES);
    final MutableDirectBuffer writerStateBuffer = allocate(State.BYTES);
    final MutableDirectBuffer writerSpineBuffer = allocate(VersionChain.MAX_SPINE * Revision.BYTES);

    private Store(Env<DirectBuffer> env, FileChannel dataFile, Dbi<DirectBuffer> revs, Dbi<DirectBuffer> latest,
                  Dbi<DirectBuffer> meta, Dbi<DirectBuffer> leases, Dbi<DirectBuffer> leaseKeys) {
        this.env = env;
        this.revs = revs;
        this.latest = latest;
        this.meta = meta;
        this.leases = leases;
        this.leaseKeys = leaseKeys;
        this.maxKeyBytes = env.getMaxKeySize();
        this.pageSizeBytes = env.stat().pageSize;
        this.mapSizeBytes = env.info().mapSize;
        this.dataFile = dataFile;
        this.reservedBytes = usedBytes();
    }

    /**
     * Makes sure data.mdb has written blocks for at least {@code growthBytes} plus {@link #RESERVE_AHEAD_BYTES}
     * past the committed high-water mark (capped at the map size), by writing zeros where LMDB has not written yet.
     * Call only from the single writer, outside a write transaction: pages past the committed high-water mark are then
     * unused, so the zeros overwrite nothing live.
     *
     * @return the bytes used (the committed high-water mark), as {@link #usedBytes} would return
     * @throws QuotaExceededException if the disk cannot hold the reservation; nothing was applied
     */
    long reserveAhead(long growthBytes) {
        assert growthBytes >= 0 : growthBytes;
        long used = usedBytes();
        long wanted = Math.min(mapSizeBytes, used + growthBytes + RESERVE_AHEAD_BYTES / 2);
        if (reservedBytes >= wanted) {
            return used;
        }
        long from = Math.max(reservedBytes, used);
        long to = Math.min(mapSizeBytes, used + growthBytes + RESERVE_AHEAD_BYTES);
        try {
            long pos = from;
            while (pos < to) {
                zeros.clear().limit((int) Math.min(ZEROS_CHUNK_BYTES, to - pos));
                while (zeros.hasRemaining()) {
                    pos += dataFile.write(zeros, pos);
                }
            }
        } catch (IOException e) {
            throw new QuotaExceededException(ErrorCode.NO_SPACE, "cannot reserve " + (to - from) + " bytes of disk for"
                    + " the keyspace file past its " + used + " used bytes (disk full?); nothing was applied: " + e, e);
        }
        reservedBytes = to;
        return used;
    }

    /** For tests: the end of the written blocks of data.mdb. */
    long reservedBytesForTest() {
        return reservedBytes;
    }

    static DirectBuffer direct(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        UnsafeBuffer u = new UnsafeBuffer(ByteBuffer.allocateDirect(b.length));
        u.putBytes(0, b);
        return u;
    }

    /** A direct (off-heap) buffer of {@code n} bytes, as lmdbjava's DirectBufferProxy needs. */
    public static MutableDirectBuffer allocate(int n) {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(n));
    }

    /** Opens or creates the store in {@code dir}; a foreign or corrupt directory is an error. */
    public static Store open(Path dir, KeyspaceConfig config) {
        boolean fresh;
        try {
            if (!Files.exists(dir)) {
                Files.createDirectories(dir);
            }
            if (!Files.isDirectory(dir)) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " is not a directory");
            }
            List<String> names = new ArrayList<>();
            try (Stream<Path> s = Files.list(dir)) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            }
            for (String n : names) {
                if (!LMDB_FILES.contains(n)) {
                    throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " holds a foreign file '" + n
                            + "': not a Cohort keyspace directory (expected only data.mdb and lock.mdb)");
                }
            }
            fresh = !names.contains("data.mdb");
            if (fresh && names.contains("lock.mdb")) {
                LOG.warn("{} has a lock file but no data file; treating it as a new keyspace", dir);
            }
        } catch (IOException e) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, "cannot read " + dir + ": " + e, e);
        }
        Env<DirectBuffer> env;
        try {
            env = Env.create(DirectBufferProxy.PROXY_DB)
                    .setMapSize(config.mapSizeBytes())
                    .setMaxDbs(8)
                    .setMaxReaders(256)
                    .open(dir.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC, EnvFlags.MDB_WRITEMAP);
        } catch (LmdbException e) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " is not a valid LMDB keyspace: " + e, e);
        }
        FileChannel dataFile = null;
        try {
            dataFile = FileChannel.open(dir.resolve("data.mdb"), StandardOpenOption.WRITE);
            Store s = fresh ? create(env, dataFile) : openExisting(env, dataFile, dir);
            LOG.debug("opened keyspace store {} (fresh={})", dir, fresh);
            return s;
        } catch (IOException e) {
            closeQuietly(dataFile);
            env.close();
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, "cannot open " + dir.resolve("data.mdb")
                    + " for writing: " + e, e);
        } catch (RuntimeException e) {
            closeQuietly(dataFile);
            env.close();
            throw e;
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            LOG.warn("closing the keyspace data file failed: {}", e.toString());
        }
    }

    private static Store create(Env<DirectBuffer> env, FileChannel dataFile) {
        Dbi<DirectBuffer> meta = env.openDbi("meta", DbiFlags.MDB_CREATE);
        Dbi<DirectBuffer> revs = env.openDbi("rev", DbiFlags.MDB_CREATE);
        Dbi<DirectBuffer> latest = env.openDbi("kv", DbiFlags.MDB_CREATE);
        Dbi<DirectBuffer> leases = env.openDbi("lease", DbiFlags.MDB_CREATE);
        Dbi<DirectBuffer> leaseKeys = env.openDbi("lease_keys", DbiFlags.MDB_CREATE, DbiFlags.MDB_DUPSORT);
        try (Txn<DirectBuffer> txn = env.txnWrite()) {
            meta.put(txn, META_MAGIC, direct(MAGIC));
            MutableDirectBuffer f = allocate(4);
            f.putInt(0, FORMAT_VERSION);
            meta.put(txn, META_FORMAT, f);
            MutableDirectBuffer st = allocate(State.BYTES);
            State.fresh().write(st);
            meta.put(txn, META_STATE, st);
            txn.commit();
        }
        env.sync(true);
        return new Store(env, dataFile, revs, latest, meta, leases, leaseKeys);
    }

    private static Store openExisting(Env<DirectBuffer> env, FileChannel dataFile, Path dir) {
        List<String> names = new ArrayList<>();
        try {
            for (byte[] n : env.getDbiNames()) {
                names.add(new String(n, StandardCharsets.UTF_8));
            }
        } catch (LmdbException e) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " is unreadable: " + e, e);
        }
        for (String n : List.of("meta", "rev", "kv", "lease", "lease_keys")) {
            if (!names.contains(n)) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " is an LMDB environment without "
                        + "Cohort's '" + n + "' table: not a Cohort keyspace (tables: " + names + ")");
            }
        }
        Dbi<DirectBuffer> meta = env.openDbi("meta");
        try (Txn<DirectBuffer> txn = env.txnRead()) {
            DirectBuffer magic = meta.get(txn, META_MAGIC);
            if (magic == null || !MAGIC.equals(magic.getStringWithoutLengthAscii(0, magic.capacity()))) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " lacks the Cohort keyspace marker");
            }
            DirectBuffer f = meta.get(txn, META_FORMAT);
            if (f == null || f.capacity() != 4 || f.getInt(0) != FORMAT_VERSION) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " has an unknown keyspace format "
                        + (f == null || f.capacity() != 4 ? "(missing)" : f.getInt(0)) + ", expected " + FORMAT_VERSION);
            }
            DirectBuffer st = meta.get(txn, META_STATE);
            if (st == null || st.capacity() != State.BYTES) {
                throw new CorruptKeyspaceException(ErrorCode.CORRUPT, dir + " has no valid keyspace state record");
            }
        }
        return new Store(env, dataFile, env.openDbi("rev"), env.openDbi("kv"), meta, env.openDbi("lease"),
                env.openDbi("lease_keys"));
    }

    /** Reads the persisted state in {@code txn}. */
    State readState(Txn<DirectBuffer> txn) {
        DirectBuffer st = meta.get(txn, META_STATE);
        if (st == null) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, "keyspace state record missing");
        }
        return State.read(st);
    }

    /** The bytes the environment uses (high-water mark of pages). */
    long usedBytes() {
        return (env.info().lastPageNumber + 1) * (long) pageSizeBytes;
    }

    @Override
    public void close() {
        closeQuietly(dataFile);
        env.close();
    }
}
