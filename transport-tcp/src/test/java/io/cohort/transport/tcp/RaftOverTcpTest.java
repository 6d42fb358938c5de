package io.cohort.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.raft.Applied;
import io.cohort.raft.Entry;
import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.FileSnapshotStaging;
import io.cohort.raft.Membership;
import io.cohort.raft.NodeStatus;
import io.cohort.raft.RaftNode;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.SnapshotStaging;
import io.cohort.raft.StateMachine;
import io.cohort.raft.internal.MemoryLogStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real {@link RaftNode}s over TCP on loopback. */
class RaftOverTcpTest {
    private static final Membership THREE = new Membership(Set.of(1L, 2L, 3L), Set.of());

    private final Map<Long, RaftNode> nodes = new TreeMap<>();
    private final Map<Long, ListStateMachine> machines = new TreeMap<>();
    private final Map<Long, MemoryLogStorage> disks = new TreeMap<>();
    private final Map<Long, InetSocketAddress> addresses = new TreeMap<>();
    private final Map<Long, TcpTransport> transports = new TreeMap<>();
    /** If positive, members take file-backed snapshots padded by this many bytes, and stage received ones in files. */
    private int snapshotPadBytes;

    @TempDir
    Path tmp;

    @AfterEach
    void closeAll() {
        nodes.values().forEach(RaftNode::close);
        transports.values().forEach(TcpTransport::close);
    }

    /**
     * Keeps every applied command in order; snapshots are the whole list, in memory, or with {@link #dir} set in a
     * file ({@code [int length][list][padBytes of padding]}) staged in a file when received.
     */
    static final class ListStateMachine implements StateMachine {
        final List<String> applied = Collections.synchronizedList(new ArrayList<>());
        volatile long appliedIndex;
        volatile Snapshot latest;
        Path dir;
        int padBytes;
        Path lastTaken;
        final List<Snapshot> installed = Collections.synchronizedList(new ArrayList<>());

        @Override
        public long appliedIndex() {
            return appliedIndex;
        }

        @Override
        public List<?> apply(List<Entry> committed) {
            List<String> results = new ArrayList<>(committed.size());
            for (Entry e : committed) {
                String command = new String(e.data(), StandardCharsets.UTF_8);
                applied.add(command);
                appliedIndex = e.index();
                results.add("applied " + command);
            }
            return results;
        }

