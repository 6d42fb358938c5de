package io.cohort.raft.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.raft.Membership;
import io.cohort.raft.RaftNode;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotCapture;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.internal.MemoryLogStorage;
import io.cohort.raft.transport.InMemoryNetwork;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Snapshots captured on the applying thread and written on the snapshot thread: applies and commits go on while one
 * is written, the log is compacted only behind written ones, and closing or installing a leader's snapshot abandons
 * the one in flight.
 */
class RaftNodeAsyncSnapshotTest {
    private static final Membership THREE = new Membership(Set.of(1L, 2L, 3L), Set.of());
    private static final long INTERVAL = 50;

    private final InMemoryNetwork network = InMemoryNetwork.create(7);
    private final Map<Long, RaftNode> nodes = new TreeMap<>();
    private final Map<Long, GatedMachine> machines = new TreeMap<>();
    private final Map<Long, MemoryLogStorage> logs = new TreeMap<>();

    @AfterEach
    void closeAll() {
        machines.values().forEach(m -> m.gate.countDown());
        nodes.values().forEach(RaftNode::close);
        network.close();
    }

    /**
     * A list state machine whose captures copy the list at once and whose writes wait for {@link #gate}; a written
     * snapshot becomes {@link #latest} only if the capture was not closed (abandoned) meanwhile.
     */
    static final class GatedMachine extends RaftNodeTest.ListStateMachine {
        final CountDownLatch gate = new CountDownLatch(1);
        final List<SnapshotMeta> captured = Collections.synchronizedList(new ArrayList<>());
        final List<SnapshotMeta> published = Collections.synchronizedList(new ArrayList<>());
        final List<SnapshotMeta> abandoned = Collections.synchronizedList(new ArrayList<>());
        final List<Long> restored = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch writeStarted = new CountDownLatch(1);
        private final Object publishLock = new Object();

