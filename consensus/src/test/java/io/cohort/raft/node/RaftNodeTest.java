package io.cohort.raft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.raft.Applied;
import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.FileSnapshotStaging;
import io.cohort.raft.SnapshotCorruptedException;
import io.cohort.raft.SnapshotStaging;
import io.cohort.raft.Entry;
import io.cohort.raft.LogStorage;
import io.cohort.raft.Membership;
import io.cohort.raft.NodeStatus;
import io.cohort.raft.RaftException;
import io.cohort.raft.RaftNode;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.StateMachine;
import io.cohort.raft.internal.MemoryLogStorage;
import io.cohort.raft.log.ChronicleLogStorage;
import io.cohort.raft.transport.InMemoryNetwork;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import io.cohort.raft.Transport;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import org.agrona.DirectBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A three-member group of real {@link RaftNode}s in one JVM over the in-memory transport. */
class RaftNodeTest {
    private static final Membership THREE = new Membership(java.util.Set.of(1L, 2L, 3L), java.util.Set.of());

    @TempDir
    Path tmp;

    private final InMemoryNetwork network = InMemoryNetwork.create(42);
    private final Map<Long, RaftNode> nodes = new TreeMap<>();
    private final Map<Long, ListStateMachine> machines = new TreeMap<>();

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        network.close();
    }

    /** Keeps every applied command in order; snapshots are the whole list. */
    static class ListStateMachine implements StateMachine {
        final List<String> applied = Collections.synchronizedList(new ArrayList<>());
        /** The names of the threads that applied commands. */
        final Set<String> applyThreads = ConcurrentHashMap.newKeySet();
        volatile long appliedIndex;
        volatile Snapshot latest;

        @Override
        public long appliedIndex() {
            return appliedIndex;
        }

        @Override
        public List<?> apply(List<Entry> committed) {
            List<String> results = new ArrayList<>(committed.size());
            applyThreads.add(Thread.currentThread().getName());
            for (Entry e : committed) {
                assertThat(e.index()).isGreaterThan(appliedIndex);
                String command = new String(e.data(), StandardCharsets.UTF_8);
                applied.add(command);
                appliedIndex = e.index();
                results.add("applied " + command + " at " + e.index());
            }
            return results;
        }

        @Override
        public SnapshotData takeSnapshot(SnapshotMeta meta) {
            String joined = String.join("\n", applied);
            latest = new Snapshot(meta, joined.getBytes(StandardCharsets.UTF_8));
            return latest.data();
        }

        @Override
        public void restoreSnapshot(Snapshot snapshot) {
            applied.clear();
            String s = new String(snapshot.data().readAllBytes(1 << 24), StandardCharsets.UTF_8);
            if (!s.isEmpty()) {
                Collections.addAll(applied, s.split("\n"));
            }
            appliedIndex = snapshot.meta().index();
            latest = snapshot;
        }

        @Override
        public Snapshot latestSnapshot() {
            return latest;
        }
    }

    private RaftNode start(long id, Function<Long, LogStorage> storage, long snapshotInterval) {
        return start(id, storage, snapshotInterval, network.transport(id), ForkJoinPool.commonPool());
    }

    private RaftNode start(long id, Function<Long, LogStorage> storage, long snapshotInterval, Transport transport,
                           Executor callbacks) {
        ListStateMachine sm = machines.computeIfAbsent(id, k -> new ListStateMachine());
        RaftNode n = RaftNode.builder(id)
                // 300 ms elections: the machine running the suite may be loaded, and these tests are not about
                // how fast an election is.
                .raft(r -> r.bootstrap(THREE).electionTicks(30).heartbeatTicks(1).randomSeed(id)
                        .snapshotIntervalEntries(snapshotInterval))
                .storage(storage.apply(id))
                .transport(transport)
                .stateMachine(sm)
                .callbackExecutor(callbacks)
                .tickMs(10)
                .requestTimeoutMs(3_000)
                .start();
        nodes.put(id, n);
        return n;
    }

    /** {@code t}, saying its inbound threads may block (onDrained after each message): nodes run raft work there. */
    private static Transport inboundThreadsMayBlock(Transport t) {
        return new Transport() {
            @Override
            public void start(long selfId, Inbound inbound) {
                t.start(selfId, (fromId, buffer, offset, length) -> {
                    inbound.onMessage(fromId, buffer, offset, length);
                    inbound.onDrained(fromId); // as a transport that reads one message at a time
                });
            }

            @Override
            public boolean send(long toId, DirectBuffer buffer, int offset, int length) {
                return t.send(toId, buffer, offset, length);
            }

            @Override
            public boolean inboundThreadsMayBlock() {
                return true;
            }

            @Override
            public void close() {
                t.close();
            }
        };
    }

    private RaftNode awaitLeader() throws InterruptedException {
        return awaitLeaderOtherThan(0);
    }

    private RaftNode awaitLeaderOtherThan(long excluded) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes.values()) {
                NodeStatus s = n.status();
                if (s.isLeader() && n.id() != excluded) {
                    return n;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no leader within 10 s: " + nodes.values().stream().map(RaftNode::status).toList());
    }

    private void awaitApplied(List<String> expected, long... ids) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (long id : ids) {
            ListStateMachine sm = machines.get(id);
            while (sm.applied.size() < expected.size() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            synchronized (sm.applied) {
                assertThat(sm.applied).as("member %d applied", id).containsExactlyElementsOf(expected);
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void proposalsOnAnyMemberAreAppliedEverywhereInOneOrder() throws Exception {
        for (long id = 1; id <= 3; id++) {
            start(id, i -> new MemoryLogStorage(), 0);
        }
        awaitLeader();
        List<CompletableFuture<Applied>> futures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            futures.add(nodes.get((long) (i % 3) + 1).propose(utf8("cmd-" + i)));
        }
        List<Long> indexes = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Applied applied = futures.get(i).get(10, TimeUnit.SECONDS);
            // The proposer's own state machine computed the result it is handed.
            assertThat(applied.result()).isEqualTo("applied cmd-" + i + " at " + applied.index());
            indexes.add(applied.index());
        }
        assertThat(indexes).doesNotHaveDuplicates();
        // Each future completed once its proposer applied the entry; member 1 may still be applying its last ones.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (machines.get(1L).applied.size() < 300 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<String> order = new ArrayList<>(machines.get(1L).applied);
        assertThat(order).hasSize(300);
        awaitApplied(order, 1, 2, 3);
        // A proposal's index says where it sits in the one order.
        List<Long> sorted = new ArrayList<>(indexes);
        Collections.sort(sorted);
        for (int i = 0; i < 300; i++) {
            int position = sorted.indexOf(indexes.get(i));
            assertThat(order.get(position)).isEqualTo("cmd-" + i);
        }
    }

    @Test
    void whileTheRaftThreadIsParkedInboundThreadsRunTheRaftWorkButCallbacksStayOnTheExecutor() throws Exception {
        ExecutorService callbacks = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-callbacks"));
        try {
            Function<Long, LogStorage> chronicle = id -> ChronicleLogStorage.open(tmp.resolve("log-" + id));
            for (long id = 1; id <= 3; id++) {
                start(id, chronicle, 0, inboundThreadsMayBlock(network.transport(id)), callbacks);
            }
            RaftNode leader = awaitLeader();
            Set<String> callbackThreads = ConcurrentHashMap.newKeySet();
            List<String> expected = new ArrayList<>();
            String testThread = Thread.currentThread().getName();
            for (int i = 0; i < 40; i++) {
                expected.add("one-" + i);
                CompletableFuture<Applied> f = leader.propose(utf8("one-" + i));
                f.whenComplete((r, e) -> callbackThreads.add(Thread.currentThread().getName()));
                assertThat(f.get(10, TimeUnit.SECONDS).result()).isEqualTo("applied one-" + i + " at "
                        + f.get().index());
                Thread.sleep(2); // one at a time, with room for the raft threads to park in between
            }
            awaitApplied(expected, 1, 2, 3);
            // The followers' appends and applies ran where the messages were delivered, not only on the raft threads.
            Set<String> followerApplyThreads = new HashSet<>();
            for (RaftNode n : nodes.values()) {
                if (n != leader) {
                    followerApplyThreads.addAll(machines.get(n.id()).applyThreads);
                }
            }
            assertThat(followerApplyThreads).as("threads that applied on the followers")
                    .anyMatch(name -> !name.startsWith("cohort-raft-"));
            // A dependent runs on the thread completing the future (the executor), or on the test's own thread when
            // it was added after completion; never on a thread that runs raft work.
            assertThat(callbackThreads).contains("test-callbacks");
            assertThat(callbackThreads).allMatch(name -> name.equals("test-callbacks") || name.equals(testThread),
                    "the callback executor's thread or the test's");
        } finally {
            nodes.values().forEach(RaftNode::close);
            callbacks.shutdownNow();
        }
    }

    @Test
    void aDeferredCommitIndexReachesTheFollowersWithinMillisecondsNotAtTheNextHeartbeat() throws Exception {
        followersLearnADeferredCommitIndexSoon(false);
    }

    @Test
    void aDeferredCommitIndexLearntOnAnInboundThreadReachesTheFollowersWithinMilliseconds() throws Exception {
        followersLearnADeferredCommitIndexSoon(true);
    }

    /**
     * Leaders defer commit-only appends; ticks (and heartbeats) are a second apart. One write at a time, nothing
     * after it: the followers must still apply each within milliseconds (the leader sends the commit index
     * COMMIT_DEFER_NS later), not at the next tick. With {@code inboundRunsRaftWork}, acks commit on the
     * delivering thread (the network's, every message delayed 1 ms) while the raft thread is parked, which must
     * then wake in time.
     */
    private void followersLearnADeferredCommitIndexSoon(boolean inboundRunsRaftWork) throws Exception {
        if (inboundRunsRaftWork) {
            network.faults(io.cohort.raft.transport.Faults.none().withDelayMillis(1));
        }
        for (long id = 1; id <= 3; id++) {
            ListStateMachine sm = machines.computeIfAbsent(id, k -> new ListStateMachine());
            Transport t = inboundRunsRaftWork ? inboundThreadsMayBlock(network.transport(id)) : network.transport(id);
            long seed = id;
            nodes.put(id, RaftNode.builder(id)
                    .raft(r -> r.bootstrap(THREE).electionTicks(2).heartbeatTicks(1).randomSeed(seed)
                            .snapshotIntervalEntries(0).deferCommitOnlyAppends(true))
                    .storage(new MemoryLogStorage())
                    .transport(t)
                    .stateMachine(sm)
                    .tickMs(1_000)
                    .requestTimeoutMs(10_000)
                    .start());
        }
        RaftNode leader = awaitLeader();
        List<Long> lagsMs = new ArrayList<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 8; i++) {
            Thread.sleep(20 + random.nextInt(300)); // anywhere between two ticks
            long index = leader.propose(utf8("w-" + i)).get(10, TimeUnit.SECONDS).index();
            long committedNs = System.nanoTime();
            for (RaftNode n : nodes.values()) {
                ListStateMachine sm = machines.get(n.id());
                long deadline = committedNs + TimeUnit.SECONDS.toNanos(5);
                while (sm.appliedIndex < index && System.nanoTime() < deadline) {
                    Thread.sleep(0, 200_000);
                }
                assertThat(sm.appliedIndex).as("member %d applied write %d", n.id(), i).isGreaterThanOrEqualTo(index);
            }
            lagsMs.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - committedNs));
        }
        Collections.sort(lagsMs);
        // At the next tick the median lag would be about 500 ms.
        assertThat(lagsMs.get(lagsMs.size() / 2)).as("median ms from commit to applied everywhere, of %s", lagsMs)
                .isLessThan(20);
    }

    @Test
    void readIndexSeesEveryEarlierAcknowledgedWrite() throws Exception {
        for (long id = 1; id <= 3; id++) {
            start(id, i -> new MemoryLogStorage(), 0);
        }
        RaftNode leader = awaitLeader();
        long written = leader.propose(utf8("w")).get(10, TimeUnit.SECONDS).index();
        for (RaftNode n : nodes.values()) {
            long readIndex = n.readIndex().get(10, TimeUnit.SECONDS);
            assertThat(readIndex).isGreaterThanOrEqualTo(written);
            assertThat(machines.get(n.id()).applied).contains("w");
        }
    }

    @Test
    void aReadInFlightWhenTheLeaderIsLostIsAnsweredByTheNextLeader() throws Exception {
        for (long id = 1; id <= 3; id++) {
            start(id, i -> new MemoryLogStorage(), 0);
        }
        RaftNode old = awaitLeader();
        long written = old.propose(utf8("w")).get(10, TimeUnit.SECONDS).index();
        RaftNode follower = nodes.values().stream().filter(n -> n != old).findFirst().orElseThrow();
        awaitApplied(List.of("w"), follower.id());
        network.isolate(old.id());
        // The follower still takes the old leader for the leader: the read goes there and is never confirmed.
        CompletableFuture<Long> read = follower.readIndex();
        RaftNode fresh = awaitLeaderOtherThan(old.id());
        assertThat(fresh.id()).isNotEqualTo(old.id());
        // Asked again of the new leader: answered well within the request timeout, not failed by it.
        assertThat(read.get(2_500, TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(written);
    }

    @Test
    void anIsolatedLeaderIsReplacedAndItsStrandedProposalsFailWithUnknownOutcome() throws Exception {
        for (long id = 1; id <= 3; id++) {
            start(id, i -> new MemoryLogStorage(), 0);
        }
        RaftNode old = awaitLeader();
        old.propose(utf8("before")).get(10, TimeUnit.SECONDS);
        network.isolate(old.id());
        CompletableFuture<Applied> stranded = old.propose(utf8("stranded"));
        RaftNode fresh = awaitLeaderOtherThan(old.id());
        fresh.propose(utf8("after")).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> stranded.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfAny(RaftException.OutcomeUnknown.class, RaftException.NotAccepted.class);
        network.heal();
        List<String> expected = List.of("before", "after");
        long[] all = {1, 2, 3};
        awaitApplied(expected, all);
    }

    @Test
    void withoutQuorumRequestsFailAfterTheTimeoutSayingSo() throws Exception {
        for (long id = 1; id <= 3; id++) {
            start(id, i -> new MemoryLogStorage(), 0);
        }
        awaitLeader();
        nodes.get(3L).close();
        nodes.get(2L).close();
        RaftNode lonely = nodes.get(1L);
        Thread.sleep(300); // Check-quorum makes a lonely leader step down.
        assertThatThrownBy(() -> lonely.readIndex().get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(RaftException.NotAccepted.class).hasMessageContaining("quorum");
    }

    @Test
    void closedNodesFailRequestsAndCloseIsIdempotent() throws Exception {
        RaftNode n = start(1, i -> new MemoryLogStorage(), 0);
        n.close();
        n.close();
        assertThatThrownBy(() -> n.propose(utf8("x")).get(1, TimeUnit.SECONDS))
                .cause().isInstanceOf(RaftException.NodeClosed.class);
    }

    @Test
    void aRestartedMemberOnChronicleLogsRejoinsAndCatchesUpBySnapshot() throws Exception {
        Function<Long, LogStorage> chronicle = id -> ChronicleLogStorage.open(tmp.resolve("log-" + id));
        for (long id = 1; id <= 3; id++) {
            start(id, chronicle, 50);
        }
        RaftNode leader = awaitLeader();
        long follower = leader.id() % 3 + 1;
        nodes.remove(follower).close();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            expected.add("c" + i);
            leader.propose(utf8("c" + i)).get(10, TimeUnit.SECONDS);
        }
        // The follower kept its (volatile) state machine; its log is behind the leader's compaction.
        start(follower, chronicle, 50);
        awaitApplied(expected, 1, 2, 3);
    }

    /** Stages snapshots in files; the disk corrupts the first one staged. */
    static final class CorruptingStagingMachine extends ListStateMachine {
        final Path dir;
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final AtomicBoolean corruptNext = new AtomicBoolean(true);

        CorruptingStagingMachine(Path dir) {
            this.dir = dir;
        }

        @Override
        public SnapshotStaging stageSnapshot(SnapshotMeta meta, long sizeBytes, int checksum) {
            Path file = dir.resolve("staged-" + meta.index() + "-" + System.nanoTime());
            FileSnapshotStaging inner = FileSnapshotStaging.create(file, meta, sizeBytes, checksum);
            return new SnapshotStaging() {
                @Override
                public void write(long offset, byte[] chunk) {
                    inner.write(offset, chunk);
                }

                @Override
                public SnapshotData finish() {
                    if (corruptNext.getAndSet(false)) {
                        try {
                            byte[] b = Files.readAllBytes(file);
                            b[b.length / 2] ^= 0x20;
                            Files.write(file, b);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    try {
                        return inner.finish();
                    } catch (SnapshotCorruptedException e) {
                        events.add("refused " + meta.index());
                        throw e;
                    }
                }

                @Override
                public void abort() {
                    inner.abort();
                }
            };
        }

        @Override
        public void restoreSnapshot(Snapshot snapshot) {
            assertThat(snapshot.data()).isInstanceOf(FileSnapshotData.class);
            events.add("restored " + snapshot.meta().index());
            super.restoreSnapshot(snapshot);
        }
    }

    @Test
    void aSnapshotCorruptedInStagingIsRefusedNotInstalledAndTheLeaderSendsItAgain() throws Exception {
        for (long id = 1; id <= 3; id++) {
            machines.put(id, new CorruptingStagingMachine(tmp));
            start(id, i -> new MemoryLogStorage(), 50);
        }
        RaftNode leader = awaitLeader();
        long follower = leader.id() % 3 + 1;
        network.isolate(follower);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            expected.add("c" + i);
            leader.propose(utf8("c" + i)).get(10, TimeUnit.SECONDS);
        }
        network.heal();
        awaitApplied(expected, 1, 2, 3);
        List<String> events = List.copyOf(((CorruptingStagingMachine) machines.get(follower)).events);
        assertThat(events).as("the corrupt staging is refused before anything is installed").isNotEmpty()
                .first().asString().startsWith("refused");
        assertThat(events).filteredOn(e -> e.startsWith("restored")).isNotEmpty();
        assertThat(events).filteredOn(e -> e.startsWith("refused")).hasSize(1);
        try (var files = Files.list(tmp)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("staged-")).count())
                    .as("the refused staging file is deleted; the installed ones are the machine's").isLessThanOrEqualTo(
                            events.stream().filter(e -> e.startsWith("restored")).count());
        }
    }
}
