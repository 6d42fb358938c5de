package io.cohort.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot goes from the leader to a follower chunk by chunk: the leader reads it lazily, one chunk per message and
 * one message in flight per follower; the follower stages each chunk on disk as it arrives and installs the file
 * only once its size and CRC-32C verify.
 */
class SnapshotStreamingTest {
    private static final int CHUNK_BYTES = 256 * 1024;
    private static final long LARGE_BYTES = 64L << 20;

    @TempDir
    Path tmp;

    /**
     * A snapshot whose bytes are computed from their offset, so the test itself holds none of it; counts what the
     * leader reads.
     */
    static final class GeneratedSnapshotData implements SnapshotData {
        final long sizeBytes;
        final long seed;
        final int checksum;
        long reads;
        long bytesRead;
        int largestRead;

        GeneratedSnapshotData(long sizeBytes, long seed) {
            this.sizeBytes = sizeBytes;
            this.seed = seed;
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < sizeBytes; off += buf.length) {
                int n = (int) Math.min(buf.length, sizeBytes - off);
                fill(off, buf, 0, n);
                crc.update(buf, 0, n);
            }
            this.checksum = (int) crc.getValue();
        }

        byte at(long p) {
            long z = (p >>> 3) * 0x9E3779B97F4A7C15L + seed;
            z = (z ^ (z >>> 31)) * 0xbf58476d1ce4e5b9L;
            return (byte) (z >>> ((p & 7) * 8));
        }

