package io.cohort.raft;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A snapshot in a file that is never rewritten (a newer snapshot goes to a new file). Each {@link #read} opens the
 * file, so nothing stays open; a file deleted because a newer snapshot replaced it fails the read, and a leader then
 * sends the newer one.
 */
public final class FileSnapshotData implements SnapshotData {
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotData.class);
    private static final int CHECKSUM_BUFFER_BYTES = 64 * 1024;

    private final Path file;
    private final long sizeBytes;
    private final int checksum;

    /** The snapshot in {@code file}, whose size and CRC-32C are known. */
    public FileSnapshotData(Path file, long sizeBytes, int checksum) {
        this.file = Objects.requireNonNull(file, "file");
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0: " + sizeBytes);
        }
        this.sizeBytes = sizeBytes;
        this.checksum = checksum;
    }

    /** The snapshot in {@code file}, reading it once (in bounded pieces) for its size and checksum. */
    public static FileSnapshotData of(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            return new FileSnapshotData(file, size, checksum(ch, size));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read snapshot file " + file, e);
        }
    }

    /** The CRC-32C of the first {@code sizeBytes} of {@code ch}, read in bounded pieces. */
    static int checksum(FileChannel ch, long sizeBytes) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(CHECKSUM_BUFFER_BYTES);
        long pos = 0;
        while (pos < sizeBytes) {
            buf.clear().limit((int) Math.min(buf.capacity(), sizeBytes - pos));
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new EOFException("file ends at " + pos + " of " + sizeBytes + " bytes");
            }
            buf.flip();
            crc.update(buf);
            pos += n;
        }
        return (int) crc.getValue();
    }

    /** The file holding the snapshot. */
    public Path path() {
        return file;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public int checksum() {
        return checksum;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
        SnapshotData.checkRange(sizeBytes, offset, dst, dstOffset, length);
        ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position() - dstOffset) < 0) {
                    throw new EOFException("snapshot file " + file + " ends before byte " + (offset + length)
                            + " of " + sizeBytes);
                }
            }
        } catch (IOException e) {
            // Expected now and then on a leader (a newer snapshot replaced this one); anything else is worth a look.
            LOG.warn("cannot read snapshot file {} at offset {} (replaced by a newer snapshot, or an I/O error): {}",
                    file, offset, e.toString());
            throw new UncheckedIOException("cannot read snapshot file " + file, e);
        }
    }

    @Override
    public String toString() {
        return file + " (" + sizeBytes + "B crc " + Integer.toHexString(checksum) + ")";
    }
}
