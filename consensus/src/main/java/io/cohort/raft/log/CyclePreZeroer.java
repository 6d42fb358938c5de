package io.cohort.raft.log;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

import com.sun.nio.file.ExtendedOpenOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes real zeros (and fdatasyncs them) into the active cycle file ahead of the appender, on its own
 * thread, so that the log's per-batch fdatasync finds the blocks already allocated and written.
 *
 * <p>Why: Chronicle extends a cycle file with {@code setLength} and writes it through mmap, so the file is
 * sparse ahead of the writer. On ext4 (delayed allocation) every fdatasync of newly touched pages then
 * allocates blocks, grows the on-disk size and writes the inode and allocation metadata synchronously
 * (ext4 without a journal: {@code ext4_fsync_nojournal} → {@code ext4_write_inode}; with a journal: a
 * journal commit); the logs of several nodes contend on those metadata blocks. Over blocks that are
 * allocated and hold written data, fdatasync only writes the data pages. {@code fallocate} is not enough:
 * it leaves unwritten extents whose conversion on first write is again a metadata update.
 *
 * <p>Safety: the zeros change nothing a reader can see (the region read as zeros before, as a hole).
 * A region is claimed under {@code appendLock} (the log's monitor, held by every append and roll), only
 * in the file the appender currently writes, only at or beyond {@code MARGIN_BYTES} past the end of the
 * last document written (Chronicle writes nothing beyond the end of its last document except index
 * arrays of at most {@code INDEX_SLACK_BYTES} right after it), and never beyond the file's current
 * length (Chronicle alone decides how long its files are). The zeros are then written without the lock;
 * meanwhile {@link #beforeAppend} holds back any append that could reach the claimed region and any
 * roll to a new cycle (after which Chronicle may shrink the old file), until the claim is released. So
 * no byte Chronicle has written or writes concurrently is ever overwritten, and the log's readers and
 * writer wait for the disk only as before. The fdatasync of the zeros runs without the lock too. If a
 * zero write or its fdatasync fails, the log is failed (the same file's dirty pages may have been
 * dropped).
 *
 * <p>How the zeros are written: with {@code O_DIRECT | O_DSYNC} where the file system allows it (block size
 * at most a page), else buffered and fdatasynced. Why: a buffered chunk's pages sit under writeback during its
 * fdatasync, and the log's own per-batch fdatasync (which covers the whole file) waits for every page of the
 * file under writeback, so it waited for the zeros too (in a JFR recording at 1024 proposals in flight the
 * batch syncs that overlapped a zeroing fdatasync took twice as long, p50 3.1 against 1.3 ms); that fdatasync
 * also wrote back the appender's dirty pages. A direct write leaves no page of the file under writeback and
 * syncs only its own range (data, allocation, inode). The chunk is then read back through the page cache, so
 * that the appender's first touch of those pages finds them cached (a direct write leaves none; the
 * appender would otherwise wait for a disk read on a page fault).
 *
 * <p>Bounded: at most {@code aheadBytes} beyond the margin, written in pieces of {@code CHUNK_BYTES}; the
 * thread waits (on {@code appendLock}) when it is that far ahead.
 */
final class CyclePreZeroer {
    private static final Logger LOG = LoggerFactory.getLogger(CyclePreZeroer.class);

    /** Distance kept from the end of the last document; covers Chronicle's index arrays (2 × 32 KiB for FAST_DAILY). */
    static final long MARGIN_BYTES = 1L << 20;
    /** What Chronicle may write beyond the end of a document when it closes it (index arrays, 2 × 32 KiB, and headers). */
    static final long INDEX_SLACK_BYTES = 128 << 10;
    /** Zeros written (and synced) per step. */
    static final int CHUNK_BYTES = 1 << 20;
    private static final long PAGE_BYTES = 4096;
    private static final long IDLE_WAIT_MILLIS = 100;
    private static final long STOP_WAIT_MILLIS = 10_000;

    private final Object appendLock;
    private final long aheadBytes;
    private final Consumer<Throwable> onFailure;
    private final Thread thread;
    /** Page-aligned, as a direct write needs. */
    private final ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK_BYTES + (int) PAGE_BYTES).alignedSlice((int) PAGE_BYTES);
    /** Where a directly written chunk is read back into (never {@link #zeros}: the appender may write there by then). */
    private final ByteBuffer readBack = ByteBuffer.allocateDirect(CHUNK_BYTES);
    private final boolean tryDirect;

    // Guarded by appendLock.
    private File activeFile;
    private long appendedEnd;
    private long zeroedUpTo;
    private boolean waiting;
    /** When the file ended before the target: sleep until the appender reaches this position (Chronicle grows the file). */
    private long resumeAtAppendedEnd;
    private boolean stopped;
    private long zeroedBytes;
    private long forces;
    /** Start of the region being zeroed without the lock, or -1. */
    private long claimStart = -1;

    private long directChunks;

    // Only the zeroing thread.
    private FileChannel channel;
    /** {@code O_DIRECT | O_DSYNC} on {@link #channelFile}, or null where the file system does not allow it. */
    private FileChannel directChannel;
    private File channelFile;

    /**
     * @param appendLock the monitor every append and roll of the log holds
     * @param aheadBytes how far beyond the margin to keep zeros written (> 0)
     * @param onFailure called (without {@code appendLock}) if writing or syncing zeros fails
     */
    CyclePreZeroer(Object appendLock, long aheadBytes, String name, Consumer<Throwable> onFailure) {
        this(appendLock, aheadBytes, name, onFailure, true);
    }

    /** As above; {@code tryDirect} false always writes buffered and fdatasyncs (the fallback, for tests). */
    CyclePreZeroer(Object appendLock, long aheadBytes, String name, Consumer<Throwable> onFailure, boolean tryDirect) {
        this.tryDirect = tryDirect;
        if (aheadBytes <= 0) {
            throw new IllegalArgumentException("aheadBytes must be > 0, was " + aheadBytes);
        }
        this.appendLock = appendLock;
        this.aheadBytes = aheadBytes;
        this.onFailure = onFailure;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The appender started writing {@code file}; the caller holds {@code appendLock}. */
    void cycleStarted(File file, long endPosition) {
        assert Thread.holdsLock(appendLock);
        activeFile = file;
        appendedEnd = endPosition;
        zeroedUpTo = 0;
        resumeAtAppendedEnd = 0;
        wakeIfBehind();
    }

    /**
     * Called (holding {@code appendLock}) before the appender writes a document of at most
     * {@code maxDocumentBytes}; {@code newCycle} if it goes into a new cycle. Waits while that could touch
     * the region being zeroed (or while a roll would release the file being zeroed): one chunk at most.
     */
    void beforeAppend(long maxDocumentBytes, boolean newCycle) {
        assert Thread.holdsLock(appendLock);
        boolean interrupted = false;
        while (claimStart >= 0 && (newCycle || appendedEnd + maxDocumentBytes + INDEX_SLACK_BYTES > claimStart)) {
            try {
                appendLock.wait(IDLE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                interrupted = true; // the zeros take one chunk write: finish waiting, keep the interrupt
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last document written into the active file ends at {@code endPosition}; the caller holds {@code appendLock}. */
    void appended(long endPosition) {
        assert Thread.holdsLock(appendLock);
        assert endPosition >= appendedEnd : "the end of the log went back from " + appendedEnd + " to " + endPosition;
        appendedEnd = endPosition;
        assert claimStart < 0 || appendedEnd + INDEX_SLACK_BYTES <= claimStart
            : "the log reached the region being zeroed: end " + appendedEnd + ", zeroing from " + claimStart;
        wakeIfBehind();
    }

    private void wakeIfBehind() {
        if (waiting && hasWork()) {
            waiting = false;
            appendLock.notifyAll();
        }
    }

    private boolean hasWork() {
        return activeFile != null && appendedEnd >= resumeAtAppendedEnd && targetEnd() - zeroedUpTo >= CHUNK_BYTES;
    }

    private long targetEnd() {
        return appendedEnd + MARGIN_BYTES + aheadBytes;
    }

    /** Stops the thread and waits (bounded) for it to end; call without holding {@code appendLock}. */
    void stop() {
        synchronized (appendLock) {
            stopped = true;
            appendLock.notifyAll();
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(STOP_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                LOG.warn("{} did not stop within {} ms (a slow fdatasync?)", thread.getName(), STOP_WAIT_MILLIS);
            }
        }
    }

    /** For tests: bytes of zeros written so far. */
    long zeroedBytes() {
        synchronized (appendLock) {
            return zeroedBytes;
        }
    }

    /** For tests: where the zeros written into the active file end. */
    long zeroedUpTo() {
        synchronized (appendLock) {
            return zeroedUpTo;
        }
    }

    /** For tests: the end of the last document in the active file, as last reported. */
    long appendedEnd() {
        synchronized (appendLock) {
            return appendedEnd;
        }
    }

    /** For tests: zero chunks written directly ({@code O_DIRECT | O_DSYNC}); the rest were fdatasynced. */
    long directChunks() {
        synchronized (appendLock) {
            return directChunks;
        }
    }

    /** For tests: zero chunks written buffered and fdatasynced. */
    long bufferedChunks() {
        synchronized (appendLock) {
            return forces - directChunks;
        }
    }

    /** For tests: zero chunks made durable. */
    long forces() {
        synchronized (appendLock) {
            return forces;
        }
    }

    private void run() {
        try {
            while (true) {
                File file;
                synchronized (appendLock) {
                    while (!stopped && !hasWork()) {
                        if (channelFile != null && !channelFile.equals(activeFile)) {
                            closeChannel(); // a rolled (maybe compacted away) file: do not keep it open
                        }
                        waiting = true;
                        appendLock.wait(IDLE_WAIT_MILLIS);
                    }
                    if (stopped) {
                        return;
                    }
                    file = activeFile;
                }
                FileChannel ch = channelFor(file); // opening a file needs no lock
                if (ch == null) {
                    continue; // rolled and compacted away meanwhile: never recreate it
                }
                long start;
                long end;
                boolean claimed = false;
                synchronized (appendLock) {
                    if (stopped || !file.equals(activeFile)) {
                        continue;
                    }
                    start = Math.max(zeroedUpTo, (appendedEnd + MARGIN_BYTES + PAGE_BYTES - 1) & -PAGE_BYTES);
                    end = Math.min(start + CHUNK_BYTES, Math.min(ch.size(), targetEnd())) & -PAGE_BYTES;
                    if (end - start >= PAGE_BYTES) {
                        assert start >= appendedEnd + MARGIN_BYTES;
                        claimStart = start;
                        claimed = true;
                    }
                }
                if (claimed) {
                    FileChannel direct = directChannel;
                    if (direct != null) {
                        writeZeros(direct, start, end); // durable on return (O_DSYNC): data, allocation, inode
                        readBack(ch, start, end);
                    } else {
                        writeZeros(ch, start, end);
                        ch.force(false); // allocation and zeros reach the disk now, not in the appender's sync
                    }
                    synchronized (appendLock) {
                        forces++;
                        if (direct != null) {
                            directChunks++;
                        }
                    }
                } else {
                    synchronized (appendLock) {
                        if (file.equals(activeFile)) {
                            // at the end of the file Chronicle has sized so far: look again once the
                            // appender has moved on (Chronicle grows the file as it maps its next chunk)
                            resumeAtAppendedEnd = appendedEnd + CHUNK_BYTES;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.error("{}: writing zeros ahead of the log failed; the log is failed", thread.getName(), e);
            onFailure.accept(e);
        } finally {
            closeChannel();
        }
    }

    /** Writes zeros into the claimed region {@code [start, end)} without the lock, then releases the claim. */
    private void writeZeros(FileChannel ch, long start, long end) throws IOException {
        boolean done = false;
        try {
            zeros.clear().limit((int) (end - start));
            long position = start;
            while (zeros.hasRemaining()) {
                position += ch.write(zeros, position);
            }
            done = true;
        } finally {
            synchronized (appendLock) {
                claimStart = -1;
                if (done) {
                    zeroedUpTo = end;
                    zeroedBytes += end - start;
                }
                appendLock.notifyAll(); // appends held back by the claim
            }
        }
    }

    /** Reads {@code [start, end)} through the page cache (and drops the bytes): the appender will write there. */
    private void readBack(FileChannel ch, long start, long end) throws IOException {
        long position = start;
        while (position < end) {
            readBack.clear().limit((int) Math.min(readBack.capacity(), end - position));
            int n = ch.read(readBack, position);
            if (n <= 0) {
                return; // the file got shorter (rolled and shrunk meanwhile): nothing to warm
            }
            position += n;
        }
    }

    /** The channel of {@code file}, or null if it no longer exists (only a file that is no longer active can go). */
    private FileChannel channelFor(File file) throws IOException {
        if (!file.equals(channelFile)) {
            closeChannel();
            try {
                channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE); // never CREATE
                directChannel = tryDirect ? openDirect(file) : null;
            } catch (java.nio.file.NoSuchFileException e) {
                synchronized (appendLock) {
                    if (file.equals(activeFile)) {
                        throw e; // the active cycle file vanished: something else deleted it
                    }
                }
                return null;
            }
            channelFile = file;
        }
        return channel;
    }

    /** {@code file} opened for direct, synchronous writes, or null if its file system does not allow them. */
    private FileChannel openDirect(File file) throws IOException {
        try {
            long blockBytes = Files.getFileStore(file.toPath()).getBlockSize();
            if (blockBytes <= 0 || blockBytes > PAGE_BYTES || PAGE_BYTES % blockBytes != 0) {
                return null;
            }
            return FileChannel.open(file.toPath(), StandardOpenOption.WRITE, StandardOpenOption.DSYNC,
                ExtendedOpenOption.DIRECT); // never CREATE
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("{}: no direct writes on {} ({}); zeros are written buffered and fdatasynced", thread.getName(), file, e.toString());
            return null;
        }
    }

    private void closeChannel() {
        closeLogged(directChannel);
        directChannel = null;
        closeLogged(channel);
        channel = null;
        channelFile = null;
    }

    /** Closes {@code ch} (a channel on {@link #channelFile}) if open; a failure is logged (the zeros are synced). */
    private void closeLogged(FileChannel ch) {
        if (ch == null) {
            return;
        }
        try {
            ch.close();
        } catch (IOException e) {
            LOG.warn("closing {}", channelFile, e);
        }
    }
}
