package io.cohort.raft;

import io.cohort.raft.internal.MemoryLogStorage;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A synchronous test harness in the style of etcd-io/raft's interaction tests: cores over
 * MemoryLogStorage, messages delivered in order by {@link #stabilize()}, with filters to drop them.
 */
final class TestCluster {
    final TreeMap<Long, TNode> nodes = new TreeMap<>();
    final List<Message> inFlight = new ArrayList<>();
    final List<Message> delivered = new ArrayList<>();
    final TreeSet<Long> isolated = new TreeSet<>();
    /** The most entry bytes seen in the append messages of one Ready. */
    long maxReadyAppendBytesSeen;
    /** The most snapshot chunk bytes seen in one Ready's chunks to stage. */
    long maxReadySnapshotChunkBytes;
    /** The most snapshot chunk bytes seen in the messages in flight at once. */
    long maxInFlightSnapshotBytes;
    /** Keep every delivered message in {@link #delivered} (off for tests moving many megabytes). */
    boolean keepDelivered = true;
    Predicate<Message> drop = m -> false;
    private final Consumer<RaftConfig.Builder> tweak;

    static final class TNode {
        final long id;
        final MemoryLogStorage storage = new MemoryLogStorage();
        final List<byte[]> commands = new ArrayList<>();
        final List<ReadState> reads = new ArrayList<>();
        /** Snapshots this node's staging refused (corrupt or truncated). */
        final List<SnapshotCorruptedException> refusedSnapshots = new ArrayList<>();
        long applied;
        RaftCore core;
        /** Where snapshots from the leader are staged: in memory unless a test says otherwise. */
        SnapshotStaging.Factory staging = (meta, size, crc) -> SnapshotStaging.inMemory(meta, size, crc, 1 << 24);
        final SnapshotReceiver snapshotReceiver = new SnapshotReceiver((meta, size, crc) -> staging.stage(meta, size, crc));
        /** Installs a snapshot from the leader instead of decoding it as commands, if set. */
        Consumer<Snapshot> installer;
        /** Produces the snapshot asked for by a Ready instead of encoding the commands, if set. */
        java.util.function.Function<SnapshotMeta, SnapshotData> snapshotSource;
        /** Holds its snapshots in place (SnapshotData.onDemand) and writes bytes only when the core asks. */
        boolean onDemand;
        /** Leaves what the core asks to be written for followers to {@link #writeSnapshotsToSend}, not at once. */
        boolean deferSnapshotsToSend;
        /** Every held snapshot the core asked to be written for followers (Ready.snapshotToSend). */
        final List<SnapshotMeta> snapshotsToSendAsked = new ArrayList<>();
        private final List<SnapshotMeta> snapshotsToSendPending = new ArrayList<>();

        /** Writes the snapshots asked for and not yet written, at this node's state now, and tells the core. */
        void writeSnapshotsToSend() {
            for (SnapshotMeta meta : snapshotsToSendPending) {
                core.snapshotToSendWritten(new Snapshot(meta, SnapshotData.ofBytes(encode(this))));
            }
            snapshotsToSendPending.clear();
        }

        TNode(long id) {
            this.id = id;
        }
    }

    TestCluster(int voters, Consumer<RaftConfig.Builder> tweak) {
        this.tweak = tweak;
        Set<Long> v = new TreeSet<>();
        for (long i = 1; i <= voters; i++) {
            v.add(i);
        }
        Membership boot = new Membership(v, Set.of());
        for (long i = 1; i <= voters; i++) {
            addNode(i, boot);
        }
    }

    TNode addNode(long id, Membership boot) {
        TNode n = new TNode(id);
        RaftConfig.Builder b = RaftConfig.builder(id).bootstrap(boot).electionTicks(10).heartbeatTicks(1).randomSeed(42);
        tweak.accept(b);
        n.core = new RaftCore(b.build(), n.storage, null, 0);
        nodes.put(id, n);
        return n;
    }

    RaftCore core(long id) {
        return nodes.get(id).core;
    }

    /** Persists, sends (into the in-flight list), applies and advances every ready node. */
    void process() {
        for (TNode n : nodes.values()) {
            process(n);
        }
    }

    void process(TNode n) {
        while (n.core.hasReady()) {
            Ready rd = n.core.ready();
            long chunkBytes = 0;
            for (SnapshotChunk chunk : rd.snapshotChunks()) {
                chunkBytes += chunk.bytes().length;
            }
            maxReadySnapshotChunkBytes = Math.max(maxReadySnapshotChunkBytes, chunkBytes);
            for (SnapshotChunk chunk : rd.snapshotChunks()) {
                try {
                    Snapshot staged = n.snapshotReceiver.write(chunk);
                    if (staged != null) {
                        n.core.snapshotReceived(staged);
                    }
                } catch (SnapshotCorruptedException e) {
                    n.refusedSnapshots.add(e);
                    n.core.snapshotRefused(chunk.meta());
                }
            }
            if (rd.snapshot() != null) {
                if (n.installer != null) {
                    n.installer.accept(rd.snapshot());
                    n.applied = rd.snapshot().meta().index();
                } else {
                    restore(n, rd.snapshot());
                }
                n.storage.compact(rd.snapshot().meta());
            }
            n.storage.append(rd.entries());
            if (rd.hardState() != null) {
                n.storage.setHardState(rd.hardState());
            }
            n.storage.sync();
            inFlight.addAll(rd.messages());
            long appendBytes = 0;
            for (Message m : rd.messages()) {
                if (m.type() == MessageType.APPEND) {
                    for (Entry e : m.entries()) {
                        appendBytes += e.sizeBytes();
                    }
                }
            }
            maxReadyAppendBytesSeen = Math.max(maxReadyAppendBytesSeen, appendBytes);
            for (Entry e : rd.committedEntries()) {
                if (e.index() <= n.applied) {
                    continue; // Restored from a snapshot written past its index: already in the state.
                }
                if (e.type() == EntryType.COMMAND) {
                    n.commands.add(e.data());
                }
                n.applied = e.index();
            }
            n.reads.addAll(rd.readStates());
            if (rd.snapshotRequest() != null) {
                Snapshot s = n.onDemand ? new Snapshot(rd.snapshotRequest(), SnapshotData.onDemand(n.applied))
                        : n.snapshotSource != null
                        ? new Snapshot(rd.snapshotRequest(), n.snapshotSource.apply(rd.snapshotRequest()))
                        : new Snapshot(rd.snapshotRequest(), encode(n));
                n.core.snapshotTaken(s);
                n.storage.compact(s.meta());
            }
            if (rd.snapshotToSend() != null) {
                n.snapshotsToSendAsked.add(rd.snapshotToSend());
                n.snapshotsToSendPending.add(rd.snapshotToSend());
                if (!n.deferSnapshotsToSend) {
                    n.writeSnapshotsToSend();
                }
            }
            n.core.advance(rd);
        }
    }

    static byte[] encode(TNode n) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bos);
            out.writeLong(n.applied);
            out.writeInt(n.commands.size());
            for (byte[] c : n.commands) {
                out.writeInt(c.length);
                out.write(c);
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void restore(TNode n, Snapshot s) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(s.data().readAllBytes(1 << 24)));
            n.applied = in.readLong();
            n.commands.clear();
            for (int i = in.readInt(); i > 0; i--) {
                byte[] c = new byte[in.readInt()];
                in.readFully(c);
                n.commands.add(c);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    boolean dropped(Message m) {
        return isolated.contains(m.from()) || isolated.contains(m.to()) || drop.test(m);
    }

    /** Delivers messages and processes readies until nothing moves. */
    void stabilize() {
        for (int round = 0; round < 10_000; round++) {
            process();
            if (inFlight.isEmpty()) {
                return;
            }
            long snapshotBytes = 0;
            for (Message m : inFlight) {
                snapshotBytes += m.chunk().length;
            }
            maxInFlightSnapshotBytes = Math.max(maxInFlightSnapshotBytes, snapshotBytes);
            List<Message> batch = new ArrayList<>(inFlight);
            inFlight.clear();
            for (Message m : batch) {
                if (dropped(m)) {
                    continue;
                }
                // round-trip through the codec like a real transport would
                Message decoded = MessageCodec.decode(new org.agrona.concurrent.UnsafeBuffer(MessageCodec.encode(m)), 0,
                        MessageCodec.encodedLength(m));
                if (keepDelivered) {
                    delivered.add(decoded);
                }
                TNode to = nodes.get(m.to());
                if (to != null) {
                    to.core.step(decoded);
                }
            }
        }
        throw new AssertionError("cluster did not stabilize");
    }

    void tick(long id, int times) {
        for (int i = 0; i < times; i++) {
            core(id).tick();
            process(nodes.get(id));
        }
    }

    void tickAll(int times) {
        for (int i = 0; i < times; i++) {
            for (TNode n : nodes.values()) {
                n.core.tick();
            }
            stabilize();
        }
    }

    void elect(long id) {
        core(id).campaign();
        stabilize();
        if (core(id).role() != Role.LEADER) {
            throw new AssertionError("node " + id + " did not become leader: " + core(id));
        }
    }

    long count(MessageType type) {
        return delivered.stream().filter(m -> m.type() == type).count();
    }
}
