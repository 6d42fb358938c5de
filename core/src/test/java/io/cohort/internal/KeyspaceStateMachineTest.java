package io.cohort.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.PutResponse;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.WatchHub;
import io.cohort.mvcc.WatchHubConfig;
import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.Membership;
import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotCapture;
import io.cohort.raft.SnapshotCorruptedException;
import io.cohort.raft.SnapshotStaging;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state machine adapter alone: batches, per-entry results, consistency checks, snapshots. */
class KeyspaceStateMachineTest {
    private final List<WatchHub> hubs = new ArrayList<>();

    /** A watch hub over {@code ks}, closed after the test. */
    private WatchHub hub(Keyspace ks) {
        WatchHub h = WatchHub.start(ks, WatchHubConfig.defaults(), "test-watch");
        hubs.add(h);
        return h;
    }

    @org.junit.jupiter.api.AfterEach
    void closeHubs() {
        hubs.forEach(WatchHub::close);
    }

    @TempDir
    Path tmp;

    private static Entry put(long index, String key, String value) {
        return new Entry(index, 1, EntryType.COMMAND,
                NodeCommand.write(PutRequest.of(Bytes.ofUtf8(key), Bytes.ofUtf8(value))));
    }

    private static Keyspace open(Path dir) {
        return Keyspace.open(dir, KeyspaceConfig.defaults());
    }

