package io.cohort.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.WatchHub;
import io.cohort.mvcc.WatchHubConfig;
import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.Membership;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotCapture;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keyspace snapshots captured at an index on the applying side and written beside further applies. */
class KeyspaceStateMachineAsyncSnapshotTest {
    private static final Membership ONE = new Membership(Set.of(1L), Set.of());
    private final List<WatchHub> hubs = new ArrayList<>();

    @TempDir
    Path tmp;

    @AfterEach
    void closeHubs() {
        hubs.forEach(WatchHub::close);
    }

    private KeyspaceStateMachine machine(Keyspace ks, Path snapshots) {
        WatchHub h = WatchHub.start(ks, WatchHubConfig.defaults(), "test-watch");
        hubs.add(h);
        return new KeyspaceStateMachine(1, ks, h, new SnapshotStore(snapshots));
    }

    private static Keyspace open(Path dir) {
        return Keyspace.open(dir, KeyspaceConfig.defaults());
    }

    /** Puts {@code key-i = value-i} at indexes {@code from..to}, one batch of up to 100 entries at a time. */
    private static void putRange(KeyspaceStateMachine sm, long from, long to, String value) {
        List<Entry> batch = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            batch.add(new Entry(i, 1, EntryType.COMMAND, NodeCommand.write(
                    PutRequest.of(Bytes.ofUtf8("key-" + (i % 400)), Bytes.ofUtf8(value + "-" + i)))));
            if (batch.size() == 100 || i == to) {
                sm.apply(batch);
                batch = new ArrayList<>();
            }
        }
    }

    private static String get(Keyspace ks, String key) {
        var kvs = ks.range(RangeRequest.key(Bytes.ofUtf8(key))).kvs();
        return kvs.isEmpty() ? null : kvs.get(0).value().toStringUtf8();
    }

    private static List<String> tempFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void aSnapshotCapturedAtNAndWrittenWhileMoreIsAppliedHoldsExactlyN() throws Exception {
        Path snaps = tmp.resolve("snaps");
        long hashAtN;
        SnapshotMeta meta = new SnapshotMeta(1000, 1, ONE);
        try (Keyspace ks = open(tmp.resolve("src"))) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 1000, "before");
            hashAtN = ks.hash(0);
            SnapshotCapture capture = sm.captureSnapshot(meta);
            assertThat(capture.meta()).isEqualTo(meta);
            // The write runs on another thread while applies go on, as on a node's snapshot thread.
            CompletableFuture<SnapshotData> written = CompletableFuture.supplyAsync(capture::write);
            putRange(sm, 1001, 1500, "after");
            SnapshotData data = written.get(60, TimeUnit.SECONDS);
            putRange(sm, 1501, 1600, "later");
            assertThat(ks.appliedIndex()).isEqualTo(1600);
            assertThat(ks.hash(0)).isNotEqualTo(hashAtN);
            assertThat(data).isInstanceOf(FileSnapshotData.class);
            Snapshot latest = sm.latestSnapshot();
            assertThat(latest.meta()).isEqualTo(meta);
            assertThat(latest.data().checksum()).isEqualTo(data.checksum());
            assertThat(tempFiles(snaps)).isEmpty();
        }
        try (Keyspace restored = open(tmp.resolve("dst"))) {
            KeyspaceStateMachine other = machine(restored, tmp.resolve("snaps-dst"));
            other.restoreSnapshot(new SnapshotStore(snaps).load());
            assertThat(restored.appliedIndex()).isEqualTo(1000);
            assertThat(restored.hash(0)).isEqualTo(hashAtN);
            assertThat(get(restored, "key-200")).isEqualTo("before-1000");
            assertThat(get(restored, "key-100")).as("overwritten at 1300, after the capture").isEqualTo("before-900");
            assertThat(get(restored, "key-0")).isEqualTo("before-800");
        }
    }

    @Test
    void aCaptureAbandonedBeforeOrDuringItsWritePublishesNothingAndLeavesNoFile() throws Exception {
        Path snaps = tmp.resolve("snaps");
        try (Keyspace ks = open(tmp.resolve("ks"))) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 20_000, "v");
            SnapshotCapture before = sm.captureSnapshot(new SnapshotMeta(20_000, 1, ONE));
            before.close();
            assertThatThrownBy(before::write).isInstanceOf(CancellationException.class);
            assertThat(sm.latestSnapshot()).isNull();
            assertThat(tempFiles(snaps)).isEmpty();

            // Closed from another thread while it writes (or, on a fast machine, possibly after it published):
            // either way, never a half file published and no temporary file left.
            SnapshotCapture during = sm.captureSnapshot(new SnapshotMeta(20_000, 1, ONE));
            CompletableFuture<SnapshotData> written = CompletableFuture.supplyAsync(during::write);
            during.close();
            try {
                SnapshotData data = written.get(60, TimeUnit.SECONDS);
                Snapshot latest = sm.latestSnapshot();
                assertThat(latest.meta().index()).isEqualTo(20_000);
                assertThat(FileSnapshotData.of(((FileSnapshotData) latest.data()).path()).checksum())
                        .isEqualTo(data.checksum());
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(CancellationException.class);
                assertThat(sm.latestSnapshot()).isNull();
            }
            assertThat(tempFiles(snaps)).isEmpty();
        }
    }

    @Test
    void aSnapshotRestoredFromTheLeaderAbandonsTheOlderCaptureInFlight() throws Exception {
        Path leaderSnaps = tmp.resolve("leader-snaps");
        Path snaps = tmp.resolve("snaps");
        try (Keyspace leaderKs = open(tmp.resolve("leader")); Keyspace ks = open(tmp.resolve("follower"))) {
            KeyspaceStateMachine leader = machine(leaderKs, leaderSnaps);
            putRange(leader, 1, 300, "leader");
            leader.takeSnapshot(new SnapshotMeta(300, 2, ONE)); // The synchronous path: capture and write at once.

            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 100, "follower");
            SnapshotCapture inFlight = sm.captureSnapshot(new SnapshotMeta(100, 1, ONE));
            sm.restoreSnapshot(new SnapshotStore(leaderSnaps).load());
            assertThatThrownBy(inFlight::write).isInstanceOf(CancellationException.class);
            assertThat(sm.latestSnapshot().meta().index()).isEqualTo(300);
            assertThat(ks.appliedIndex()).isEqualTo(300);
            assertThat(ks.hash(0)).isEqualTo(leaderKs.hash(0));
            assertThat(tempFiles(snaps)).isEmpty();
            // And the store itself refuses to go backwards.
            SnapshotStore store = new SnapshotStore(snaps);
            Path old = store.tempFile("snapshot");
            Files.write(old, new byte[] {1});
            assertThatThrownBy(() -> store.publish(old, new SnapshotMeta(100, 1, ONE), 100, 1, 0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("newer");
        }
    }

    @Test
    void aCrashBetweenTheKeyspaceAndTheSnapshotPublicationLosesNoAcknowledgedWrite() throws Exception {
        Path snaps = tmp.resolve("snaps");
        Path live = tmp.resolve("live");
        Path durable = tmp.resolve("durable"); // What LMDB (MDB_NOSYNC) still holds after a machine crash.
        List<Entry> log = new ArrayList<>(); // The Raft log: never compacted past a published snapshot.
        try (Keyspace ks = open(live)) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 30, "a");
            Files.createDirectories(durable);
            Files.copy(live.resolve("data.mdb"), durable.resolve("data.mdb")); // LMDB durable up to 30 only
            putRange(sm, 31, 50, "a");
            sm.captureSnapshot(new SnapshotMeta(50, 1, ONE)).write(); // published: the log may go up to 50
            putRange(sm, 51, 150, "b");
            SnapshotCapture inFlight = sm.captureSnapshot(new SnapshotMeta(150, 1, ONE));
            putRange(sm, 151, 200, "c");
            // The crash: the capture at 150 is written (temp file) but never published.
            Path half = new SnapshotStore(snaps).tempFile("snapshot");
            Files.write(half, new byte[] {1, 2, 3});
            inFlight.close();
        }
        for (long i = 51; i <= 200; i++) {
            log.add(new Entry(i, 1, EntryType.COMMAND, NodeCommand.write(
                    PutRequest.of(Bytes.ofUtf8("key-" + (i % 400)), Bytes.ofUtf8((i <= 150 ? "b-" : "c-") + i)))));
        }
        try (Keyspace ks = open(durable)) {
            assertThat(ks.appliedIndex()).isEqualTo(30);
            KeyspaceStateMachine sm = machine(ks, snaps);
            assertThat(tempFiles(snaps)).as("the unpublished snapshot is deleted at start").isEmpty();
            sm.recover(); // LMDB at 30 is behind the published snapshot at 50: restored from it.
            assertThat(ks.appliedIndex()).isEqualTo(50);
            assertThat(sm.latestSnapshot().meta().index()).isEqualTo(50);
            sm.apply(log); // Raft replays the log from the snapshot on.
            assertThat(ks.appliedIndex()).isEqualTo(200);
            for (long i = 1; i <= 200; i++) { // key-i was written once, at index i.
                String expected = (i <= 50 ? "a-" : i <= 150 ? "b-" : "c-") + i;
                assertThat(get(ks, "key-" + i)).as("key-%d", i).isEqualTo(expected);
            }
        }
    }
}
