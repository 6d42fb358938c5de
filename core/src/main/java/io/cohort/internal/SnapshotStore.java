package io.cohort.internal;

import io.cohort.raft.Membership;
import io.cohort.raft.Snapshot;
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
import java.util.zip.CRC32C;

/**
 * The node's latest Raft snapshot on disk: {@code snapshot.lmdb} (a keyspace snapshot file) and
 * {@code snapshot.meta} (its Raft index, term and membership, and the keyspace applied index the file holds, with a
 * CRC-32C). Each file is written to a temporary name, synced and renamed, data first, so the meta file always
 * describes a complete data file.
 */
public final class SnapshotStore {
    private static final int MAGIC = 0x436f5331; // "CoS1"
    private static final int MAX_MEMBERS = 1 << 16;

    private final Path dir;
    private final Path dataFile;
    private final Path metaFile;

    /** The store in {@code dir} (created if missing). */
    public SnapshotStore(Path dir) {
        this.dir = dir;
        this.dataFile = dir.resolve("snapshot.lmdb");
        this.metaFile = dir.resolve("snapshot.meta");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh temporary path in the store's directory (not created). */
    public Path tempFile(String purpose) {
        Path p = dir.resolve(purpose + "-" + System.nanoTime() + ".tmp");
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Makes the keyspace snapshot at {@code file} (moved, then owned by the store) the latest, with {@code meta}. */
    public void publish(Path file, SnapshotMeta meta, long keyspaceIndex) {
        try {
            force(file);
            Files.move(file, dataFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path tmp = tempFile("meta");
            Files.write(tmp, encode(meta, keyspaceIndex), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            force(tmp);
            Files.move(tmp, metaFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            forceDir();
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the snapshot at index " + meta.index() + " in " + dir, e);
        }
    }

    /** The latest snapshot's meta and held keyspace index, or null if none. */
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

    /** The latest snapshot's keyspace file. */
    public Path dataFile() {
        return dataFile;
    }

    /** The latest snapshot with its bytes, or null if none. */
    public Snapshot load() {
        Stored s = latest();
        if (s == null) {
            return null;
        }
        try {
            return new Snapshot(s.meta(), Files.readAllBytes(dataFile));
        } catch (IOException e) {
            throw new UncheckedIOException("snapshot meta exists but its data file cannot be read: " + dataFile, e);
        }
    }

    /** Writes {@code data} to a new synced temporary file and returns it. */
    public Path writeTemp(byte[] data) {
        Path tmp = tempFile("received");
        try {
            Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            force(tmp);
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
     */
    public record Stored(SnapshotMeta meta, long keyspaceIndex) {
    }

    private static byte[] encode(SnapshotMeta meta, long keyspaceIndex) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeLong(meta.index());
        out.writeLong(meta.term());
        out.writeLong(keyspaceIndex);
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
        if (in.readInt() != MAGIC) {
            throw corrupt("not a snapshot meta file");
        }
        long index = in.readLong();
        long term = in.readLong();
        long keyspaceIndex = in.readLong();
        Set<Long> voters = readIds(in);
        Set<Long> learners = readIds(in);
        return new Stored(new SnapshotMeta(index, term, new Membership(voters, learners)), keyspaceIndex);
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