        @Override
        public SnapshotData takeSnapshot(SnapshotMeta meta) {
            byte[] list = String.join("\n", applied).getBytes(StandardCharsets.UTF_8);
            if (dir == null) {
                latest = new Snapshot(meta, list);
                return latest.data();
            }
            Path file = dir.resolve("taken-" + meta.index() + "-" + System.nanoTime());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(4).putInt(0, list.length));
                ch.write(ByteBuffer.wrap(list));
                byte[] pad = new byte[64 * 1024];
                for (long written = 0; written < padBytes; written += pad.length) {
                    for (int i = 0; i < pad.length; i++) {
                        pad[i] = padByte(written + i);
                    }
                    ch.write(ByteBuffer.wrap(pad, 0, (int) Math.min(pad.length, padBytes - written)));
                }
                ch.force(true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            latest = new Snapshot(meta, FileSnapshotData.of(file));
            // Only the latest stays on disk: a leader still sending the older one starts over with this one.
            if (lastTaken != null) {
                try {
                    Files.delete(lastTaken);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            lastTaken = file;
            return latest.data();
        }

        static byte padByte(long i) {
            return (byte) (i * 0x9E3779B1L >>> 24);
        }

        @Override
        public SnapshotStaging stageSnapshot(SnapshotMeta meta, long sizeBytes, int checksum) {
            return dir == null ? StateMachine.super.stageSnapshot(meta, sizeBytes, checksum)
                    : FileSnapshotStaging.create(dir.resolve("staged-" + meta.index() + "-" + System.nanoTime()), meta,
                            sizeBytes, checksum);
        }

        @Override
        public void restoreSnapshot(Snapshot snapshot) {
            installed.add(snapshot);
            applied.clear();
            String s;
            if (dir == null) {
                s = new String(snapshot.data().readAllBytes(1 << 24), StandardCharsets.UTF_8);
            } else {
                SnapshotData data = snapshot.data();
                byte[] head = new byte[4];
                data.read(0, head, 0, 4);
                byte[] list = new byte[ByteBuffer.wrap(head).getInt()];
                data.read(4, list, 0, list.length);
                s = new String(list, StandardCharsets.UTF_8);
                byte[] pad = new byte[64 * 1024];
                long start = 4 + list.length;
                for (long off = 0; off < data.sizeBytes() - start; off += pad.length) {
                    int n = (int) Math.min(pad.length, data.sizeBytes() - start - off);
                    data.read(start + off, pad, 0, n);
                    for (int i = 0; i < n; i++) {
                        assertThat(pad[i]).isEqualTo(padByte(off + i));
                    }
                }
            }
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

    private TcpTransport transport(long id, InetSocketAddress listen) {
        TcpTransport.Builder b = TcpTransport.builder().clusterId("raft-over-tcp").memberId(id).listen(listen)
            .reconnectBackoffMs(10, 200);
        addresses.forEach((peer, address) -> {
            if (peer != id) {
                b.peer(peer, address);
            }
        });
        TcpTransport t = b.build();
        transports.put(id, t);
        return t;
    }

    private RaftNode start(long id, TcpTransport transport) {
        ListStateMachine sm = machines.computeIfAbsent(id, k -> {
            ListStateMachine m = new ListStateMachine();
            if (snapshotPadBytes > 0) {
                m.dir = tmp;
                m.padBytes = snapshotPadBytes;
            }
            return m;
        });
        // A restarted member finds its log as it was on disk.
        MemoryLogStorage disk = disks.containsKey(id) ? new MemoryLogStorage(disks.get(id)) : new MemoryLogStorage();
        disks.put(id, disk);
        RaftNode n = RaftNode.builder(id)
            .raft(r -> r.bootstrap(THREE).electionTicks(10).heartbeatTicks(1).randomSeed(id).snapshotIntervalEntries(50))
            .storage(disk)
            .transport(transport)
            .stateMachine(sm)
            .tickMs(10)
            .requestTimeoutMs(5_000)
            .start();
        nodes.put(id, n);
        return n;
    }

    private RaftNode awaitLeader() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            for (RaftNode n : nodes.values()) {
                NodeStatus s = n.status();
                if (s.isLeader()) {
                    return n;
                }
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no leader within 15 s: " + nodes.values().stream().map(RaftNode::status).toList());
    }

    private void awaitApplied(List<String> expected, long id) throws InterruptedException {
        ListStateMachine sm = machines.get(id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (sm.applied.size() < expected.size() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        synchronized (sm.applied) {
            assertThat(sm.applied).as("member %d applied", id).containsExactlyElementsOf(expected);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void threeMembersElectCommitAndARestartedMemberOnTheSamePortCatchesUp() throws Exception {
        long follower = electCommitRestartAFollowerAndCatchUp();
        assertThat(machines.get(follower).installed).isNotEmpty();
    }

    @Test
    void aSnapshotOfSeveralChunksIsStreamedFromFileToFileOverTcp() throws Exception {
        snapshotPadBytes = 3 << 20; // three and a bit 1 MiB chunks
        // The snapshot interval grows with the snapshot's size, to at most 64 times the configured 50 entries, and
        // the log is compacted behind the snapshot before the latest: the follower misses two such intervals.
        long follower = electCommitRestartAFollowerAndCatchUp(2 * 64 * 50 + 300);
        List<Snapshot> installed = machines.get(follower).installed;
        assertThat(installed).isNotEmpty();
        for (Snapshot s : installed) {
            assertThat(s.data()).isInstanceOf(FileSnapshotData.class);
            assertThat(s.data().sizeBytes()).isGreaterThan(3L << 20);
        }
    }

    /** Returns the follower that was stopped, written past and restarted (it catches up by snapshot). */
    private long electCommitRestartAFollowerAndCatchUp() throws Exception {
        return electCommitRestartAFollowerAndCatchUp(300);
    }

    /** As above, with {@code entriesWhileDown} entries committed while the follower is down. */
    private long electCommitRestartAFollowerAndCatchUp(int entriesWhileDown) throws Exception {
        // Bind all three first (port 0), then tell each the others' addresses.
        List<TcpTransport> initial = new ArrayList<>();
        for (long id = 1; id <= 3; id++) {
            TcpTransport t = transport(id, new InetSocketAddress("127.0.0.1", 0));
            addresses.put(id, t.localAddress());
            initial.add(t);
        }
        for (TcpTransport t : initial) {
            addresses.forEach((peer, address) -> {
                if (peer != t.memberId()) {
                    t.addPeer(peer, address);
                }
            });
        }
        for (long id = 1; id <= 3; id++) {
            start(id, transports.get(id));
        }
        RaftNode leader = awaitLeader();
        List<String> expected = new ArrayList<>();
        List<CompletableFuture<Applied>> futures = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add("a" + i);
            futures.add(nodes.get((long) (i % 3) + 1).propose(utf8("a" + i)));
        }
        for (CompletableFuture<Applied> f : futures) {
            f.get(15, TimeUnit.SECONDS);
        }
        // Each future completed when its proposer applied; the leader may still be applying.
        ListStateMachine leaderMachine = machines.get(leader.id());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (leaderMachine.applied.size() < expected.size() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<String> order = new ArrayList<>(leaderMachine.applied);
        assertThat(order).containsExactlyInAnyOrderElementsOf(expected);
        for (long id = 1; id <= 3; id++) {
            awaitApplied(order, id);
        }

        // Stop a follower (node and transport), write on, and start it again on a new transport, same port.
        long follower = leader.id() % 3 + 1;
        nodes.remove(follower).close();
        transports.get(follower).close();
        List<String> more = new ArrayList<>(order);
        List<CompletableFuture<Applied>> window = new ArrayList<>();
        for (int i = 0; i < entriesWhileDown; i++) {
            more.add("b" + i);
            window.add(leader.propose(utf8("b" + i)));
            if (window.size() == 50 || i == entriesWhileDown - 1) { // in order: one proposer, one leader
                for (CompletableFuture<Applied> f : window) {
                    f.get(15, TimeUnit.SECONDS);
                }
                window.clear();
            }
        }
        start(follower, transport(follower, addresses.get(follower)));
        for (long id = 1; id <= 3; id++) {
            awaitApplied(more, id);
        }
        // The leader redialed the restarted member without being told (the other follower sends it nothing).
        assertThat(transports.get(leader.id()).metrics().reconnects()).isGreaterThanOrEqualTo(1);
        for (TcpTransport t : transports.values()) {
            assertThat(t.metrics().corruptFrames()).isZero();
        }
        assertThat(nodes.get(follower).propose(utf8("after")).get(15, TimeUnit.SECONDS).result()).isEqualTo("applied after");
        return follower;
    }
}
