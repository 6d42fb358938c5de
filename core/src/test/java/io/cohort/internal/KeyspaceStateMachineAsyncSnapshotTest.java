package io.cohort.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.CorruptKeyspaceException;
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

/**
 * Keyspace snapshots held in place (captured at an index, written by syncing the keyspace beside further applies) and
 * the copies written for followers on demand.
 */
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

    private static List<String> files(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSnapshotIsHeldInPlaceAndACopyForAFollowerHoldsTheStateWhenItWasCaptured() throws Exception {
        Path snaps = tmp.resolve("snaps");
        SnapshotMeta meta = new SnapshotMeta(1000, 1, ONE);
        SnapshotData copy;
        long hashAtCopy;
        try (Keyspace ks = open(tmp.resolve("src"))) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 1000, "before");
            SnapshotCapture capture = sm.captureSnapshot(meta);
            assertThat(capture.meta()).isEqualTo(meta);
            // The write runs on another thread while applies go on, as on a node's snapshot thread.
            CompletableFuture<SnapshotData> written = CompletableFuture.supplyAsync(capture::write);
            putRange(sm, 1001, 1500, "after");
            SnapshotData held = written.get(60, TimeUnit.SECONDS);
            assertThat(held.writtenOnDemand()).isTrue();
            assertThat(held.heldIndex()).as("synced at or past the snapshot").isBetween(1000L, 1500L);
            assertThat(sm.latestSnapshot().meta()).isEqualTo(meta);
            assertThat(sm.latestSnapshot().data().heldIndex()).isEqualTo(held.heldIndex());
            assertThat(files(snaps)).as("nothing copied").containsExactly("snapshot.meta");

            // A follower needs it: a copy of the keyspace as it is when captured, labelled with the snapshot's meta.
            SnapshotCapture toSend = sm.captureSnapshotToSend(meta);
            hashAtCopy = ks.hash(0);
            CompletableFuture<SnapshotData> sent = CompletableFuture.supplyAsync(toSend::write);
            putRange(sm, 1501, 1600, "later");
            copy = sent.get(60, TimeUnit.SECONDS);
            assertThat(copy).isInstanceOf(FileSnapshotData.class);
            assertThat(FileSnapshotData.of(((FileSnapshotData) copy).path()).checksum()).isEqualTo(copy.checksum());
            assertThat(tempFiles(snaps)).isEmpty();
        }
        try (Keyspace restored = open(tmp.resolve("dst"))) {
            KeyspaceStateMachine other = machine(restored, tmp.resolve("snaps-dst"));
            other.restoreSnapshot(new Snapshot(meta, copy));
            assertThat(restored.appliedIndex()).as("past the snapshot's index: Raft skips up to it").isEqualTo(1500);
            assertThat(restored.hash(0)).isEqualTo(hashAtCopy);
            assertThat(get(restored, "key-100")).as("overwritten at 1300, after the snapshot's index")
                    .isEqualTo("after-1300");
            Snapshot latest = other.latestSnapshot();
            assertThat(latest.meta()).isEqualTo(meta);
            assertThat(latest.data().heldIndex()).isEqualTo(1500);
            assertThat(files(tmp.resolve("snaps-dst"))).as("the staged copy is not kept").containsExactly("snapshot.meta");
        }
    }

    @Test
    void aCaptureAbandonedBeforeItsWritePublishesNothingAndACopyStoppedMidwayLeavesNoFile() throws Exception {
        Path snaps = tmp.resolve("snaps");
        try (Keyspace ks = open(tmp.resolve("ks"))) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 20_000, "v");
            SnapshotCapture before = sm.captureSnapshot(new SnapshotMeta(20_000, 1, ONE));
            before.close();
            assertThatThrownBy(before::write).isInstanceOf(CancellationException.class);
            assertThat(sm.latestSnapshot()).isNull();
            SnapshotMeta meta = new SnapshotMeta(20_000, 1, ONE);
            sm.takeSnapshot(meta);

            // A copy for a follower closed from another thread while it writes (or, on a fast machine, possibly
            // after it finished): either way, never a half file kept and no temporary file left.
            SnapshotCapture during = sm.captureSnapshotToSend(meta);
            CompletableFuture<SnapshotData> written = CompletableFuture.supplyAsync(during::write);
            during.close();
            try {
                FileSnapshotData data = (FileSnapshotData) written.get(60, TimeUnit.SECONDS);
                assertThat(FileSnapshotData.of(data.path()).checksum()).isEqualTo(data.checksum());
                assertThat(files(snaps)).containsExactly(data.path().getFileName().toString(), "snapshot.meta");
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(CancellationException.class);
                assertThat(files(snaps)).containsExactly("snapshot.meta");
            }
            assertThat(sm.latestSnapshot().meta()).isEqualTo(meta);
        }
    }

    @Test
    void aSnapshotRestoredFromTheLeaderAbandonsTheOlderCaptureInFlight() throws Exception {
        Path leaderSnaps = tmp.resolve("leader-snaps");
        Path snaps = tmp.resolve("snaps");
        try (Keyspace leaderKs = open(tmp.resolve("leader")); Keyspace ks = open(tmp.resolve("follower"))) {
            KeyspaceStateMachine leader = machine(leaderKs, leaderSnaps);
            putRange(leader, 1, 300, "leader");
            SnapshotMeta leaderMeta = new SnapshotMeta(300, 2, ONE);
            leader.takeSnapshot(leaderMeta); // The synchronous path: capture and write at once.
            SnapshotData copy;
            try (SnapshotCapture toSend = leader.captureSnapshotToSend(leaderMeta)) {
                copy = toSend.write();
            }

            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 100, "follower");
            SnapshotCapture inFlight = sm.captureSnapshot(new SnapshotMeta(100, 1, ONE));
            sm.restoreSnapshot(new Snapshot(leaderMeta, copy));
            assertThatThrownBy(inFlight::write).isInstanceOf(CancellationException.class);
            assertThat(sm.latestSnapshot().meta().index()).isEqualTo(300);
            assertThat(ks.appliedIndex()).isEqualTo(300);
            assertThat(ks.hash(0)).isEqualTo(leaderKs.hash(0));
            assertThat(files(snaps)).containsExactly("snapshot.meta");
            // And the store itself refuses to go backwards.
            assertThatThrownBy(() -> new SnapshotStore(snaps).publishHeld(new SnapshotMeta(100, 1, ONE), 100))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("newer");
        }
    }

    @Test
    void aCrashAfterAHeldSnapshotLosesNoAcknowledgedWriteAndAKeyspaceBehindItIsReported() throws Exception {
        Path snaps = tmp.resolve("snaps");
        Path live = tmp.resolve("live");
        Path synced = tmp.resolve("synced"); // What LMDB (MDB_NOSYNC) holds after a crash: at least what was synced.
        Path lost = tmp.resolve("lost"); // A keyspace that lost synced writes (a failing disk).
        List<Entry> log = new ArrayList<>(); // The Raft log: never compacted past a published snapshot.
        try (Keyspace ks = open(live)) {
            KeyspaceStateMachine sm = machine(ks, snaps);
            putRange(sm, 1, 30, "a");
            Files.createDirectories(lost);
            Files.copy(live.resolve("data.mdb"), lost.resolve("data.mdb"));
            putRange(sm, 31, 50, "a");
            sm.captureSnapshot(new SnapshotMeta(50, 1, ONE)).write(); // published: the log may go up to 50
            Files.createDirectories(synced);
            Files.copy(live.resolve("data.mdb"), synced.resolve("data.mdb"));
            putRange(sm, 51, 150, "b");
            SnapshotCapture inFlight = sm.captureSnapshot(new SnapshotMeta(150, 1, ONE));
            putRange(sm, 151, 200, "c");
            inFlight.close(); // The crash: the snapshot at 150 is never published.
        }
        for (long i = 51; i <= 200; i++) {
            log.add(new Entry(i, 1, EntryType.COMMAND, NodeCommand.write(
                    PutRequest.of(Bytes.ofUtf8("key-" + (i % 400)), Bytes.ofUtf8((i <= 150 ? "b-" : "c-") + i)))));
        }
        try (Keyspace ks = open(synced)) {
            assertThat(ks.appliedIndex()).isEqualTo(50);
            KeyspaceStateMachine sm = machine(ks, snaps);
            sm.recover();
            assertThat(sm.latestSnapshot().meta().index()).isEqualTo(50);
            sm.apply(log); // Raft replays the log from the snapshot on.
            assertThat(ks.appliedIndex()).isEqualTo(200);
            for (long i = 1; i <= 200; i++) { // key-i was written once, at index i.
                String expected = (i <= 50 ? "a-" : i <= 150 ? "b-" : "c-") + i;
                assertThat(get(ks, "key-" + i)).as("key-%d", i).isEqualTo(expected);
            }
        }
        try (Keyspace ks = open(lost)) {
            assertThat(ks.appliedIndex()).isEqualTo(30);
            KeyspaceStateMachine sm = machine(ks, snaps);
            assertThatThrownBy(sm::recover).isInstanceOf(CorruptKeyspaceException.class)
                    .hasMessageContaining("holds applied index 30 but was synced at 50");
            assertThat(ks.appliedIndex()).isEqualTo(30);
        }
    }
}