    @Test
    void aCompactionInTheSameBatchNeverTakesAWatchEventsPrevKv() throws Exception {
        try (Keyspace ks = open(tmp.resolve("c"))) {
            WatchHub h = hub(ks);
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, h, new SnapshotStore(tmp.resolve("snap-c")));
            java.util.concurrent.BlockingQueue<io.cohort.mvcc.Event> events =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            h.watch(new io.cohort.mvcc.WatchRequest(Bytes.ofUtf8("k"), Bytes.EMPTY, 0, true, false, false, false),
                    Runnable::run, r -> events.addAll(r.events()));
            sm.apply(List.of(put(1, "k", "v1"))); // revision 2
            // One batch: k=v2 at revision 3, then a compaction at 3, which removes k=v1 (superseded at 3).
            sm.apply(List.of(put(2, "k", "v2"),
                    new Entry(3, 1, EntryType.COMMAND, NodeCommand.write(new io.cohort.mvcc.CompactRequest(3)))));
            assertThat(ks.compactedRevision()).isEqualTo(3);
            io.cohort.mvcc.Event first = events.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            io.cohort.mvcc.Event second = events.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(second).isNotNull();
            assertThat(second.kv().modRevision()).isEqualTo(3);
            assertThat(second.prevKv()).as("the prev kv of the event at revision 3").isNotNull();
            assertThat(second.prevKv().value()).isEqualTo(Bytes.ofUtf8("v1"));
        }
    }

    @Test
    void theIdleCompactorIsToldOfEveryAppliedCompactionAndOfNothingElse() {
        try (Keyspace ks = open(tmp.resolve("h"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(tmp.resolve("snap-h")));
            java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
            sm.onCompactionApplied(told::incrementAndGet);
            sm.apply(List.of(put(1, "k", "v1"), put(2, "k", "v2"), put(3, "k", "v3")));
            assertThat(told.get()).as("after writes only").isZero();
            sm.apply(List.of(put(4, "k", "v4"),
                    new Entry(5, 1, EntryType.COMMAND, NodeCommand.write(new io.cohort.mvcc.CompactRequest(3)))));
            assertThat(told.get()).as("after a batch with a compaction").isEqualTo(1);
            assertThat(ks.compactedRevision()).isEqualTo(3);
            sm.apply(List.of(put(6, "k", "v5")));
            assertThat(told.get()).as("after a later write").isEqualTo(1);
            assertThat(sm.compactionPending()).isEqualTo(ks.compactionPending());
        }
    }

    @Test
    void aBatchIsAppliedWithOneResultPerEntryInOrder() {
        try (Keyspace ks = open(tmp.resolve("a"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(tmp.resolve("snap-a")));
            List<Entry> batch = new ArrayList<>();
            batch.add(put(1, "a", "1"));
            batch.add(put(2, "", "empty key fails alone"));
            batch.add(new Entry(3, 1, EntryType.COMMAND, NodeCommand.hashCheck(2, -1, ks.hash(0))));
            batch.add(put(4, "b", "2"));
            List<?> results = sm.apply(batch);
            assertThat(results).hasSize(4);
            assertThat(((PutResponse) ((ApplyResult) results.get(0)).response()).revision()).isEqualTo(2);
            ApplyResult failed = (ApplyResult) results.get(1);
            assertThat(failed.status()).isEqualTo(ApplyResult.Status.FAILED);
            assertThat(failed.error().code()).isEqualTo(ErrorCode.EMPTY_KEY);
            // The check carried the hash of the empty store, not of revision 2 as this member holds it: flagged.
            assertThat(((HashCheck) results.get(2)).mismatch()).isTrue();
            assertThat(((PutResponse) ((ApplyResult) results.get(3)).response()).revision()).isEqualTo(3);
            assertThat(sm.appliedIndex()).isEqualTo(4);
        }
    }

    @Test
    void aConsistencyCheckFlagsAMemberWhoseKeyspaceDiffers() {
        try (Keyspace good = open(tmp.resolve("good")); Keyspace bad = open(tmp.resolve("bad"))) {
            KeyspaceStateMachine goodSm = new KeyspaceStateMachine(1, good, hub(good), new SnapshotStore(tmp.resolve("sg")));
            KeyspaceStateMachine badSm = new KeyspaceStateMachine(2, bad, hub(bad), new SnapshotStore(tmp.resolve("sb")));
            goodSm.apply(List.of(put(1, "k", "v")));
            badSm.apply(List.of(put(1, "k", "DIFFERENT")));
            byte[] check = NodeCommand.hashCheck(2, good.compactedRevision(), good.hash(2));
            HashCheck onGood = (HashCheck) goodSm.apply(List.of(new Entry(2, 1, EntryType.COMMAND, check))).get(0);
            HashCheck onBad = (HashCheck) badSm.apply(List.of(new Entry(2, 1, EntryType.COMMAND, check))).get(0);
            assertThat(onGood.compared()).isTrue();
            assertThat(onGood.mismatch()).isFalse();
            assertThat(goodSm.divergence()).isNull();
            assertThat(onBad.mismatch()).isTrue();
            assertThat(badSm.divergence()).isEqualTo(onBad);
        }
    }

    @Test
    void aSnapshotTakenOnOneMemberRestoresOnAnother() {
        try (Keyspace source = open(tmp.resolve("src")); Keyspace target = open(tmp.resolve("dst"))) {
            KeyspaceStateMachine a = new KeyspaceStateMachine(1, source, hub(source), new SnapshotStore(tmp.resolve("sa")));
            KeyspaceStateMachine b = new KeyspaceStateMachine(2, target, hub(target), new SnapshotStore(tmp.resolve("sb")));
            a.apply(List.of(put(1, "x", "1"), put(2, "y", "2")));
            b.apply(List.of(put(1, "other", "state")));
            SnapshotMeta meta = new SnapshotMeta(2, 1, new Membership(Set.of(1L, 2L, 3L), Set.of()));
            assertThat(a.takeSnapshot(meta).writtenOnDemand()).isTrue();
            assertThat(a.latestSnapshot().meta()).isEqualTo(meta);
            SnapshotData data = sendable(a, meta);
            assertThat(data).isInstanceOf(FileSnapshotData.class);
            // As a follower receives it: staged chunk by chunk in a file, verified, installed from the file.
            b.restoreSnapshot(new Snapshot(meta, stageInChunks(b, meta, data, 4096, -1)));
            assertThat(files(tmp.resolve("sb"))).containsExactly("snapshot.meta");
            assertThat(target.appliedIndex()).isEqualTo(2);
            assertThat(target.hash(0)).isEqualTo(source.hash(0));
            assertThat(target.range(RangeRequest.key(Bytes.ofUtf8("other"))).kvs()).isEmpty();
            assertThat(b.latestSnapshot().meta()).isEqualTo(meta);
        }
    }

    /** The bytes {@code sm} writes for a follower that needs its held snapshot at {@code meta}. */
    private static SnapshotData sendable(KeyspaceStateMachine sm, SnapshotMeta meta) {
        try (SnapshotCapture capture = sm.captureSnapshotToSend(meta)) {
            return capture.write();
        }
    }

    /** Streams {@code data} into {@code sm}'s staging in {@code chunkBytes} pieces, flipping a bit at {@code flipAt}. */
    private static SnapshotData stageInChunks(KeyspaceStateMachine sm, SnapshotMeta meta, SnapshotData data,
                                              int chunkBytes, long flipAt) {
        SnapshotStaging staging = sm.stageSnapshot(meta, data.sizeBytes(), data.checksum());
        for (long off = 0; off < data.sizeBytes(); off += chunkBytes) {
            byte[] chunk = new byte[(int) Math.min(chunkBytes, data.sizeBytes() - off)];
            data.read(off, chunk, 0, chunk.length);
            if (flipAt >= off && flipAt < off + chunk.length) {
                chunk[(int) (flipAt - off)] ^= 1;
            }
            staging.write(off, chunk);
        }
        return staging.finish();
    }

    private static List<String> files(Path dir) {
        try (var list = java.nio.file.Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aCorruptStagedSnapshotIsRefusedAndNeverInstalled() {
        try (Keyspace source = open(tmp.resolve("src")); Keyspace target = open(tmp.resolve("dst"))) {
            KeyspaceStateMachine a = new KeyspaceStateMachine(1, source, hub(source), new SnapshotStore(tmp.resolve("sa")));
            KeyspaceStateMachine b = new KeyspaceStateMachine(2, target, hub(target), new SnapshotStore(tmp.resolve("sb")));
            a.apply(List.of(put(1, "x", "1"), put(2, "y", "2")));
            b.apply(List.of(put(1, "other", "state")));
            long before = target.hash(0);
            SnapshotMeta meta = new SnapshotMeta(2, 1, new Membership(Set.of(1L, 2L), Set.of()));
            a.takeSnapshot(meta);
            SnapshotData data = sendable(a, meta);
            assertThatThrownBy(() -> stageInChunks(b, meta, data, 4096, data.sizeBytes() / 3))
                    .isInstanceOf(SnapshotCorruptedException.class).hasMessageContaining("CRC-32C")
                    .hasMessageContaining("index 2");
            assertThat(target.appliedIndex()).isEqualTo(1);
            assertThat(target.hash(0)).isEqualTo(before);
            assertThat(b.latestSnapshot()).isNull();
            assertThat(files(tmp.resolve("sb"))).as("the refused staging file is deleted").isEmpty();
        }
    }

    @Test
    void aHeldSnapshotCopiesNothingAndOnlyTheLatestCopyForFollowersStaysOnDisk() {
        Path snaps = tmp.resolve("only-latest");
        Membership one = new Membership(Set.of(1L), Set.of());
        try (Keyspace ks = open(tmp.resolve("ks"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(snaps));
            sm.apply(List.of(put(1, "x", "1")));
            SnapshotMeta firstMeta = new SnapshotMeta(1, 1, one);
            sm.takeSnapshot(firstMeta);
            assertThat(files(snaps)).containsExactly("snapshot.meta");
            FileSnapshotData first = (FileSnapshotData) sendable(sm, firstMeta);
            sm.apply(List.of(put(2, "y", "2")));
            SnapshotMeta secondMeta = new SnapshotMeta(2, 1, one);
            SnapshotData held = sm.takeSnapshot(secondMeta);
            assertThat(held.heldIndex()).isEqualTo(2);
            FileSnapshotData second = (FileSnapshotData) sendable(sm, secondMeta);
            assertThat(first.path()).doesNotExist();
            assertThat(files(snaps)).containsExactly(second.path().getFileName().toString(), "snapshot.meta");
            Snapshot latest = sm.latestSnapshot();
            assertThat(latest.meta()).isEqualTo(secondMeta);
            assertThat(latest.data().writtenOnDemand()).isTrue();
            assertThat(latest.data().heldIndex()).isEqualTo(2);
            // Copies for followers are not kept across a restart.
            new SnapshotStore(snaps);
            assertThat(files(snaps)).containsExactly("snapshot.meta");
        }
    }

    /** A store as an earlier version left it: the snapshot a copy of the keyspace in a data file. */
    private static void storeCopy(Keyspace ks, Path snaps, SnapshotMeta meta) {
        SnapshotStore store = new SnapshotStore(snaps);
        Path file = store.tempFile("snapshot");
        long keyspaceIndex = ks.writeSnapshot(file);
        FileSnapshotData data = FileSnapshotData.of(file);
        store.publish(file, meta, keyspaceIndex, data.sizeBytes(), data.checksum());
    }

    @Test
    void aCorruptSnapshotFileIsReportedAtRecoveryNotRestored() throws Exception {
        Path snaps = tmp.resolve("corrupt-data");
        try (Keyspace ks = open(tmp.resolve("before"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(snaps));
            sm.apply(List.of(put(1, "x", "1"), put(2, "y", "2")));
            storeCopy(ks, snaps, new SnapshotMeta(2, 1, new Membership(Set.of(1L), Set.of())));
        }
        Path data = snaps.resolve("snapshot-2-1.lmdb");
        byte[] b = java.nio.file.Files.readAllBytes(data);
        b[b.length / 2] ^= 1;
        java.nio.file.Files.write(data, b);
        try (Keyspace lost = open(tmp.resolve("after-crash"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, lost, hub(lost), new SnapshotStore(snaps));
            assertThatThrownBy(sm::recover).isInstanceOf(SnapshotCorruptedException.class)
                    .hasMessageContaining("CRC-32C");
            assertThat(lost.appliedIndex()).isZero();
        }
    }

    @Test
    void aKeyspaceBehindTheCopyAnEarlierVersionStoredIsRestoredFromItAtStart() {
        Path snaps = tmp.resolve("snaps");
        long hash;
        try (Keyspace ks = open(tmp.resolve("before"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(snaps));
            sm.apply(List.of(put(1, "x", "1"), put(2, "y", "2"), put(3, "z", "3")));
            storeCopy(ks, snaps, new SnapshotMeta(3, 1, new Membership(Set.of(1L), Set.of())));
            hash = ks.hash(0);
        }
        // A keyspace that lost its unsynced writes (here: an empty one) beside the snapshot the log was cut at.
        try (Keyspace lost = open(tmp.resolve("after-crash"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, lost, hub(lost), new SnapshotStore(snaps));
            sm.recover();
            assertThat(lost.appliedIndex()).isEqualTo(3);
            assertThat(lost.hash(0)).isEqualTo(hash);
            assertThat(sm.latestSnapshot().meta().index()).isEqualTo(3);
            // A keyspace already at or past the snapshot is left alone.
            sm.apply(List.of(put(4, "w", "4")));
            sm.recover();
            assertThat(lost.appliedIndex()).isEqualTo(4);
        }
    }

    @Test
    void aCorruptSnapshotMetaFileIsReportedNotIgnored() throws Exception {
        Path snaps = tmp.resolve("bad-snaps");
        try (Keyspace ks = open(tmp.resolve("m"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(snaps));
            sm.apply(List.of(put(1, "x", "1")));
            sm.takeSnapshot(new SnapshotMeta(1, 1, new Membership(Set.of(1L), Set.of())));
        }
        Path meta = snaps.resolve("snapshot.meta");
        byte[] b = java.nio.file.Files.readAllBytes(meta);
        b[6] ^= 1;
        java.nio.file.Files.write(meta, b);
        assertThatThrownBy(() -> new SnapshotStore(snaps).latest()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("corrupt").hasMessageContaining("checksum");
    }

    @Test
    void aCorruptEntryStopsTheNodeInsteadOfBeingSkipped() {
        try (Keyspace ks = open(tmp.resolve("c"))) {
            KeyspaceStateMachine sm = new KeyspaceStateMachine(1, ks, hub(ks), new SnapshotStore(tmp.resolve("sc")));
            assertThatThrownBy(() -> sm.apply(List.of(new Entry(1, 1, EntryType.COMMAND, new byte[] {9, 1, 2}))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("entry 1");
            assertThatThrownBy(() -> sm.apply(List.of(new Entry(1, 1, EntryType.COMMAND, new byte[] {1, (byte) 0xEE}))))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("corrupt write request");
            assertThat(ks.appliedIndex()).isZero();
        }
    }
}
