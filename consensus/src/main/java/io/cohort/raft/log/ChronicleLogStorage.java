package io.cohort.raft.log;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.zip.CRC32C;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.HardState;
import io.cohort.raft.LogCompactedException;
import io.cohort.raft.LogStorage;
import io.cohort.raft.Membership;
import io.cohort.raft.SnapshotMeta;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.StoreFileListener;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable Raft log of one node on Chronicle Queue.
 *
 * <h2>Layout</h2>
 * One directory holds one Chronicle queue (cycle files {@code yyyyMMdd'F'.cq4} plus Chronicle's
 * {@code metadata.cq4t}) and our {@code cohort-log.lock}. Every record is one Chronicle document in
 * the format defined by {@link LogRecord} (type, raft index, term, entry type, payload, CRC32C).
 * Record types: ENTRY, HARD_STATE, SNAPSHOT (index, term, membership) and CUT (a torn tail was cut).
 *
 * <h2>Hard state and snapshot meta live in the queue</h2>
 * Both are records in the same queue, found by the open scan (latest wins). Reason: the Raft core
 * changes the hard state (commit index) on nearly every batch; a separate file written atomically
 * (temp + fsync + rename + fsync dir) would cost three extra fsyncs per batch, while a record in
 * the queue is made durable by the same single fsync as the batch's entries, in order with them.
 * Compaction re-writes the current hard state and the snapshot record into a fresh cycle before
 * it deletes older cycles, so the latest of each always survives deletion.
 *
 * <h2>Supersession</h2>
 * Chronicle Queue cannot truncate. A record for raft index {@code i} supersedes every record for
 * index {@code >= i} written before it; the open scan replays records in queue order, so it ends
 * with the same live suffix as the writer had. The in-memory index (raft index to queue index and
 * term, two primitive arrays, 16 bytes per held entry) only points at live records.
 *
 * <h2>Durability</h2>
 * Nothing is durable before {@link #sync()}. {@code sync()} calls {@code FileChannel.force} on
 * every cycle file written since the previous sync (one fsync per batch, usually one file), which
 * covers the whole file: data, Chronicle's in-place index pages and the header. In the steady state (records
 * appended to the active cycle since its last sync, none of them indexed by Chronicle in place) it syncs only
 * those records' pages instead ({@link #syncRange}, an msync of the range): the header page, where Chronicle
 * rewrites its write position on every append, is left to writeback and forced at close. After a power loss
 * Chronicle reads on past a stale write position over the records that follow it. Chronicle's
 * {@code appender.sync()} was not used because it only msyncs the current chunk from the last
 * synced page onwards, not the index pages updated in place earlier in the file, nor an earlier
 * chunk if a batch crossed a chunk boundary. The queue is still built with {@link SyncMode#SYNC}
 * so that Chronicle msyncs chunks it unmaps. When a new cycle file appears, sync also forces
 * {@code metadata.cq4t} and fsyncs the directory. A cycle is rolled only right after a sync, so
 * a cycle file is complete and durable before anything is written into the next one.
 *
 * <h2>Zeros ahead of the writer</h2>
 * Chronicle's cycle files are sparse ahead of the writer, so each per-batch fdatasync would also
 * allocate the blocks the batch touched and write the file's metadata synchronously (on ext4, shared
 * between the logs of all nodes on the disk: their syncs contend). A {@link CyclePreZeroer} thread keeps
 * real zeros written and synced up to {@code preZeroAheadBytes} ahead of the last record (after a 1 MiB
 * margin, within the length Chronicle gave the file, only in the active cycle, under this object's
 * monitor), so the batch's fdatasync finds the blocks allocated and only writes data. Where the file system
 * allows it the zeros are written with {@code O_DIRECT | O_DSYNC} (so the batch's fdatasync never waits
 * for their writeback) and read back into the page cache. Readers see the
 * same bytes as before (a hole reads as zeros); recovery, the torn-tail cut and corruption checks are
 * unchanged. Costs one extra write of every log byte in the background. 0 turns it off.
 *
 * <h2>Cycles</h2>
 * Cycles roll only when this class decides: its own {@link CycleClock} is Chronicle's
 * {@code TimeProvider}. It rolls when a cycle exceeds {@code maxCycleBytes}, on every compaction
 * and after cutting a torn tail. {@link #compact} deletes whole cycle files older than the cycle
 * holding the first live entry, never the active one. So the retained log may open with an older snapshot record whose
 * following entries were deleted with a later snapshot's compaction; the open scan accepts that gap
 * only if a later snapshot record covers it (otherwise: corruption, a cycle file was lost).
 *
 * <h2>Torn tail and corruption</h2>
 * At open every record is checked (length, version, type, CRC32C). Bad records with no valid record
 * after them (and a Chronicle document left incomplete by a crash) are a torn tail: logged as a
 * WARN and cut: the log rolls to a new cycle (Chronicle ends the old one, replacing an incomplete
 * header by an end-of-file marker) and writes a CUT record naming the first bad queue index; later
 * scans accept bad records only when such a CUT follows them. A bad record followed by any valid
 * record that is not such a CUT is corruption: {@link LogCorruptedException} naming file and byte
 * position. Known limit: a crash can in theory tear a record larger than a page and leave a later,
 * unsynced record intact behind it; that is reported as corruption (a false alarm that needs an
 * operator), never silently accepted.
 *
 * <h2>Threads</h2>
 * Thread-safe: one writer thread (append, setHardState, sync, compact) and readers on other threads
 * (term, entries, ...; e.g. the Raft thread) may share it. Every method holds this object's monitor
 * except the fsync inside {@link #sync()}, so reads are not blocked by the disk. A directory lock
 * keeps other processes out. The zeroing thread (see above) takes the monitor only for bookkeeping;
 * an append that could reach the 1 MiB it is zeroing waits for that chunk; {@link #close()} stops
 * the thread first.
 */
public final class ChronicleLogStorage implements LogStorage {
    private static final Logger LOG = LoggerFactory.getLogger(ChronicleLogStorage.class);

    /** Default distance beyond the last record up to which zeros are kept written (8 MiB); 0 = off. */
    public static final long DEFAULT_PRE_ZERO_AHEAD_BYTES = 8L << 20;
    /** Upper bound of {@code preZeroAheadBytes} (1 GiB). */
    public static final long MAX_PRE_ZERO_AHEAD_BYTES = 1L << 30;
    /** Default size after which the active cycle file is rolled (256 MiB). */
    public static final long DEFAULT_MAX_CYCLE_BYTES = 256L << 20;
    /** Chronicle's wait for a lock or header left by a dead writer (Chronicle's default is 10 s). */
    static final long CHRONICLE_TIMEOUT_MILLIS = 500;
    static final String LOCK_FILE = "cohort-log.lock";
    private static final String METADATA_FILE = "metadata.cq4t";
    private static final long PAGE_BYTES = 4096;
    private static final RollCycle ROLL_CYCLE = RollCycles.FAST_DAILY;
    private static final java.time.format.DateTimeFormatter CYCLE_NAME =
        java.time.format.DateTimeFormatter.ofPattern(ROLL_CYCLE.format()).withZone(java.time.ZoneOffset.UTC);
    private static final int INITIAL_INDEX_CAPACITY = 1024;
    private static final int HARD_STATE_PAYLOAD_BYTES = 16;
    /** Records read past in {@link #entries} before seeking straight to the next live entry instead. */
    private static final int MAX_SEQUENTIAL_SKIPS = 32;
    private static final int MAX_MEMBERS = 1 << 16;
    /** Entry-type byte of a SNAPSHOT record whose entries after the snapshot index were kept. */
    private static final byte SNAPSHOT_KEEPS_LOG = 1;

    private final Path dir;
    private final long maxCycleBytes;
    private final CycleClock clock = new CycleClock(ROLL_CYCLE);
    private final NavigableMap<Integer, File> cycleFiles = new ConcurrentSkipListMap<>();
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final SingleChronicleQueue queue;
    /** Chronicle indexes every this-many-th record in place (see {@link #syncRange}). */
    private final int indexSpacing;
    private final ExcerptAppender appender;
    private final ExcerptTailer tailer;
    private final CyclePreZeroer preZeroer; // null when off

    // Record encoding scratch (reused; the append path allocates nothing per entry).
    private final byte[] headerBytes = new byte[LogRecord.HEADER_LENGTH_BYTES];
    private final UnsafeBuffer header = new UnsafeBuffer(headerBytes);
    private final byte[] crcBytes = new byte[LogRecord.CRC_LENGTH_BYTES];
    private final UnsafeBuffer crcBuffer = new UnsafeBuffer(crcBytes);
    private final byte[] smallPayload = new byte[64];
    private final UnsafeBuffer smallPayloadBuffer = new UnsafeBuffer(smallPayload);
    private final CRC32C crc = new CRC32C();
    private final ExpandableArrayBuffer readBuffer = new ExpandableArrayBuffer(4096);
    private final LogRecord record = LogRecord.flyweight();

    // In-memory index: slot (raftIndex - indexBase) -> queue index and term of the live record.
    private long[] queueIndexes = new long[INITIAL_INDEX_CAPACITY];
    private long[] terms = new long[INITIAL_INDEX_CAPACITY];
    private long indexBase = 1;
    private long lastIndex;

    private HardState hardState = HardState.EMPTY;
    private SnapshotMeta snapshot = SnapshotMeta.NONE;

    // Durability bookkeeping.
    private final List<File> unsyncedFiles = new ArrayList<>(2);
    private File channelFile;
    private FileChannel channel;
    private boolean dirty;
    private boolean newFileSinceSync;
    // Range syncs (see syncRange): where the active cycle file is durable up to (-1: not known, the next sync forces
    // the whole file), where its records end, and whether records since the last sync wrote an index entry in place.
    private long syncedToPosition = -1;
    private long unsyncedToPosition;
    private boolean indexWrittenSinceSync;
    private int writtenCycle = Integer.MIN_VALUE;
    private long cycleBytes;
    private boolean closed;
    private volatile Throwable failure;
    private int tornTailsCut;
    private final Object syncLock = new Object();
    private long cycleFileForces; // guarded by syncLock
    private long rangeSyncs; // guarded by syncLock
    private long lastSyncedRangeFrom; // guarded by syncLock
    private long lastSyncedRangeTo; // guarded by syncLock
    /** The active cycle file mapped for range syncs (msync); only ever msynced, never read or written. */
    private MappedByteBuffer syncMapping; // guarded by syncLock
    private File syncMappingFile; // guarded by syncLock
    /** The file whose header (Chronicle's write position) a range sync left to writeback, forced at close; or null. */
    private File headerLeftToWriteback; // guarded by syncLock
    private int scannedLastCycle = Integer.MIN_VALUE;
    private long scannedLastCycleBytes;

    private ChronicleLogStorage(Path dir, long maxCycleBytes, long preZeroAheadBytes, boolean directZeros) {
        this.dir = dir;
        this.maxCycleBytes = maxCycleBytes;
        boolean ok = false;
        FileChannel lc = null;
        FileLock lock = null;
        SingleChronicleQueue q = null;
        try {
            Files.createDirectories(dir);
            lc = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = lc.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by this JVM
            }
            if (lock == null) {
                throw new IllegalStateException("Raft log " + dir + " is already open (by this or another process)");
            }
            q = SingleChronicleQueueBuilder.binary(dir)
                .rollCycle(ROLL_CYCLE)
                .timeProvider(clock)
                .syncMode(SyncMode.SYNC)
                .timeoutMS(CHRONICLE_TIMEOUT_MILLIS)
                .storeFileListener(new StoreFileListener() {
                    @Override
                    public void onAcquired(int cycle, File file) {
                        cycleFiles.put(cycle, file);
                    }

                    @Override
                    public void onReleased(int cycle, File file) {
                        // kept: we delete files ourselves
                    }
                })
                .build();
            int lastCycle = q.lastCycle();
            clock.cycle(Math.max(lastCycle, 0));
            this.lockChannel = lc;
            this.dirLock = lock;
            this.queue = q;
            this.indexSpacing = q.indexSpacing();
            this.appender = q.createAppender();
            this.tailer = q.createTailer();
            // Callers serialise access (this object's monitor), but may hand the log between threads.
            this.appender.singleThreadedCheckDisabled(true);
            this.tailer.singleThreadedCheckDisabled(true);
            this.preZeroer = preZeroAheadBytes == 0 ? null
                : new CyclePreZeroer(this, preZeroAheadBytes, "cohort-log-zeros-" + dir.getFileName(), e -> failure = e, directZeros);
            fsyncDirectory();
            ok = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open Raft log in " + dir, e);
        } finally {
            if (!ok) {
                closeQuietly(q, lock, lc);
            }
        }
    }

    /** Opens (or creates) the log in {@code dir} with the default cycle size, rebuilding the index by a scan. */
    public static ChronicleLogStorage open(Path dir) {
        return open(dir, DEFAULT_MAX_CYCLE_BYTES);
    }

    /**
     * Opens (or creates) the log in {@code dir}; cycles roll after {@code maxCycleBytes}. Scans the whole
     * queue, cuts a torn tail (WARN) and throws {@link LogCorruptedException} for damage elsewhere.
     */
    public static ChronicleLogStorage open(Path dir, long maxCycleBytes) {
        return open(dir, maxCycleBytes, DEFAULT_PRE_ZERO_AHEAD_BYTES);
    }

    /**
     * Opens (or creates) the log in {@code dir}; cycles roll after {@code maxCycleBytes}; zeros are kept
     * written up to {@code preZeroAheadBytes} ahead of the last record (0 = off, e.g. on a copy-on-write
     * file system where writing blocks in advance gains nothing).
     */
    public static ChronicleLogStorage open(Path dir, long maxCycleBytes, long preZeroAheadBytes) {
        return open(dir, maxCycleBytes, preZeroAheadBytes, true);
    }

    /** As above; {@code directZeros} false writes the zeros buffered and fdatasyncs them even where direct writes work (tests). */
    static ChronicleLogStorage open(Path dir, long maxCycleBytes, long preZeroAheadBytes, boolean directZeros) {
        Objects.requireNonNull(dir, "dir");
        if (maxCycleBytes < 4096) {
            throw new IllegalArgumentException("maxCycleBytes must be >= 4096, was " + maxCycleBytes);
        }
        if (preZeroAheadBytes < 0 || preZeroAheadBytes > MAX_PRE_ZERO_AHEAD_BYTES) {
            throw new IllegalArgumentException("preZeroAheadBytes must be in [0, " + MAX_PRE_ZERO_AHEAD_BYTES
                + "], was " + preZeroAheadBytes);
        }
        ChronicleLogStorage log = new ChronicleLogStorage(dir, maxCycleBytes, preZeroAheadBytes, directZeros);
        try {
            synchronized (log) { // as every later write: the zeroing thread relies on it
                log.recover();
            }
            if (log.preZeroer != null) {
                log.preZeroer.start();
            }
            return log;
        } catch (RuntimeException | Error e) {
            log.closeAfterFailedOpen();
            throw e;
        }
    }

    // ---------------------------------------------------------------- open scan

    private void recover() {
        long startNanos = System.nanoTime();
        long records = 0;
        long firstEntryIndex = -1;
        // A gap after an older snapshot record: fine if a later snapshot record covers it (its cycle
        // was compacted away by that later snapshot), corruption otherwise. Position of the first such gap.
        long gapBeforeIndex = 0;
        File gapFile = null;
        long gapPosition = -1;
        long recordsAtSnapshot = -10;
        long lastGoodQueueIndex = -1;
        int lastReadCycle = Integer.MIN_VALUE;
        long lastDocEndPosition = -1;
        File lastDocFile = null;
        BadRecord pendingBad = null;
        tailer.toStart();
        while (true) {
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    break;
                }
                long queueIndex = dc.index();
                Bytes<?> bytes = dc.wire().bytes();
                long position = bytes.readPosition();
                int length = (int) Math.min(bytes.readRemaining(), LogRecord.MAX_PAYLOAD_BYTES + LogRecord.OVERHEAD_BYTES + 1L);
                int cycle = tailer.cycle();
                if (cycle != lastReadCycle) {
                    lastDocFile = tailer.currentFile();
                    if (lastDocFile != null) {
                        cycleFiles.putIfAbsent(cycle, lastDocFile);
                    }
                    scannedLastCycleBytes = 0;
                    lastReadCycle = cycle;
                }
                File file = lastDocFile;
                scannedLastCycleBytes += bytes.readRemaining() + 4;
                lastDocEndPosition = position + bytes.readRemaining();
                readBuffer.checkLimit(length);
                bytes.read(readBuffer.byteArray(), 0, length);
                record.wrap(readBuffer, 0, length);
                String problem = record.validate(crc);
                if (problem != null) {
                    if (pendingBad == null) {
                        pendingBad = new BadRecord(file, position, queueIndex, problem);
                    }
                    continue;
                }
                records++;
                if (pendingBad != null) {
                    if (record.recordType() == LogRecord.TYPE_CUT && record.raftIndex() <= pendingBad.queueIndex) {
                        LOG.info("Raft log {}: records from queue index {} ({} at byte {}) were cut after an earlier crash",
                            dir, Long.toHexString(pendingBad.queueIndex), pendingBad.file, pendingBad.position);
                        pendingBad = null;
                    } else {
                        throw pendingBad.corrupted("followed by a valid " + LogRecord.typeName(record.recordType())
                            + " record at queue index " + Long.toHexString(queueIndex));
                    }
                }
                lastGoodQueueIndex = queueIndex;
                switch (record.recordType()) {
                    case LogRecord.TYPE_ENTRY: {
                        long index = record.raftIndex();
                        long term = record.term();
                        if (firstEntryIndex < 0 && lastIndex == 0 && snapshot.index() == 0) {
                            // The first retained cycle may start anywhere: older cycles were compacted away.
                            firstEntryIndex = index;
                            indexBase = index;
                            lastIndex = index - 1;
                        } else if (index > lastIndex + 1 && snapshot.index() > 0 && lastIndex == snapshot.index()
                            && recordsAtSnapshot == 1 && records <= 3) {
                            // The retained log opens with an older snapshot record (and its hard state; a
                            // compaction rolls, then writes both) whose following entries were in a cycle
                            // that a later snapshot deleted: checked against that later snapshot below.
                            if (gapBeforeIndex == 0) {
                                gapFile = file;
                                gapPosition = position;
                            }
                            gapBeforeIndex = index - 1;
                            indexBase = index;
                            lastIndex = index - 1;
                        } else if (index < indexBase && snapshot.index() == 0 && firstEntryIndex > 1) {
                            // Compacted-away start, and this record supersedes all we have seen so far
                            // (the snapshot record that explains it comes later in the queue).
                            firstEntryIndex = Math.min(firstEntryIndex, index);
                            indexBase = index;
                            lastIndex = index - 1;
                        }
                        if (index <= snapshot.index() || index > lastIndex + 1 || index < indexBase) {
                            throw new LogCorruptedException(file == null ? dir : file.toPath(), position,
                                "entry " + index + " does not follow the log (last index " + lastIndex
                                    + ", snapshot " + snapshot.index() + ")");
                        }
                        checkEntryType(record.entryTypeCode(), file, position);
                        putIndex(index, queueIndex, term);
                        break;
                    }
                    case LogRecord.TYPE_HARD_STATE:
                        hardState = decodeHardState(record);
                        break;
                    case LogRecord.TYPE_SNAPSHOT:
                        applySnapshot(decodeSnapshot(record, file, position), record.entryTypeCode() == SNAPSHOT_KEEPS_LOG);
                        recordsAtSnapshot = records;
                        if (gapBeforeIndex > 0 && snapshot.index() >= gapBeforeIndex) {
                            gapBeforeIndex = 0; // explained: the missing entries are in this snapshot
                        }
                        break;
                    case LogRecord.TYPE_CUT:
                    default:
                        break;
                }
            }
        }
        int lastCycle = queue.lastCycle();
        File endFile = lastDocFile;
        long endPosition = lastDocEndPosition;
        if (lastCycle > lastReadCycle && lastCycle >= 0) {
            // Later cycles hold no readable document: fine if they hold none at all (a crash right
            // after a roll), corruption if Chronicle could not move on to documents they hold.
            for (Long cycleNumber : queue.listCyclesBetween(Math.max(lastReadCycle + 1, queue.firstCycle()), lastCycle)) {
                int c = cycleNumber.intValue();
                long excerpts = tailer.excerptsInCycle(c);
                if (excerpts > 0) {
                    throw new LogCorruptedException(cycleFile(c), -1, "the scan stopped in cycle " + lastReadCycle
                        + " but cycle " + c + " holds " + excerpts + " documents (an unreadable cycle end)");
                }
            }
            endFile = cycleFile(lastCycle).toFile();
            endPosition = 0;
        }
        if (snapshot.index() > 0 && lastIndex > snapshot.index() && indexBase > snapshot.index() + 1) {
            throw new LogCorruptedException(dir, -1, "entries " + (snapshot.index() + 1) + ".." + (indexBase - 1)
                + " are missing (a cycle file was lost)");
        }
        if (gapBeforeIndex > 0) {
            throw new LogCorruptedException(gapFile == null ? dir : gapFile.toPath(), gapPosition, "entry "
                + (gapBeforeIndex + 1) + " does not follow the log (entries up to " + gapBeforeIndex
                + " are missing and no later snapshot covers them)");
        }
        if (snapshot.index() == 0 && firstEntryIndex > 1) {
            throw new LogCorruptedException(dir, -1, "the log starts at entry " + firstEntryIndex
                + " without a snapshot (a cycle file was lost)");
        }
        scannedLastCycle = lastReadCycle;
        boolean torn = false;
        if (pendingBad != null) {
            LOG.warn("Raft log {}: torn tail cut: the last record(s) from {} byte {} (queue index {}) are invalid: {}",
                dir, pendingBad.file, pendingBad.position, Long.toHexString(pendingBad.queueIndex), pendingBad.problem);
            torn = true;
        }
        if (endFile != null && endFile.exists()) {
            long incompleteAt = findIncompleteHeader(endFile.toPath(), endPosition);
            if (incompleteAt >= 0) {
                LOG.warn("Raft log {}: torn tail cut: an incomplete document at {} byte {}", dir, endFile, incompleteAt);
                torn = true;
            }
        }
        if (lastIndex < snapshot.index()) {
            lastIndex = snapshot.index();
        }
        if (torn) {
            tornTailsCut++;
            cutTail(lastGoodQueueIndex + 1);
        }
        deleteCompactedCycles();
        long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;
        LOG.info("Raft log {} opened in {} ms: {} records, entries {}..{}, {}, snapshot at {}",
            dir, elapsedMillis, records, firstIndex(), lastIndex, hardState, snapshot.index());
    }

    /** The file of {@code cycle}, named as Chronicle names it for {@link RollCycles#FAST_DAILY}. */
    private Path cycleFile(int cycle) {
        File known = cycleFiles.get(cycle);
        if (known != null) {
            return known.toPath();
        }
        String name = CYCLE_NAME.format(java.time.Instant.ofEpochMilli((long) cycle * ROLL_CYCLE.lengthInMillis()));
        return dir.resolve(name + SingleChronicleQueue.SUFFIX);
    }

    private void checkEntryType(byte code, File file, long position) {
        try {
            EntryType.fromCode(code);
        } catch (IllegalArgumentException e) {
            throw new LogCorruptedException(file == null ? dir : file.toPath(), position, e.getMessage());
        }
    }

    /**
     * Walks Chronicle document headers from {@code position} in {@code file}; returns the position of
     * a header left incomplete by a crash, or -1 if the data ends cleanly (zero header or EOF marker).
     */
    private static long findIncompleteHeader(Path file, long position) {
        final int notComplete = 0x8000_0000;
        final int endOfData = 0xC000_0000;
        final int lengthMask = -1 >>> 2;
        ByteBuffer header = ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long pos = position;
            for (int steps = 0; steps < 1_000_000; steps++) {
                pos = (pos + 3) & ~3L;
                if (pos + 4 > size) {
                    return -1;
                }
                header.clear();
                if (ch.read(header, pos) < 4) {
                    return -1;
                }
                int h = header.getInt(0);
                if (h == 0 || h == endOfData) {
                    return -1;
                }
                if ((h & notComplete) != 0) {
                    return pos;
                }
                pos += 4 + (h & lengthMask);
            }
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private void cutTail(long cutFromQueueIndex) {
        clock.roll();
        long index = Math.max(cutFromQueueIndex, 0);
        LogRecord.encodeHeader(header, 0, LogRecord.TYPE_CUT, (byte) 0, 0, index, 0);
        writeRecord(smallPayload, 0);
        sync();
    }

    private final class BadRecord {
        final File file;
        final long position;
        final long queueIndex;
        final String problem;

        BadRecord(File file, long position, long queueIndex, String problem) {
            this.file = file;
            this.position = position;
            this.queueIndex = queueIndex;
            this.problem = problem;
        }

        LogCorruptedException corrupted(String detail) {
            return new LogCorruptedException(file == null ? dir : file.toPath(), position,
                "invalid record at queue index " + Long.toHexString(queueIndex) + " (" + problem + ") " + detail);
        }
    }

    // ---------------------------------------------------------------- LogStorage

    @Override
    public synchronized HardState hardState() {
        checkOpen();
        return hardState;
    }

    @Override
    public synchronized SnapshotMeta snapshot() {
        checkOpen();
        return snapshot;
    }

    @Override
    public synchronized long firstIndex() {
        checkOpen();
        return snapshot.index() + 1;
    }

    @Override
    public synchronized long lastIndex() {
        checkOpen();
        return lastIndex;
    }

    @Override
    public synchronized long term(long index) {
        checkOpen();
        if (index == snapshot.index()) {
            return snapshot.term();
        }
        if (index < snapshot.index()) {
            throw new LogCompactedException(index, snapshot.index() + 1);
        }
        if (index > lastIndex) {
            throw new IndexOutOfBoundsException("index " + index + " is after the last index " + lastIndex);
        }
        return terms[slot(index)];
    }

    @Override
    public synchronized List<Entry> entries(long fromIndex, long toIndexExclusive, long maxBytes) {
        checkOpen();
        long first = snapshot.index() + 1;
        if (fromIndex < first) {
            throw new LogCompactedException(fromIndex, first);
        }
        if (toIndexExclusive > lastIndex + 1) {
            throw new IndexOutOfBoundsException("toIndexExclusive " + toIndexExclusive + " is after lastIndex + 1 = " + (lastIndex + 1));
        }
        if (fromIndex >= toIndexExclusive) {
            return Collections.emptyList();
        }
        int expected = (int) Math.min(toIndexExclusive - fromIndex, 1024);
        List<Entry> result = new ArrayList<>(expected);
        long next = fromIndex;
        long totalBytes = 0;
        if (!tailer.moveToIndex(queueIndexes[slot(next)])) {
            throw new LogCorruptedException(dir, -1, "queue index " + Long.toHexString(queueIndexes[slot(next)])
                + " of entry " + next + " is not readable");
        }
        int skipped = 0;
        while (next < toIndexExclusive) {
            if (skipped >= MAX_SEQUENTIAL_SKIPS) {
                // a long superseded stretch lies between two live entries: jump over it
                if (!tailer.moveToIndex(queueIndexes[slot(next)])) {
                    throw new LogCorruptedException(dir, -1, "queue index " + Long.toHexString(queueIndexes[slot(next)])
                        + " of entry " + next + " is not readable");
                }
                skipped = 0;
            }
            try (DocumentContext dc = tailer.readingDocument()) {
                if (!dc.isPresent()) {
                    throw new LogCorruptedException(dir, -1, "entry " + next + " expected at queue index "
                        + Long.toHexString(queueIndexes[slot(next)]) + " is missing");
                }
                long queueIndex = dc.index();
                if (queueIndex != queueIndexes[slot(next)]) {
                    skipped++;
                    continue; // a superseded entry, a hard state or another non-entry record
                }
                skipped = 0;
                Bytes<?> bytes = dc.wire().bytes();
                long position = bytes.readPosition();
                int length = (int) Math.min(bytes.readRemaining(), LogRecord.MAX_PAYLOAD_BYTES + LogRecord.OVERHEAD_BYTES + 1L);
                readBuffer.checkLimit(length);
                bytes.read(readBuffer.byteArray(), 0, length);
                record.wrap(readBuffer, 0, length);
                String problem = record.validate(crc);
                if (problem != null) {
                    File file = tailer.currentFile();
                    throw new LogCorruptedException(file == null ? dir : file.toPath(), position,
                        "entry " + next + ": " + problem);
                }
                if (record.recordType() != LogRecord.TYPE_ENTRY || record.raftIndex() != next) {
                    throw new LogCorruptedException(dir, position, "queue index " + Long.toHexString(queueIndex)
                        + " holds " + LogRecord.typeName(record.recordType()) + " " + record.raftIndex() + ", expected entry " + next);
                }
                int size = record.payloadLengthBytes();
                if (!result.isEmpty() && totalBytes + size > maxBytes) {
                    break;
                }
                totalBytes += size;
                result.add(new Entry(next, record.term(), EntryType.fromCode(record.entryTypeCode()), record.payloadCopy()));
                next++;
            }
        }
        return result;
    }

    @Override
    public synchronized void append(List<Entry> entries) {
        checkOpen();
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        if (first > lastIndex + 1) {
            throw new IllegalArgumentException("append at " + first + " leaves a gap after the last index " + lastIndex);
        }
        if (first <= snapshot.index()) {
            throw new IllegalArgumentException("append at " + first + " is at or before the snapshot index " + snapshot.index());
        }
        for (int i = 1; i < entries.size(); i++) {
            if (entries.get(i).index() != first + i) {
                throw new IllegalArgumentException("entries are not consecutive: " + entries.get(i - 1) + " then " + entries.get(i));
            }
        }
        if (first <= lastIndex) {
            lastIndex = first - 1; // the records written below supersede the conflicting suffix
        }
        for (int i = 0, n = entries.size(); i < n; i++) {
            Entry e = entries.get(i);
            byte[] data = e.data();
            if (data.length > LogRecord.MAX_PAYLOAD_BYTES) {
                throw new IllegalArgumentException("entry " + e.index() + " has " + data.length
                    + " bytes, more than the maximum " + LogRecord.MAX_PAYLOAD_BYTES);
            }
            LogRecord.encodeHeader(header, 0, LogRecord.TYPE_ENTRY, e.type().code(), data.length, e.index(), e.term());
            long queueIndex = writeRecord(data, data.length);
            putIndex(e.index(), queueIndex, e.term());
        }
    }

    @Override
    public synchronized void setHardState(HardState state) {
        checkOpen();
        Objects.requireNonNull(state, "state");
        if (state.equals(hardState)) {
            return;
        }
        writeHardState(state);
        hardState = state;
    }

    private void writeHardState(HardState state) {
        smallPayloadBuffer.putLong(0, state.votedFor(), LogRecord.ORDER);
        smallPayloadBuffer.putLong(8, state.commitIndex(), LogRecord.ORDER);
        LogRecord.encodeHeader(header, 0, LogRecord.TYPE_HARD_STATE, (byte) 0, HARD_STATE_PAYLOAD_BYTES, 0, state.term());
        writeRecord(smallPayload, HARD_STATE_PAYLOAD_BYTES);
    }

    private static HardState decodeHardState(LogRecord r) {
        return new HardState(r.term(), r.payloadLong(0), r.payloadLong(8));
    }

    /**
     * Forces every cycle file written since the previous sync (and, after a new cycle file appeared,
     * {@code metadata.cq4t} and the directory). The fsync itself runs outside this object's monitor,
     * so readers on other threads are not blocked by the disk. If an fsync fails the log is failed:
     * every later call throws, since the kernel may have dropped the dirty pages.
     */
    @Override
    public void sync() {
        File[] files;
        boolean newFile;
        long rangeFrom;
        long rangeTo;
        synchronized (this) {
            checkOpen();
            if (!dirty) {
                return;
            }
            File current = appender.currentFile();
            files = new File[unsyncedFiles.size() + (current == null ? 0 : 1)];
            for (int i = 0; i < unsyncedFiles.size(); i++) {
                files[i] = unsyncedFiles.get(i);
            }
            if (current != null) {
                files[files.length - 1] = current;
            }
            unsyncedFiles.clear();
            newFile = newFileSinceSync;
            newFileSinceSync = false;
            dirty = false;
            // Only records appended to the one active cycle, no index entry: sync just their pages.
            rangeFrom = files.length == 1 && !newFile && !indexWrittenSinceSync ? syncedToPosition : -1;
            rangeTo = unsyncedToPosition;
            syncedToPosition = unsyncedToPosition; // if the sync fails, the log is failed
            indexWrittenSinceSync = false;
        }
        synchronized (syncLock) {
            try {
                if (rangeFrom >= 0 && syncRange(files[0], rangeFrom, rangeTo)) {
                    headerLeftToWriteback = files[0];
                } else {
                    for (File f : files) {
                        force(f);
                    }
                }
                if (newFile) {
                    Path meta = dir.resolve(METADATA_FILE);
                    if (Files.exists(meta)) {
                        try (FileChannel ch = FileChannel.open(meta, StandardOpenOption.WRITE)) {
                            ch.force(true);
                        }
                    }
                    fsyncDirectory();
                }
            } catch (IOException | RuntimeException e) {
                failure = e; // volatile: no monitor here (lock order is this -> syncLock)
                throw new IllegalStateException("fsync of the Raft log in " + dir + " failed; the log is unusable", e);
            }
        }
        synchronized (this) {
            if (cycleBytes >= maxCycleBytes && !closed) {
                clock.roll(); // only right after a sync: the previous cycle is complete and durable
            }
        }
    }

    /** Caller holds {@link #syncLock}. */
    private void force(File file) throws IOException {
        channelFor(file).force(false);
        cycleFileForces++;
        if (file.equals(headerLeftToWriteback)) {
            headerLeftToWriteback = null;
        }
    }

    /**
     * Syncs only the pages of {@code [fromPosition, toPosition)} of the active cycle file: msync of that range, which
     * writes the file's dirty pages in it, the file's size and allocation if they changed, and flushes the disk's
     * cache, as fdatasync does for the whole file. Left out: the file's first page, where Chronicle updates its write
     * position on every append. That saves a page write per sync (about 20 µs of a put's p50 at one write in flight,
     * three members on one disk). After a power loss that page may hold an older write position; Chronicle then
     * finds the end by reading on over the records that follow it ({@code ChronicleLogStorageTest} checks a reopen
     * after that). Returns false, having synced nothing, if the range is not mapped (the caller forces the file).
     * Caller holds {@link #syncLock}.
     */
    private boolean syncRange(File file, long fromPosition, long toPosition) throws IOException {
        if (toPosition > Integer.MAX_VALUE) {
            return false; // MappedByteBuffer's reach: such a cycle file is forced whole
        }
        if (!file.equals(syncMappingFile) || syncMapping.capacity() < toPosition) {
            if (headerLeftToWriteback != null && !file.equals(headerLeftToWriteback)) {
                force(headerLeftToWriteback); // not expected: a new cycle file is forced whole before its range syncs
            }
            unmapSyncMapping();
            FileChannel ch = channelFor(file);
            long size = ch.size(); // never beyond the file: a read-write map would grow it
            if (size < toPosition) {
                return false;
            }
            syncMapping = ch.map(FileChannel.MapMode.READ_WRITE, 0, Math.min(size, Integer.MAX_VALUE));
            syncMappingFile = file;
        }
        long from = fromPosition & ~(PAGE_BYTES - 1);
        syncMapping.force((int) from, (int) (toPosition - from));
        rangeSyncs++;
        lastSyncedRangeFrom = fromPosition;
        lastSyncedRangeTo = toPosition;
        return true;
    }

    /** The open channel of {@code file} (one at a time: the previous file's is closed). Caller holds syncLock. */
    private FileChannel channelFor(File file) throws IOException {
        if (!file.equals(channelFile)) {
            if (channel != null) {
                channel.close();
            }
            channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            channelFile = file;
        }
        return channel;
    }

    /** Unmaps the range-sync mapping now (not at some GC), so a deleted cycle file's space is freed. Holds syncLock. */
    private void unmapSyncMapping() {
        if (syncMapping != null) {
            IoUtil.unmap(syncMapping);
            syncMapping = null;
            syncMappingFile = null;
        }
    }

    /** For tests: syncs that synced only their records' pages ({@link #syncRange}). */
    long rangeSyncsForTest() {
        synchronized (syncLock) {
            return rangeSyncs;
        }
    }

    /** For tests: the positions the latest range sync covered, {@code [from, to)}. */
    long[] lastSyncedRangeForTest() {
        synchronized (syncLock) {
            return new long[] {lastSyncedRangeFrom, lastSyncedRangeTo};
        }
    }

    /** For tests: how many times a cycle file was forced to disk (group commit: one per batch). */
    long cycleFileForcesForTest() {
        synchronized (syncLock) {
            return cycleFileForces;
        }
    }

    @Override
    public synchronized void compact(SnapshotMeta meta) {
        checkOpen();
        Objects.requireNonNull(meta, "meta");
        if (meta.index() <= snapshot.index()) {
            return;
        }
        if (meta.membership().voters().size() + meta.membership().learners().size() > MAX_MEMBERS) {
            throw new IllegalArgumentException("too many members: " + meta.membership());
        }
        boolean keep = logMatches(meta);
        sync(); // everything before the snapshot record is durable first
        clock.roll(); // start a fresh cycle so the current one becomes deletable
        writeSnapshot(meta, keep);
        writeHardState(hardState);
        sync();
        applySnapshot(meta, keep);
        deleteCompactedCycles();
    }

    private void writeSnapshot(SnapshotMeta meta, boolean keep) {
        Membership m = meta.membership();
        int payloadLength = 8 + 8 * (m.voters().size() + m.learners().size());
        ExpandableArrayBuffer payload = new ExpandableArrayBuffer(payloadLength);
        int p = 0;
        payload.putInt(p, m.voters().size(), LogRecord.ORDER);
        p += 4;
        for (long id : new TreeSet<>(m.voters())) {
            payload.putLong(p, id, LogRecord.ORDER);
            p += 8;
        }
        payload.putInt(p, m.learners().size(), LogRecord.ORDER);
        p += 4;
        for (long id : new TreeSet<>(m.learners())) {
            payload.putLong(p, id, LogRecord.ORDER);
            p += 8;
        }
        LogRecord.encodeHeader(header, 0, LogRecord.TYPE_SNAPSHOT, keep ? SNAPSHOT_KEEPS_LOG : 0, payloadLength, meta.index(), meta.term());
        writeRecord(payload.byteArray(), payloadLength);
    }

    private SnapshotMeta decodeSnapshot(LogRecord r, File file, long position) {
        int length = r.payloadLengthBytes();
        int p = 0;
        int voters = r.payloadInt(p);
        p += 4;
        if (voters < 0 || voters > MAX_MEMBERS || p + 8L * voters + 4 > length) {
            throw new LogCorruptedException(file == null ? dir : file.toPath(), position, "bad snapshot membership");
        }
        Set<Long> v = new TreeSet<>();
        for (int i = 0; i < voters; i++, p += 8) {
            v.add(r.payloadLong(p));
        }
        int learners = r.payloadInt(p);
        p += 4;
        if (learners < 0 || learners > MAX_MEMBERS || p + 8L * learners != length) {
            throw new LogCorruptedException(file == null ? dir : file.toPath(), position, "bad snapshot membership");
        }
        Set<Long> l = new TreeSet<>();
        for (int i = 0; i < learners; i++, p += 8) {
            l.add(r.payloadLong(p));
        }
        return new SnapshotMeta(r.raftIndex(), r.term(), new Membership(v, l));
    }

    /** True if the log holds the snapshot's entry with the snapshot's term (then entries after it are kept). */
    private boolean logMatches(SnapshotMeta meta) {
        return meta.index() <= lastIndex && meta.index() >= indexBase && terms[slot(meta.index())] == meta.term();
    }

    /**
     * Applies a snapshot to the in-memory index: keeps the entries after it if {@code keep} (decided
     * by {@link #logMatches} when the snapshot was taken and stored in its record, because the
     * snapshot's own entry may be in a cycle file that is deleted later), else discards them all.
     */
    private void applySnapshot(SnapshotMeta meta, boolean keep) {
        snapshot = meta;
        if (!keep || lastIndex <= meta.index()) {
            lastIndex = meta.index();
            indexBase = meta.index() + 1;
            return;
        }
        long drop = Math.max(0, meta.index() + 1 - indexBase);
        long live = lastIndex - meta.index();
        if (drop > queueIndexes.length / 2 || (live < queueIndexes.length / 4 && queueIndexes.length > INITIAL_INDEX_CAPACITY)) {
            int capacity = (int) Math.max(INITIAL_INDEX_CAPACITY, Math.min(Integer.MAX_VALUE - 8, Long.highestOneBit(Math.max(live, 1)) * 2));
            long[] q = new long[capacity];
            long[] t = new long[capacity];
            System.arraycopy(queueIndexes, (int) drop, q, 0, (int) live);
            System.arraycopy(terms, (int) drop, t, 0, (int) live);
            queueIndexes = q;
            terms = t;
            indexBase = meta.index() + 1;
        }
    }

    /** Deletes whole cycle files that hold no live entry and are older than the active cycle. */
    private void deleteCompactedCycles() {
        if (snapshot.index() == 0) {
            return;
        }
        int keepFrom = clock.cycle();
        if (lastIndex > snapshot.index()) {
            keepFrom = Math.min(keepFrom, ROLL_CYCLE.toCycle(queueIndexes[slot(snapshot.index() + 1)]));
        }
        Integer writing = writtenCycle == Integer.MIN_VALUE ? null : writtenCycle;
        if (writing != null) {
            keepFrom = Math.min(keepFrom, writing);
        }
        int firstCycle = queue.firstCycle();
        boolean deleted = false;
        try {
            Set<Integer> cycles = new TreeSet<>(cycleFiles.headMap(keepFrom, false).keySet());
            if (firstCycle != Integer.MAX_VALUE && firstCycle < keepFrom) {
                for (Long c : queue.listCyclesBetween(firstCycle, keepFrom - 1)) {
                    cycles.add(c.intValue());
                }
            }
            for (int c : cycles) {
                if (c >= keepFrom) {
                    continue;
                }
                File f = cycleFiles.get(c);
                if (f == null) {
                    continue;
                }
                if (Files.deleteIfExists(f.toPath())) {
                    deleted = true;
                    LOG.info("Raft log {}: deleted cycle file {} (compacted up to {})", dir, f.getName(), snapshot.index());
                }
                cycleFiles.remove(c);
            }
            if (deleted) {
                fsyncDirectory();
                queue.refreshDirectoryListing();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete compacted cycle files in " + dir, e);
        }
    }

    @Override
    public void close() {
        if (preZeroer != null) {
            preZeroer.stop(); // outside the monitor: the thread needs it to finish a step
        }
        synchronized (this) {
            closeLocked();
        }
    }

    private void closeLocked() {
        if (closed) {
            return;
        }
        try {
            if (failure == null) {
                sync();
            }
        } finally {
            closed = true;
            synchronized (syncLock) {
                try {
                    if (headerLeftToWriteback != null && failure == null) {
                        force(headerLeftToWriteback); // the header page (write position) on disk as it is
                    }
                } catch (IOException e) {
                    LOG.warn("forcing {} at close (its records were synced; only Chronicle's write position may be "
                            + "older on disk)", headerLeftToWriteback, e);
                }
                unmapSyncMapping();
                try {
                    if (channel != null) {
                        channel.close();
                    }
                } catch (IOException e) {
                    LOG.warn("closing {}", channelFile, e);
                }
            }
            closeQuietly(queue, dirLock, lockChannel);
        }
    }

    private void closeAfterFailedOpen() {
        if (preZeroer != null) {
            preZeroer.stop(); // never started, but no thread may outlive the failed open
        }
        closed = true;
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing more to do
        }
        closeQuietly(queue, dirLock, lockChannel);
    }

    // ---------------------------------------------------------------- internals

    /** Writes the record whose header is in {@link #header} with {@code payload[0, length)}; returns its queue index. */
    private long writeRecord(byte[] payload, int length) {
        crc.reset();
        crc.update(headerBytes, 0, LogRecord.HEADER_LENGTH_BYTES);
        crc.update(payload, 0, length);
        crcBuffer.putInt(0, (int) crc.getValue(), LogRecord.ORDER);
        if (preZeroer != null) {
            preZeroer.beforeAppend(LogRecord.OVERHEAD_BYTES + length + 8L, clock.cycle() != writtenCycle);
        }
        long endPosition;
        try (DocumentContext dc = appender.writingDocument()) {
            try {
                Bytes<?> bytes = dc.wire().bytes();
                bytes.write(headerBytes, 0, LogRecord.HEADER_LENGTH_BYTES);
                bytes.write(payload, 0, length);
                bytes.write(crcBytes, 0, LogRecord.CRC_LENGTH_BYTES);
                endPosition = bytes.writePosition(); // a position in the cycle file
            } catch (RuntimeException | Error e) {
                dc.rollbackOnClose();
                throw e;
            }
        }
        dirty = true;
        int cycle = appender.cycle();
        if (cycle != writtenCycle) {
            if (writtenCycle != Integer.MIN_VALUE && channelFile != null) {
                // the previous cycle got its end-of-file marker: force it at the next sync too
                unsyncedFiles.add(channelFile);
            }
            writtenCycle = cycle;
            cycleBytes = cycle == scannedLastCycle ? scannedLastCycleBytes : 0;
            newFileSinceSync = true;
            syncedToPosition = -1;
            File f = appender.currentFile();
            if (f != null) {
                cycleFiles.put(cycle, f);
                if (preZeroer != null) {
                    preZeroer.cycleStarted(f, endPosition);
                }
            }
        } else if (preZeroer != null) {
            preZeroer.appended(endPosition);
        }
        cycleBytes += LogRecord.OVERHEAD_BYTES + length + 4;
        long queueIndex = appender.lastIndexAppended();
        unsyncedToPosition = endPosition;
        if (ROLL_CYCLE.toSequenceNumber(queueIndex) % indexSpacing == 0) {
            indexWrittenSinceSync = true; // Chronicle indexes this record in an index page written in place
        }
        return queueIndex;
    }

    /** Package-private test hook: the next record goes into a new cycle file. */
    synchronized void rollForTest() {
        clock.roll();
    }

    /** Package-private test hook: leaves a Chronicle document half written (as a crash mid-write would). */
    synchronized void beginTornWriteForTest(byte[] partial) {
        if (preZeroer != null) {
            preZeroer.beforeAppend(partial.length + 8L, clock.cycle() != writtenCycle);
        }
        DocumentContext dc = appender.writingDocument();
        dc.wire().bytes().write(partial);
        // never closed: the header stays "not complete"
    }

    private void putIndex(long index, long queueIndex, long term) {
        if (index < indexBase) {
            throw new IllegalStateException("index " + index + " below the index base " + indexBase);
        }
        long s = index - indexBase;
        if (s >= queueIndexes.length) {
            if (s >= Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("more than 2^31 entries held; compact the log");
            }
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(s + 1, (long) queueIndexes.length * 2));
            long[] q = new long[capacity];
            long[] t = new long[capacity];
            int live = (int) Math.max(0, lastIndex - indexBase + 1);
            System.arraycopy(queueIndexes, 0, q, 0, live);
            System.arraycopy(terms, 0, t, 0, live);
            queueIndexes = q;
            terms = t;
        }
        queueIndexes[(int) s] = queueIndex;
        terms[(int) s] = term;
        lastIndex = index;
    }

    private int slot(long index) {
        return (int) (index - indexBase);
    }

    private void fsyncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("Raft log " + dir + " is closed");
        }
        if (failure != null) {
            throw new IllegalStateException("Raft log " + dir + " failed to sync earlier; reopen it", failure);
        }
    }

    private static void closeQuietly(SingleChronicleQueue q, FileLock lock, FileChannel lc) {
        if (q != null) {
            try {
                q.close();
            } catch (RuntimeException e) {
                LOG.warn("closing Chronicle queue", e);
            }
        }
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.warn("releasing the log directory lock", e);
        }
        try {
            if (lc != null) {
                lc.close();
            }
        } catch (IOException e) {
            LOG.warn("closing the log directory lock", e);
        }
    }

    /** For tests: the thread that writes zeros ahead of the appender, or null when that is off. */
    CyclePreZeroer preZeroerForTest() {
        return preZeroer;
    }

    /** For tests and tools: the cycle files currently known, by cycle. */
    Map<Integer, File> cycleFilesForTest() {
        return Collections.unmodifiableMap(new java.util.TreeMap<>(cycleFiles));
    }

    /** How many torn tails were cut when this log was opened (0 or 1); for tests and metrics. */
    public synchronized int tornTailsCutAtOpen() {
        return tornTailsCut;
    }

    /** The log directory. */
    public Path directory() {
        return dir;
    }
}
