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
 * The node's latest Raft snapshot on disk, described by {@code snapshot.meta} (its Raft index, term and membership and
 * the keyspace applied index it stands for, with a CRC-32C of its own). A snapshot is <b>held</b> by the live keyspace
 * ({@link #publishHeld}): the keyspace was synced at or past that index, and no copy exists until a follower needs one,
 * written as {@code outgoing-<index>-<term>-<n>.lmdb} ({@link #publishOutgoing}; not synced, never rewritten, since a
 * leader reads it in chunks while sending). Stores of earlier versions hold a copy instead: {@code
 * snapshot-<index>-<term>.lmdb}, whose size and CRC-32C the meta records ({@link #publish}). Each file is written to a
 * temporary name, synced and renamed, data first, so the meta file always describes a complete snapshot; once the
 * meta names a new one, older data files are deleted.
 */
public final class SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final int MAGIC_V1 = 0x436f5331; // "CoS1": no size and checksum, data in snapshot.lmdb
    private static final int MAGIC = 0x436f5332; // "CoS2": a copy in snapshot-<index>-<term>.lmdb
    private static final int MAGIC_HELD = 0x436f5333; // "CoS3": held by the live keyspace, no data file
    private static final int MAX_MEMBERS = 1 << 16;
    private static final String TEMP_SUFFIX = ".tmp";
    private static final String OUTGOING_PREFIX = "outgoing-";

    private final Path dir;
    private final Path metaFile;

    /** The store in {@code dir} (created if missing); temporary files a previous run left behind are deleted. */
    public SnapshotStore(Path dir) {
        this.dir = dir;
        this.metaFile = dir.resolve("snapshot.meta");
        try {
            Files.createDirectories(dir);
            deleteFiles(name -> name.endsWith(TEMP_SUFFIX) || name.startsWith(OUTGOING_PREFIX));
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
        refuseOlderThanStored(meta);
        Path data = dataFile(meta);
        try {
            force(file);
            Files.move(file, data, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            writeMeta(encode(MAGIC, meta, keyspaceIndex, sizeBytes, checksum));
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the snapshot at index " + meta.index() + " in " + dir, e);
        }
        deleteOlderThan(data);
        return new FileSnapshotData(data, sizeBytes, checksum);
    }

    /**
     * Makes the snapshot at {@code meta} the latest, held by the live keyspace, which the caller has synced at
     * keyspace applied index {@code keyspaceIndex} (its last write command: it may be below {@code meta.index()} if
     * the entries since were not writes); deletes every older snapshot file.
     *
     * @throws IllegalStateException if the store holds a newer snapshot (snapshots never move backwards)
     */
    public synchronized void publishHeld(SnapshotMeta meta, long keyspaceIndex) {
        refuseOlderThanStored(meta);
        try {
            writeMeta(encode(MAGIC_HELD, meta, keyspaceIndex, 0, 0));
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the snapshot at index " + meta.index() + " in " + dir, e);
        }
        deleteOlderThan(null);
    }

    /**
     * Keeps {@code file} (a keyspace copy at applied index {@code keyspaceIndex}, written for followers and labelled
     * {@code meta}) under a name of its own, never rewritten, and deletes the copies written before it (a leader still
     * sending one finds it gone and starts over with this one). Returns it with its size and CRC-32C.
     */
    public synchronized FileSnapshotData publishOutgoing(Path file, SnapshotMeta meta, long keyspaceIndex) {
        Path out = dir.resolve(OUTGOING_PREFIX + meta.index() + "-" + meta.term() + "-" + keyspaceIndex + "-"
                + System.nanoTime() + ".lmdb");
        try {
            Files.move(file, out, StandardCopyOption.ATOMIC_MOVE);
            String name = out.getFileName().toString();
            deleteFiles(n -> n.startsWith(OUTGOING_PREFIX) && !n.equals(name));
        } catch (IOException e) {
            throw new UncheckedIOException("could not keep the snapshot copy " + file + " in " + dir, e);
        }
        return FileSnapshotData.of(out);
    }

    /** Throws if the stored snapshot is newer than {@code meta}: a snapshot never replaces a newer one. */
    private void refuseOlderThanStored(SnapshotMeta meta) {
        Stored current = latest();
        if (current != null && current.meta().index() > meta.index()) {
            throw new IllegalStateException("refusing to store the snapshot at index " + meta.index() + " over the newer "
                    + "one at index " + current.meta().index() + " in " + dir);
        }
    }

    private void writeMeta(byte[] encoded) throws IOException {
        Path tmp = tempFile("meta");
        Files.write(tmp, encoded, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        force(tmp);
        Files.move(tmp, metaFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        forceDir();
    }

    /** Deletes the snapshot data files other than {@code latest} (all of them if null). */
    private void deleteOlderThan(Path latest) {
        String latestName = latest == null ? "" : latest.getFileName().toString();
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

    /** The file holding the keyspace snapshot {@code stored} describes (not for a held snapshot, which has none). */
    public Path dataFile(Stored stored) {
        if (stored.held()) {
            throw new IllegalArgumentException("the snapshot at index " + stored.meta().index()
                    + " is held by the keyspace: it has no data file");
        }
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
        if (s.held()) {
            return new Snapshot(s.meta(), SnapshotData.onDemand(Math.max(s.meta().index(), s.keyspaceIndex())));
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
     * @param keyspaceIndex the keyspace applied index its data holds (at most {@code meta.index()} for a copy; for a
     *     held snapshot, the index the live keyspace was synced at)
     * @param sizeBytes its data file's size (-1 for a legacy meta file, 0 for a held snapshot)
     * @param checksum its data file's CRC-32C (0 for a legacy meta file or a held snapshot)
     * @param held true if the live keyspace holds it and there is no data file
     */
    public record Stored(SnapshotMeta meta, long keyspaceIndex, long sizeBytes, int checksum, boolean held) {
        boolean legacy() {
            return sizeBytes < 0;
        }
    }

    private static byte[] encode(int magic, SnapshotMeta meta, long keyspaceIndex, long sizeBytes, int checksum)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
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
        if (magic != MAGIC && magic != MAGIC_V1 && magic != MAGIC_HELD) {
            throw corrupt("not a snapshot meta file");
        }
        long index = in.readLong();
        long term = in.readLong();
        long keyspaceIndex = in.readLong();
        long sizeBytes = magic == MAGIC_V1 ? -1 : in.readLong();
        int checksum = magic == MAGIC_V1 ? 0 : in.readInt();
        if (magic != MAGIC_V1 && sizeBytes < 0) {
            throw corrupt("negative size " + sizeBytes);
        }
        Set<Long> voters = readIds(in);
        Set<Long> learners = readIds(in);
        return new Stored(new SnapshotMeta(index, term, new Membership(voters, learners)), keyspaceIndex, sizeBytes,
                checksum, magic == MAGIC_HELD);
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
