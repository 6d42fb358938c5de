package io.cohort.internal;

import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.Membership;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's latest Raft snapshot on disk: {@code snapshot-<index>-<term>.lmdb} (a keyspace snapshot file, never
 * rewritten: a leader may be reading it in chunks while a newer one is taken) and {@code snapshot.meta} (its Raft
 * index, term and membership, the keyspace applied index the file holds, and the file's size and CRC-32C, with a
 * CRC-32C of its own). Each file is written to a temporary name, synced and renamed, data first, so the meta file
 * always describes a complete data file; once the meta names a new data file, older ones are deleted.
 */
public final class SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final int MAGIC_V1 = 0x436f5331; // "CoS1": no size and checksum, data in snapshot.lmdb
    private static final int MAGIC = 0x436f5332; // "CoS2"
    private static final int MAX_MEMBERS = 1 << 16;
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final Path metaFile;

    /** The store in {@code dir} (created if missing); temporary files a previous run left behind are deleted. */
    public SnapshotStore(Path dir) {
        this.dir = dir;
        this.metaFile = dir.resolve("snapshot.meta");
        try {
            Files.createDirectories(dir);
            deleteFiles(name -> name.endsWith(TEMP_SUFFIX));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh temporary path in the store's directory (not created). */
    public Path tempFile(String purpose) {
        Path p = dir.resolve(purpose + "-" + System.nanoTime() + TEMP_SUFFIX);
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Deletes the temporary files made for {@code purpose} (see {@link #tempFile}). */
    public void deleteTempFiles(String purpose) {
        try {
            deleteFiles(name -> name.startsWith(purpose + "-") && name.endsWith(TEMP_SUFFIX));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean temporary files in " + dir, e);
        }
    }

    /** Deletes a temporary file (see {@link #tempFile}) that will not be published; logs if it cannot. */
    public void discard(Path tempFile) {
        try {
            Files.deleteIfExists(tempFile);
        } catch (IOException e) {
            LOG.warn("could not delete the unpublished snapshot file {}", tempFile, e);
        }
    }

    /** True if {@code file} is one of this store's temporary files. */
    public boolean isTempFile(Path file) {
        return dir.equals(file.getParent()) && file.getFileName().toString().endsWith(TEMP_SUFFIX);
    }

    /**
     * Makes the keyspace snapshot at {@code file} (moved, then owned by the store; {@code sizeBytes} long with CRC-32C
     * {@code checksum}) the latest, with {@code meta}; deletes the older snapshot files. Returns the stored data.
     *
     * @throws IllegalStateException if the store holds a newer snapshot (snapshots never move backwards)
     */
    public synchronized FileSnapshotData publish(Path file, SnapshotMeta meta, long keyspaceIndex, long sizeBytes,
                                                 int checksum) {
        Stored current = latest();
        if (current != null && current.meta().index() > meta.index()) {
            throw new IllegalStateException("refusing to store the snapshot at index " + meta.index() + " over the newer "
                    + "one at index " + current.meta().index() + " in " + dir);
        }
        Path data = dataFile(meta);
        try {
            force(file);
            Files.move(file, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path tmp = tempFile("meta");
            Files.write(tmp, encode(meta, keyspaceIndex, sizeBytes, checksum), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            force(tmp);
            Files.move(tmp, metaFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            forceDir();
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the snapshot at index " + meta.index() + " in " + dir, e);
        }
        deleteOlderThan(data);
        return new FileSnapshotData(data, sizeBytes, checksum);
    }

    private void deleteOlderThan(Path latest) {
        String latestName = latest.getFileName().toString();
        try {
            deleteFiles(name -> !name.equals(latestName) && name.startsWith("snapshot") && name.endsWith(".lmdb"));
        } catch (IOException e) {
            // The new snapshot is stored; an old file left behind costs disk space only, and goes next time.
            LOG.warn("could not delete snapshots older than {}", latest, e);
        }
    }

    /** The latest snapshot's description, or null if none. */
    public Stored latest() {
        if (!Files.exists(metaFile)) {
            return null;
        }
        try {
            return decode(Files.readAllBytes(metaFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file holding the keyspace snapshot {@code stored} describes. */
    public Path dataFile(Stored stored) {
        return stored.legacy() ? dir.resolve("snapshot.lmdb") : dataFile(stored.meta());
    }

    private Path dataFile(SnapshotMeta meta) {
        return dir.resolve("snapshot-" + meta.index() + "-" + meta.term() + ".lmdb");
    }

    /**
     * The latest snapshot, read lazily from its file, or null if none.
     *
     * @throws IllegalStateException if its data file is missing or not the size the meta file records
     */
    public Snapshot load() {
        Stored s = latest();
        if (s == null) {
            return null;
        }
        Path file = dataFile(s);
        if (s.legacy()) {
            return new Snapshot(s.meta(), FileSnapshotData.of(file));
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new IllegalStateException("the snapshot meta file " + metaFile + " names " + file
                    + ", which cannot be read: " + e, e);
        }
        if (size != s.sizeBytes()) {
            throw new IllegalStateException("the snapshot file " + file + " holds " + size + " bytes but "
                    + s.sizeBytes() + " were stored: it is corrupt");
        }
        return new Snapshot(s.meta(), new FileSnapshotData(file, s.sizeBytes(), s.checksum()));
    }

    /** Copies {@code data} to a new synced temporary file, one bounded piece at a time, and returns the file. */
    public Path writeTemp(SnapshotData data) {
        Path tmp = tempFile("received");
        byte[] buf = new byte[(int) Math.min(1 << 20, Math.max(1, data.sizeBytes()))];
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long off = 0; off < data.sizeBytes(); ) {
                int n = (int) Math.min(buf.length, data.sizeBytes() - off);
                data.read(off, buf, 0, n);
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    ch.write(b, off + b.position());
                }
                off += n;
            }
            ch.force(true);
            return tmp;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A stored snapshot's description.
     *
     * @param meta its Raft position and membership
     * @param keyspaceIndex the keyspace applied index its data holds (at most {@code meta.index()})
     * @param sizeBytes its data file's size (-1 for a legacy meta file)
     * @param checksum its data file's CRC-32C (0 for a legacy meta file)
     */
    public record Stored(SnapshotMeta meta, long keyspaceIndex, long sizeBytes, int checksum) {
        boolean legacy() {
            return sizeBytes < 0;
        }
    }

    private static byte[] encode(SnapshotMeta meta, long keyspaceIndex, long sizeBytes, int checksum)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeLong(meta.index());
        out.writeLong(meta.term());
        out.writeLong(keyspaceIndex);
        out.writeLong(sizeBytes);
        out.writeInt(checksum);
        writeIds(out, meta.membership().voters());
        writeIds(out, meta.membership().learners());
        out.flush();
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        out.flush();
        return bytes.toByteArray();
    }

    private static void writeIds(DataOutputStream out, Set<Long> ids) throws IOException {
        out.writeInt(ids.size());
        for (long id : ids) {
            out.writeLong(id);
        }
    }

    private Stored decode(byte[] b) throws IOException {
        if (b.length < 4) {
            throw corrupt("too short");
        }
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(b, b.length - 4, 4).getInt()) {
            throw corrupt("checksum mismatch");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b, 0, b.length - 4));
        int magic = in.readInt();
        if (magic != MAGIC && magic != MAGIC_V1) {
            throw corrupt("not a snapshot meta file");
        }
        long index = in.readLong();
        long term = in.readLong();
        long keyspaceIndex = in.readLong();
        long sizeBytes = magic == MAGIC ? in.readLong() : -1;
        int checksum = magic == MAGIC ? in.readInt() : 0;
        if (magic == MAGIC && sizeBytes < 0) {
            throw corrupt("negative size " + sizeBytes);
        }
        Set<Long> voters = readIds(in);
        Set<Long> learners = readIds(in);
        return new Stored(new SnapshotMeta(index, term, new Membership(voters, learners)), keyspaceIndex, sizeBytes,
                checksum);
    }

    private Set<Long> readIds(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_MEMBERS) {
            throw corrupt(n + " members");
        }
        List<Long> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(in.readLong());
        }
        return new HashSet<>(ids);
    }

    private IllegalStateException corrupt(String why) {
        return new IllegalStateException("the snapshot meta file " + metaFile + " is corrupt: " + why);
    }

    /** Deletes every file of the store's directory whose name {@code matches}. */
    private void deleteFiles(Predicate<String> matches) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (matches.test(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private void forceDir() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for sync; the renames are still atomic.
        }
    }
}