        void fill(long offset, byte[] dst, int dstOffset, int length) {
            for (int i = 0; i < length; i++) {
                dst[dstOffset + i] = at(offset + i);
            }
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
            reads++;
            bytesRead += length;
            largestRead = Math.max(largestRead, length);
            fill(offset, dst, dstOffset, length);
        }
    }

    /** Three members; member 3 is cut off while the leader compacts its log, so it needs a snapshot. */
    private TestCluster laggingFollower(GeneratedSnapshotData[] leaderSnapshot) {
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5).snapshotChunkBytes(CHUNK_BYTES)
                .maxSnapshotBytes(1L << 30));
        c.keepDelivered = false;
        c.nodes.get(1L).snapshotSource = meta -> leaderSnapshot[0] = new GeneratedSnapshotData(
                LARGE_BYTES, meta.index());
        c.nodes.get(3L).staging = (meta, size, crc) -> FileSnapshotStaging.create(
                tmp.resolve("staged-" + meta.index() + "-" + System.nanoTime()), meta, size, crc);
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 12; i++) {
            c.core(1).propose(("cmd" + i).getBytes(StandardCharsets.UTF_8));
            c.stabilize();
        }
        assertThat(c.nodes.get(1L).storage.firstIndex()).as("the leader compacted its log").isGreaterThan(5);
        c.isolated.clear();
        return c;
    }

    @Test
    void aSnapshotLargerThanTheBoundIsStreamedAndInstalledWithoutBeingHeldInMemory() {
        GeneratedSnapshotData[] source = new GeneratedSnapshotData[1];
        TestCluster c = laggingFollower(source);
        List<Snapshot> installed = new ArrayList<>();
        c.nodes.get(3L).installer = installed::add;

        c.tickAll(5);

        GeneratedSnapshotData sent = source[0];
        assertThat(installed).hasSize(1);
        Snapshot snap = installed.get(0);
        assertThat(snap.meta()).isEqualTo(c.core(1).latestSnapshot().meta());
        assertThat(snap.data()).isInstanceOf(FileSnapshotData.class);
        assertThat(snap.data().sizeBytes()).isEqualTo(LARGE_BYTES);
        assertThat(snap.data().checksum()).isEqualTo(sent.checksum);
        assertSameBytes(snap.data(), sent);
        assertThat(c.core(3).commitIndex()).isEqualTo(c.core(1).commitIndex());
        assertThat(c.core(3).lastIndex()).isEqualTo(c.core(1).lastIndex());

        // Bounded: the leader read the snapshot lazily, one chunk per read, about once; at most one chunk was ever
        // in flight and at most one waited in a Ready to be staged.
        assertThat(sent.largestRead).isEqualTo(CHUNK_BYTES);
        assertThat(sent.reads).isBetween(LARGE_BYTES / CHUNK_BYTES, LARGE_BYTES / CHUNK_BYTES + 8);
        assertThat(c.maxInFlightSnapshotBytes).isEqualTo(CHUNK_BYTES);
        assertThat(c.maxReadySnapshotChunkBytes).isEqualTo(CHUNK_BYTES);
    }

    @Test
    void aCorruptStagedSnapshotIsRefusedNotInstalledAndSentAgain() {
        GeneratedSnapshotData[] source = new GeneratedSnapshotData[1];
        TestCluster c = laggingFollower(source);
        List<Snapshot> installed = new ArrayList<>();
        TestCluster.TNode follower = c.nodes.get(3L);
        follower.installer = installed::add;
        SnapshotStaging.Factory honest = follower.staging;
        AtomicBoolean corrupt = new AtomicBoolean(true);
        // The disk flips one bit of the staged file under the first transfer.
        follower.staging = (meta, size, crc) -> {
            SnapshotStaging inner = honest.stage(meta, size, crc);
            Path file = ((FileSnapshotStaging) inner).path();
            return new SnapshotStaging() {
                @Override
                public void write(long offset, byte[] chunk) {
                    inner.write(offset, chunk);
                }

                @Override
                public SnapshotData finish() {
                    if (corrupt.getAndSet(false)) {
                        flipBit(file, size / 2);
                    }
                    return inner.finish();
                }

                @Override
                public void abort() {
                    inner.abort();
                }
            };
        };

        c.tickAll(1);

        assertThat(follower.refusedSnapshots).hasSize(1);
        assertThat(follower.refusedSnapshots.get(0)).hasMessageContaining("CRC-32C")
                .hasMessageContaining("index " + c.core(1).latestSnapshot().meta().index());
        assertThat(installed).as("a corrupt snapshot is never installed").isEmpty();
        long snapshotIndex = c.core(1).latestSnapshot().meta().index();
        assertThat(c.core(3).commitIndex()).isLessThan(snapshotIndex);
        assertThat(follower.applied).isLessThan(snapshotIndex);
        assertThat(follower.storage.snapshot().index()).isZero();
        assertThat(listStaged()).as("the refused file is deleted").isEmpty();

        // The leader is told, and sends it again from the start; this time it verifies.
        c.tickAll(10);
        assertThat(installed).hasSize(1);
        assertSameBytes(installed.get(0).data(), source[0]);
        assertThat(c.core(3).commitIndex()).isEqualTo(c.core(1).commitIndex());
    }

    @Test
    void fileStagingRefusesTruncatedAndCorruptSnapshots() throws IOException {
        SnapshotMeta meta = new SnapshotMeta(9, 2, new Membership(Set.of(1L), Set.of()));
        byte[] bytes = new byte[100_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        SnapshotData source = SnapshotData.ofBytes(bytes);

        Path good = tmp.resolve("good");
        FileSnapshotStaging staging = FileSnapshotStaging.create(good, meta, bytes.length, source.checksum());
        staging.write(0, Arrays.copyOfRange(bytes, 0, 40_000));
        staging.write(40_000, Arrays.copyOfRange(bytes, 40_000, bytes.length));
        SnapshotData staged = staging.finish();
        assertThat(staged.readAllBytes(bytes.length)).isEqualTo(bytes);
        assertThat(FileSnapshotData.of(good).checksum()).isEqualTo(source.checksum());

        Path truncated = tmp.resolve("truncated");
        FileSnapshotStaging cut = FileSnapshotStaging.create(truncated, meta, bytes.length, source.checksum());
        cut.write(0, Arrays.copyOfRange(bytes, 0, 40_000));
        assertThatThrownBy(cut::finish).isInstanceOf(SnapshotCorruptedException.class)
                .hasMessageContaining("truncated").hasMessageContaining("40000");
        assertThat(truncated).doesNotExist();

        Path flipped = tmp.resolve("flipped");
        FileSnapshotStaging bad = FileSnapshotStaging.create(flipped, meta, bytes.length, source.checksum());
        byte[] wrong = bytes.clone();
        wrong[77_777] ^= 0x10;
        bad.write(0, wrong);
        assertThatThrownBy(bad::finish).isInstanceOf(SnapshotCorruptedException.class)
                .hasMessageContaining("CRC-32C").satisfies(e ->
                        assertThat(((SnapshotCorruptedException) e).meta()).isEqualTo(meta));
        assertThat(flipped).doesNotExist();

        assertThatThrownBy(() -> FileSnapshotStaging.create(tmp.resolve("gap"), meta, 10, 0).write(5, new byte[1]))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at 5");
    }

    @Test
    void aLeaderWhoseSnapshotFileWasReplacedSendsTheNewerOne() throws IOException {
        // The leader is sending snapshot A when B replaces it and A's file is deleted: reading A fails, and the
        // leader starts over with B, which the follower installs.
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5).snapshotChunkBytes(1024));
        List<Path> files = new ArrayList<>();
        AtomicInteger taken = new AtomicInteger();
        c.nodes.get(1L).snapshotSource = meta -> {
            byte[] data = new byte[8 * 1024];
            Arrays.fill(data, (byte) meta.index());
            Path f = tmp.resolve("leader-snap-" + taken.incrementAndGet());
            try {
                Files.write(f, data);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            files.add(f);
            return FileSnapshotData.of(f);
        };
        List<Snapshot> installed = new ArrayList<>();
        c.nodes.get(3L).installer = installed::add;
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 12; i++) {
            c.core(1).propose(("cmd" + i).getBytes(StandardCharsets.UTF_8));
            c.stabilize();
        }
        c.isolated.clear();
        int[] chunks = {0};
        c.drop = m -> m.type() == MessageType.SNAPSHOT_CHUNK && ++chunks[0] > 2; // A's transfer stalls
        c.tickAll(1);
        Snapshot a = c.core(1).latestSnapshot();
        for (Path f : files) {
            Files.delete(f); // a newer snapshot replaced them all
        }
        // Until the next snapshot point: the interval grows with the snapshot's size (8 KiB against 5-byte entries).
        for (int i = 0; i < 400 && c.core(1).latestSnapshot().meta().index() == a.meta().index(); i++) {
            c.core(1).propose(("more" + i).getBytes(StandardCharsets.UTF_8));
            c.stabilize();
        }
        Snapshot b = c.core(1).latestSnapshot();
        assertThat(b.meta().index()).isGreaterThan(a.meta().index());
        c.drop = m -> false;
        c.tickAll(10);
        assertThat(c.core(1).snapshotReadFailures()).isPositive();
        assertThat(installed).extracting(Snapshot::meta).containsExactly(b.meta());
        assertThat(installed.get(0).data().readAllBytes(1 << 20)).containsOnly((byte) b.meta().index());
        assertThat(c.core(3).commitIndex()).isEqualTo(c.core(1).commitIndex());
    }

    @Test
    void aVerifiedSnapshotArrivingAfterAnElectionStartedIsDroppedAndAskedForAgain() {
        Membership three = new Membership(Set.of(1L, 2L, 3L), Set.of());
        RaftCore follower = new RaftCore(RaftConfig.builder(2).bootstrap(three).electionTicks(10).heartbeatTicks(1)
                .build(), new io.cohort.raft.internal.MemoryLogStorage(), null, 0);
        SnapshotMeta meta = new SnapshotMeta(10, 1, three);
        byte[] bytes = new byte[100];
        Arrays.fill(bytes, (byte) 7);
        SnapshotData data = SnapshotData.ofBytes(bytes);
        follower.step(Message.builder(MessageType.SNAPSHOT_CHUNK).from(1).to(2).term(1).snapshot(meta)
                .snapshotOffset(0).snapshotSize(100).snapshotChecksum(data.checksum()).chunk(bytes).build());
        Ready rd = follower.ready();
        assertThat(rd.snapshotChunks()).hasSize(1);
        assertThat(rd.snapshotChunks().get(0).last()).isTrue();
        follower.advance(rd);

        follower.campaign(); // the follower's election timer fired while it was verifying the staged snapshot
        assertThat(follower.role()).isNotEqualTo(Role.FOLLOWER);
        follower.snapshotReceived(new Snapshot(meta, data));
        follower.advance(follower.ready());
        assertThat(follower.lastIndex()).as("not installed").isLessThan(10);

        // The leader's next resend (an empty chunk at the end) is answered with "start again from 0".
        follower.step(Message.builder(MessageType.SNAPSHOT_CHUNK).from(1).to(2).term(5).snapshot(meta)
                .snapshotOffset(100).snapshotSize(100).snapshotChecksum(data.checksum()).build());
        Ready again = follower.ready();
        assertThat(again.snapshot()).isNull();
        assertThat(again.messages()).filteredOn(m -> m.type() == MessageType.SNAPSHOT_RESPONSE)
                .singleElement().satisfies(m -> {
                    assertThat(m.to()).isEqualTo(1);
                    assertThat(m.index()).isZero();
                    assertThat(m.reject()).isFalse();
                });
    }

    private List<Path> listStaged() {
        try (var files = Files.list(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("staged-")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void flipBit(Path file, long position) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, position);
            one.put(0, (byte) (one.get(0) ^ 0x01)).rewind();
            ch.write(one, position);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertSameBytes(SnapshotData actual, GeneratedSnapshotData expected) {
        assertThat(actual.sizeBytes()).isEqualTo(expected.sizeBytes);
        byte[] got = new byte[1 << 20];
        byte[] want = new byte[1 << 20];
        for (long off = 0; off < expected.sizeBytes; off += got.length) {
            int n = (int) Math.min(got.length, expected.sizeBytes - off);
            actual.read(off, got, 0, n);
            expected.fill(off, want, 0, n);
            if (!Arrays.equals(got, 0, n, want, 0, n)) {
                throw new AssertionError("installed snapshot differs from the leader's in bytes " + off + ".." + (off + n));
            }
        }
    }
}
