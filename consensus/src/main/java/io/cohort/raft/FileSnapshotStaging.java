package io.cohort.raft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stages a snapshot in a file as its chunks arrive, so the receiver holds one chunk in memory at a time.
 * {@link #finish()} syncs the file, reads it back and checks its size and CRC-32C before the snapshot may be
 * installed: a corrupt or truncated file is refused ({@link SnapshotCorruptedException}) and deleted.
 */
public final class FileSnapshotStaging implements SnapshotStaging {
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStaging.class);

    private final SnapshotMeta meta;
    private final Path file;
    private final long sizeBytes;
    private final int checksum;
    private FileChannel channel;
    private long written;

    private FileSnapshotStaging(SnapshotMeta meta, Path file, long sizeBytes, int checksum, FileChannel channel) {
        this.meta = meta;
        this.file = file;
        this.sizeBytes = sizeBytes;
        this.checksum = checksum;
        this.channel = channel;
    }

    /** Starts staging the snapshot at {@code meta} into {@code file}, which must not exist. */
    public static FileSnapshotStaging create(Path file, SnapshotMeta meta, long sizeBytes, int checksum) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes must be >= 0: " + sizeBytes);
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            return new FileSnapshotStaging(meta, file, sizeBytes, checksum, ch);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create snapshot staging file " + file, e);
        }
    }

    /** The staging file. */
    public Path path() {
        return file;
    }

    @Override
    public void write(long offset, byte[] chunk) {
        if (channel == null) {
            throw new IllegalStateException("staging of " + file + " is finished or aborted");
        }
        if (offset != written || chunk.length > sizeBytes - offset) {
            throw new IllegalStateException("chunk of " + chunk.length + " bytes at " + offset + " but " + written
                    + " of " + sizeBytes + " bytes written to " + file);
        }
        ByteBuffer buf = ByteBuffer.wrap(chunk);
        try {
            while (buf.hasRemaining()) {
                channel.write(buf, offset + buf.position());
            }
        } catch (IOException e) {
            abort();
            throw new UncheckedIOException("cannot write snapshot staging file " + file, e);
        }
        written += chunk.length;
    }

    @Override
    public SnapshotData finish() {
        if (channel == null) {
            throw new IllegalStateException("staging of " + file + " is finished or aborted");
        }
        try {
            channel.force(true);
            long size = channel.size();
            if (written != sizeBytes || size != sizeBytes) {
                throw refuse("truncated: " + written + " bytes received, " + size + " in the file, of " + sizeBytes);
            }
            int actual = FileSnapshotData.checksum(channel, size);
            if (actual != checksum) {
                throw refuse("CRC-32C of " + file + " is " + Integer.toHexString(actual) + ", expected "
                        + Integer.toHexString(checksum));
            }
            channel.close();
            channel = null;
            return new FileSnapshotData(file, sizeBytes, checksum);
        } catch (IOException e) {
            abort();
            throw new UncheckedIOException("cannot sync or read back snapshot staging file " + file, e);
        }
    }

    private SnapshotCorruptedException refuse(String why) {
        abort();
        return new SnapshotCorruptedException(meta, why);
    }

    @Override
    public void abort() {
        try {
            if (channel != null) {
                channel.close();
            }
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete snapshot staging file {}", file, e);
        } finally {
            channel = null;
        }
    }
}
