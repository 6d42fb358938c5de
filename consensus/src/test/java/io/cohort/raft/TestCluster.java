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
    Predicate<Message> drop = m -> false;
    private final Consumer<RaftConfig.Builder> tweak;

    static final class TNode {
        final long id;
        final MemoryLogStorage storage = new MemoryLogStorage();
        final List<byte[]> commands = new ArrayList<>();
        final List<ReadState> reads = new ArrayList<>();
        long applied;
        RaftCore core;

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
            if (rd.snapshot() != null) {
                restore(n, rd.snapshot());
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
                if (e.type() == EntryType.COMMAND) {
                    n.commands.add(e.data());
                }
                n.applied = e.index();
            }
            n.reads.addAll(rd.readStates());
            if (rd.snapshotRequest() != null) {
                Snapshot s = new Snapshot(rd.snapshotRequest(), encode(n));
                n.core.snapshotTaken(s);
                n.storage.compact(s.meta());
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
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(s.data()));
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
            List<Message> batch = new ArrayList<>(inFlight);
            inFlight.clear();
            for (Message m : batch) {
                if (dropped(m)) {
                    continue;
                }
                // round-trip through the codec like a real transport would
                Message decoded = MessageCodec.decode(new org.agrona.concurrent.UnsafeBuffer(MessageCodec.encode(m)), 0,
                        MessageCodec.encodedLength(m));
                delivered.add(decoded);
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