        @Override
        public SnapshotCapture captureSnapshot(SnapshotMeta meta) {
            assertThat(appliedIndex).as("captured at the applied index, exactly").isEqualTo(meta.index());
            byte[] state = String.join("\n", applied).getBytes(StandardCharsets.UTF_8);
            captured.add(meta);
            return new SnapshotCapture() {
                private boolean closed; // guarded by publishLock

                @Override
                public SnapshotMeta meta() {
                    return meta;
                }

                @Override
                public SnapshotData write() {
                    writeStarted.countDown();
                    try {
                        while (!gate.await(5, TimeUnit.MILLISECONDS)) {
                            synchronized (publishLock) {
                                if (closed) {
                                    break;
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    synchronized (publishLock) {
                        if (closed) {
                            abandoned.add(meta);
                            throw new CancellationException("abandoned at " + meta.index());
                        }
                        Snapshot s = new Snapshot(meta, state);
                        if (latest == null || latest.meta().index() < meta.index()) {
                            latest = s;
                        }
                        published.add(meta);
                        return s.data();
                    }
                }

                @Override
                public void close() {
                    synchronized (publishLock) {
                        closed = true;
                    }
                }
            };
        }

        @Override
        public void restoreSnapshot(Snapshot snapshot) {
            synchronized (publishLock) {
                restored.add(snapshot.meta().index());
                super.restoreSnapshot(snapshot);
            }
        }
    }

    private RaftNode start(long id) {
        GatedMachine sm = machines.computeIfAbsent(id, k -> new GatedMachine());
        MemoryLogStorage log = logs.computeIfAbsent(id, k -> new MemoryLogStorage());
        RaftNode n = RaftNode.builder(id)
                .raft(r -> r.bootstrap(THREE).electionTicks(30).heartbeatTicks(1).randomSeed(id)
                        .snapshotIntervalEntries(INTERVAL))
                .storage(log)
                .transport(network.transport(id))
                .stateMachine(sm)
                .tickMs(10)
                .requestTimeoutMs(5_000)
                .start();
        nodes.put(id, n);
        return n;
    }

    private RaftNode startThreeAndAwaitLeader() throws InterruptedException {
        for (long id = 1; id <= 3; id++) {
            start(id);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes.values()) {
                if (n.status().isLeader()) {
                    return n;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no leader within 10 s");
    }

    private static List<String> propose(RaftNode leader, int from, int count) throws Exception {
        List<String> commands = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            commands.add("c" + i);
            leader.propose(("c" + i).getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        }
        return commands;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void commitsGoOnWhileASnapshotIsWrittenAndTheLogIsCompactedOnlyBehindWrittenOnes() throws Exception {
        RaftNode leader = startThreeAndAwaitLeader();
        GatedMachine lm = machines.get(leader.id());
        // Every write stays stuck at the gate: 4 snapshot intervals of proposals all commit and apply meanwhile.
        List<String> expected = propose(leader, 0, (int) (4 * INTERVAL));
        assertThat(lm.applied).containsExactlyElementsOf(expected);
        assertThat(lm.writeStarted.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(lm.captured).as("one snapshot in flight at most: later snapshot points are skipped").hasSize(1);
        assertThat(lm.published).isEmpty();
        assertThat(logs.get(leader.id()).snapshot().index()).as("nothing compacted before a snapshot is written")
                .isZero();

        machines.values().forEach(m -> m.gate.countDown());
        await("the first snapshot is written", () -> lm.published.size() == 1);
        assertThat(lm.published.get(0)).isEqualTo(lm.captured.get(0));
        // The next ones are taken and written at once; the log is compacted behind the one before the newest.
        expected.addAll(propose(leader, expected.size(), (int) (3 * INTERVAL)));
        await("a later snapshot is written and the log compacted behind the first",
                () -> logs.get(leader.id()).snapshot().index() >= lm.published.get(0).index());
        SnapshotMeta compacted = logs.get(leader.id()).snapshot();
        assertThat(lm.published).as("compacted to a written snapshot, exactly").contains(compacted);
        assertThat(lm.published.get(lm.published.size() - 1).index()).isGreaterThan(compacted.index());
        assertThat(lm.abandoned).isEmpty();
    }

    @Test
    void closingANodeAbandonsTheSnapshotBeingWrittenWithoutPublishingIt() throws Exception {
        RaftNode leader = startThreeAndAwaitLeader();
        GatedMachine lm = machines.get(leader.id());
        propose(leader, 0, (int) (2 * INTERVAL));
        assertThat(lm.writeStarted.await(10, TimeUnit.SECONDS)).isTrue();
        long startNs = System.nanoTime();
        nodes.remove(leader.id()).close(); // The gate stays shut: only the close can end the write.
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs)).isLessThan(10);
        assertThat(lm.abandoned).containsExactlyElementsOf(lm.captured);
        assertThat(lm.published).isEmpty();
        assertThat(lm.latestSnapshot()).isNull();
    }

    @Test
    void aFollowerInstallsAnAsynchronouslyWrittenSnapshotAndAbandonsTheOneItWasWriting() throws Exception {
        RaftNode leader = startThreeAndAwaitLeader();
        long followerId = leader.id() % 3 + 1;
        GatedMachine follower = machines.get(followerId);
        for (GatedMachine m : machines.values()) {
            if (m != follower) {
                m.gate.countDown(); // The others write their snapshots at once; the follower's stays stuck.
            }
        }
        List<String> expected = propose(leader, 0, (int) (INTERVAL + 10));
        assertThat(follower.writeStarted.await(10, TimeUnit.SECONDS)).isTrue();
        network.isolate(followerId);
        expected.addAll(propose(leader, expected.size(), (int) (5 * INTERVAL)));
        await("the leader compacts its log past the follower",
                () -> logs.get(leader.id()).snapshot().index() > follower.captured.get(0).index());
        network.heal();
        await("the follower catches up", () -> follower.applied.size() == expected.size());
        synchronized (follower.applied) {
            assertThat(follower.applied).containsExactlyElementsOf(expected);
        }
        assertThat(follower.restored).as("caught up from the leader's snapshot").isNotEmpty();
        await("the capture in flight is abandoned", () -> !follower.abandoned.isEmpty());
        assertThat(follower.abandoned).first().isEqualTo(follower.captured.get(0));
        assertThat(follower.published).doesNotContain(follower.captured.get(0));
        assertThat(follower.latestSnapshot().meta().index()).isGreaterThanOrEqualTo(follower.restored.get(0));
    }
}
