package io.cohort.sim;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceSnapshot;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.Lessor;
import io.cohort.mvcc.WatchHub;
import io.cohort.mvcc.WriteRequest;
import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.sim.Replica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A simulated node's state machine: a real {@link Keyspace} in the node's directory, applying the
 * commands of committed entries in batches as the node would.
 *
 * <p>Crashes: a process crash keeps every committed LMDB transaction (they are in the page cache
 * even with MDB_NOSYNC). A machine crash usually rolls LMDB back to its last {@link Keyspace#sync()}:
 * at every sync the data file is copied aside, and the crash puts that copy back (no copy: nothing
 * survives); sometimes it keeps everything (the kernel flushed it all in time). This is the
 * optimistic reading of MDB_NOSYNC: a real power loss could also land on an intermediate committed
 * transaction, or tear pages LMDB wrote out of order. The node then replays the rest from its log.
 *
 * <p>Entry data is {@code [long opId][CommandCodec bytes]}; the op ID lets the simulation answer the
 * client that proposed it. A snapshot is {@code [long keyspace applied index][keyspace snapshot file]}; a copy of a
 * snapshot held in place may hold a keyspace past the snapshot's index ({@link #snapshotNow}).
 */
final class KeyspaceReplica implements Replica {
    private static final String KEYSPACE_DIR = "keyspace";
    private static final String SYNCED_IMAGE = "synced-data.mdb";

    private final KeyspaceSimulation sim;
    private final long nodeId;
    private final int epoch;
    private final Path dir;
    private final Keyspace keyspace;
    private final WatchHub hub;
    /** The node's lease clock, kept in step with applied grants, revokes and checkpoints as KeyspaceStateMachine does. */
    private final Lessor lessor;
    private long promotedInTerm = -1;
    /** When the lease clock last became primary (simulated ms), -1 if it is not. */
    private long promotedAtMs = -1;
    /** The term of the last applied entry (KeyspaceStateMachine.appliedTerm). */
    private long appliedTerm;
    private long applied;
    private final boolean plantedDurabilityBug;
    private boolean open = true;

    /** Opens node {@code nodeId}'s keyspace as its last crash left it, restoring {@code durableSnapshot} if the keyspace is older. */
    KeyspaceReplica(KeyspaceSimulation sim, long nodeId, int epoch, Path dir, KeyspaceConfig config,
                    Snapshot durableSnapshot, boolean plantedDurabilityBug) {
        this.sim = sim;
        this.plantedDurabilityBug = plantedDurabilityBug;
        this.nodeId = nodeId;
        this.epoch = epoch;
        this.dir = dir;
        this.keyspace = Keyspace.open(dir.resolve(KEYSPACE_DIR), config);
        long snapIndex = 0;
        if (durableSnapshot != null && durableSnapshot.data().writtenOnDemand()) {
            // Held in place: the keyspace was synced at or past it, so it holds it still (else it lost synced
            // writes, which RaftSimulation reports as the node restarting behind its held snapshot). No copy.
            snapIndex = durableSnapshot.meta().index();
        } else if (durableSnapshot != null) {
            snapIndex = durableSnapshot.meta().index();
            byte[] head = new byte[8];
            durableSnapshot.data().read(0, head, 0, 8);
            long snapKeyspaceApplied = ByteBuffer.wrap(head).getLong();
            if (keyspace.appliedIndex() < snapKeyspaceApplied && !plantedDurabilityBug) {
                // The keyspace lost (machine crash) commands the durable snapshot holds, and the log may
                // be compacted up to the snapshot: start from the snapshot.
                restoreKeyspace(durableSnapshot);
                sim.restartsFromSnapshot++;
            }
        }
        this.applied = Math.max(keyspace.appliedIndex(), snapIndex);
        // Watches in simulated time: no dispatcher thread; the node's pump below delivers, listeners run inline.
        this.hub = WatchHub.startDriven(keyspace, sim.watchHubConfig(), sim::nowNanos);
        sim.later(1 + sim.extraRnd().nextInt(10), this::pump);
        this.lessor = new Lessor(KeyspaceSimulation.LEASE_CHECKPOINT_INTERVAL_MS, KeyspaceSimulation.LEASE_REVOKE_RETRY_MS);
        lessor.load(keyspace.leaseInfos());
        sim.later(1 + sim.extraRnd().nextInt(KeyspaceSimulation.TICK_UNITS), this::leaseTick);
    }

    /**
     * One step of the node's lease driver, as core's LeaseDriver does it every tick: follow the Raft role (promote the
     * lessor on becoming leader, with an election timeout of grace; demote it on losing leadership), then propose the
     * revocation of expired leases and the checkpoints that are due.
     */
    private void leaseTick() {
        if (!open) {
            return;
        }
        long nowMs = sim.nowMs();
        boolean leading = sim.leads(nodeId);
        long term = sim.termOf(nodeId);
        // As LeaseDriver: count only once every entry of earlier terms is applied.
        boolean caughtUp = appliedTerm == term;
        if (leading && caughtUp && (promotedInTerm != term || !lessor.isPrimary())) {
            lessor.promote(nowMs, sim.bug() == KeyspaceSimulation.PlantedBug.LEASES_WITHOUT_GRACE
                    ? -KeyspaceSimulation.ELECTION_TIMEOUT_MS : KeyspaceSimulation.ELECTION_TIMEOUT_MS);
            promotedInTerm = term;
            promotedAtMs = nowMs;
            sim.trace("node " + nodeId + " counts lease TTLs from term " + term + " (" + lessor.size() + " leases: "
                    + keyspace.leaseInfos() + ")");
        } else if ((!leading || promotedInTerm != term) && lessor.isPrimary()) {
            lessor.demote();
            promotedInTerm = -1;
            promotedAtMs = -1;
        }
        if (lessor.isPrimary()) {
            for (long id : lessor.expired(nowMs, 500)) {
                sim.proposeExpiry(this, id);
            }
            List<LeaseCheckpointRequest.Checkpoint> due = lessor.dueCheckpoints(nowMs, 1000);
            if (!due.isEmpty()) {
                sim.proposeLeaseCheckpoint(this, new LeaseCheckpointRequest(due));
            }
        }
        sim.later(KeyspaceSimulation.TICK_UNITS, this::leaseTick);
    }

    /** When this node's lease clock became primary (simulated ms), or -1 if it does not count TTLs. */
    long leasesCountedSinceMs() {
        return open && lessor.isPrimary() ? promotedAtMs : -1;
    }

    /** The node's lease clock. */
    Lessor lessor() {
        if (!open) {
            throw new IllegalStateException("node " + nodeId + " crashed: its lease clock is gone");
        }
        return lessor;
    }

    /** Keeps the lease clock in step with an applied command (KeyspaceStateMachine.trackLeases). */
    private void trackLeases(WriteRequest request, ApplyResult result) {
        if (result.status() != ApplyResult.Status.APPLIED) {
            return;
        }
        if (result.response() instanceof LeaseGrantResponse g) {
            lessor.granted(g.id(), g.ttlSeconds(), sim.nowMs());
        } else if (request instanceof LeaseRevokeRequest r) {
            lessor.revoked(r.id());
        } else if (request instanceof LeaseCheckpointRequest c) {
            for (LeaseCheckpointRequest.Checkpoint cp : c.checkpoints()) {
                lessor.checkpointed(cp.id(), cp.remainingTtlSeconds());
            }
        }
    }

    /** The node's watch dispatcher: a few rounds now and then, so buffers fill, catch-ups interleave with applies. */
    private void pump() {
        if (!open) {
            return;
        }
        for (int rounds = 1 + sim.extraRnd().nextInt(3); rounds > 0 && hub.doWork() > 0; rounds--) {
            // one dispatcher round each
        }
        sim.rethrowListenerFailure();
        sim.later(1 + sim.extraRnd().nextInt(10), this::pump);
    }

    /** Runs the node's watch dispatcher until it has nothing left to do. */
    void drainHub() {
        for (int rounds = 0; hub.doWork() > 0; rounds++) {
            if (rounds > 100_000) {
                throw new AssertionError("node " + nodeId + ": the watch hub still had work after 100,000 rounds");
            }
        }
        sim.rethrowListenerFailure();
    }

    /** The node's watch hub (driven by the simulation). */
    WatchHub hub() {
        if (!open) {
            throw new IllegalStateException("node " + nodeId + " crashed: its watch hub is gone");
        }
        return hub;
    }

    long nodeId() {
        return nodeId;
    }

    boolean isOpen() {
        return open;
    }

    Keyspace keyspace() {
        if (!open) {
            throw new IllegalStateException("node " + nodeId + " crashed: its keyspace is closed");
        }
        return keyspace;
    }

    int epoch() {
        return epoch;
    }

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public long[] apply(List<Entry> entries) {
        List<Command> commands = new ArrayList<>(entries.size());
        long[] opIds = new long[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.index() != applied + 1 + i) {
                throw new AssertionError("node " + nodeId + " apply gap: applied " + applied + ", entry " + i
                        + " is " + e.index());
            }
            if (e.type() == EntryType.COMMAND && e.data().length > 8) {
                long opId = ByteBuffer.wrap(e.data()).getLong();
                if (opId > 0) {
                    opIds[i] = opId;
                    commands.add(Command.decode(e.index(), Arrays.copyOfRange(e.data(), 8, e.data().length)));
                }
            }
        }
        List<ApplyResult> results = commands.isEmpty() ? List.of() : keyspace().apply(commands);
        long[] digests = new long[entries.size()];
        int r = 0;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (opIds[i] == 0) {
                digests[i] = mix(e.index() * 31 + e.type().code());
                continue;
            }
            Command command = commands.get(r);
            ApplyResult result = results.get(r++);
            if (result.appliedIndex() != e.index()) {
                throw new AssertionError("result for " + result.appliedIndex() + " at entry " + e.index());
            }
            digests[i] = mix(e.index() * 31 + result.status().ordinal() * 7L
                    + (result.response() == null ? 0 : result.response().hashCode()));
            trackLeases(command.request(), result);
            sim.onCommandApplied(this, nodeId, opIds[i], command.request(), result);
        }
        if (!results.isEmpty()) {
            hub.publish(results); // after the history recorded them: every delivered event is checkable
        }
        applied = entries.get(entries.size() - 1).index();
        appliedTerm = entries.get(entries.size() - 1).term();
        sim.onApplied(nodeId, applied);
        return digests;
    }

    @Override
    public long stateHash() {
        return mix(keyspace().hash(0) * 31 + keyspace().currentRevision());
    }

    @Override
    public Snapshot snapshot(SnapshotMeta meta) {
        if (meta.index() != applied) {
            throw new AssertionError("snapshot at " + meta.index() + " but applied " + applied);
        }
        Path file = dir.resolve("snapshot-out.mdb");
        try {
            Files.deleteIfExists(file);
            long keyspaceApplied = keyspace().writeSnapshot(file);
            if (keyspaceApplied != keyspace().appliedIndex() || keyspaceApplied > meta.index()) {
                throw new AssertionError("snapshot holds applied index " + keyspaceApplied + ", keyspace "
                        + keyspace().appliedIndex() + ", raft " + meta.index());
            }
            return encode(meta, keyspaceApplied, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The snapshot {@code [long keyspace applied index][the keyspace snapshot file]}; the file is deleted. */
    private Snapshot encode(SnapshotMeta meta, long keyspaceApplied, Path file) throws IOException {
        byte[] body = Files.readAllBytes(file);
        Files.delete(file);
        sim.snapshotBytes += body.length;
        return new Snapshot(meta, ByteBuffer.allocate(8 + body.length).putLong(keyspaceApplied).put(body).array());
    }

    /**
     * As KeyspaceStateMachine.captureSnapshotToSend writes a copy of its held snapshot for a follower: the keyspace as
     * it is now (pinned, then copied without a sync), at or past {@code meta.index()}.
     */
    @Override
    public Snapshot snapshotNow(SnapshotMeta meta) {
        if (meta.index() > applied) {
            throw new AssertionError("snapshot at " + meta.index() + " but applied only " + applied);
        }
        Path file = dir.resolve("snapshot-out.mdb");
        try (KeyspaceSnapshot pinned = keyspace().captureSnapshot()) {
            long keyspaceApplied = pinned.appliedIndex();
            if (keyspaceApplied != keyspace().appliedIndex() || keyspaceApplied > applied) {
                throw new AssertionError("pinned applied index " + keyspaceApplied + ", keyspace "
                        + keyspace().appliedIndex() + ", node " + applied);
            }
            Files.deleteIfExists(file);
            pinned.writeCopy(file, Long.MAX_VALUE);
            return encode(meta, keyspaceApplied, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The applied index a snapshot stands for, as RaftNode counts it after an install: the snapshot's index or the
     * keyspace's applied index (its last write command) in the bytes, whichever is higher; a held one's heldIndex.
     */
    @Override
    public long appliedIndexOf(Snapshot snapshot) {
        if (snapshot.data().writtenOnDemand()) {
            return snapshot.data().heldIndex();
        }
        byte[] head = new byte[8];
        snapshot.data().read(0, head, 0, 8);
        return Math.max(snapshot.meta().index(), ByteBuffer.wrap(head).getLong());
    }

    /**
     * As KeyspaceStateMachine does it: pins the keyspace now (a read transaction) and writes the file later, after
     * more entries were applied, when the simulation says the snapshot thread got to it.
     */
    @Override
    public Capture capture(SnapshotMeta meta) {
        if (meta.index() != applied) {
            throw new AssertionError("snapshot at " + meta.index() + " but applied " + applied);
        }
        KeyspaceSnapshot pinned = keyspace().captureSnapshot();
        long keyspaceApplied = pinned.appliedIndex();
        if (keyspaceApplied != keyspace().appliedIndex() || keyspaceApplied > meta.index()) {
            pinned.close();
            throw new AssertionError("captured applied index " + keyspaceApplied + ", keyspace "
                    + keyspace().appliedIndex() + ", raft " + meta.index());
        }
        return new Capture() {
            @Override
            public SnapshotMeta meta() {
                return meta;
            }

            @Override
            public Snapshot write() {
                Path file = dir.resolve("snapshot-out.mdb");
                try {
                    Files.deleteIfExists(file);
                    pinned.writeTo(file, Long.MAX_VALUE);
                    byte[] body = Files.readAllBytes(file);
                    Files.delete(file);
                    sim.snapshotBytes += body.length;
                    return new Snapshot(meta, ByteBuffer.allocate(8 + body.length).putLong(keyspaceApplied).put(body)
                            .array());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public void abandon() {
                pinned.close();
            }
        };
    }

    @Override
    public void restore(Snapshot snapshot) {
        restoreKeyspace(snapshot);
        sim.watchesThroughSnapshotInstalls += hub.size();
        hub.restored();
        lessor.load(keyspace.leaseInfos()); // promoted again at the next lease tick if this node leads
        // A copy of a held snapshot may hold writes past its index (RaftNode: the greater of the two).
        applied = Math.max(snapshot.meta().index(), keyspace.appliedIndex());
        appliedTerm = snapshot.meta().term();
        sim.onApplied(nodeId, applied);
    }

    private void restoreKeyspace(Snapshot snapshot) {
        Path file = dir.resolve("snapshot-in.mdb");
        byte[] data = snapshot.data().readAllBytes(Integer.MAX_VALUE - 16);
        long keyspaceApplied = ByteBuffer.wrap(data).getLong();
        try {
            Files.write(file, Arrays.copyOfRange(data, 8, data.length));
            keyspace().restoreSnapshot(file);
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (keyspace().appliedIndex() != keyspaceApplied) {
            throw new AssertionError("restored keyspace at applied index " + keyspace().appliedIndex()
                    + " but the snapshot says " + keyspaceApplied);
        }
    }

    /** Syncs the keyspace; returns its applied index (its last write command), which a restart comes back to at least. */
    @Override
    public long makeDurable() {
        if (plantedDurabilityBug) {
            return keyspace().appliedIndex(); // claims it synced
        }
        keyspace().sync();
        try {
            Files.copy(dir.resolve(KEYSPACE_DIR).resolve("data.mdb"), dir.resolve(SYNCED_IMAGE),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        sim.keyspaceSyncs++;
        return keyspace().appliedIndex();
    }

    @Override
    public void crash(boolean machineCrash) {
        // The process is gone: its watch hub with it, no last message to anyone (clients see the connection drop).
        if (open) {
            open = false;
            keyspace.close();
        }
        sim.onCrash(nodeId);
        if (!machineCrash) {
            return; // the page cache keeps every committed LMDB transaction
        }
        if (sim.pageCacheFlushedBeforePowerLoss()) {
            sim.machineCrashesKeepingKeyspace++;
            return; // the kernel happened to write everything out before the power went
        }
        Path keyspaceDir = dir.resolve(KEYSPACE_DIR);
        try {
            Files.deleteIfExists(keyspaceDir.resolve("lock.mdb"));
            if (Files.exists(dir.resolve(SYNCED_IMAGE))) {
                Files.copy(dir.resolve(SYNCED_IMAGE), keyspaceDir.resolve("data.mdb"),
                        StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.deleteIfExists(keyspaceDir.resolve("data.mdb")); // never synced: nothing survives
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the keyspace (at a crash or when the run ends). */
    void close() {
        if (open) {
            open = false;
            hub.close(); // every open watch gets its CANCELLED_CLOSED, checked (the simulation rethrows at its close)
            keyspace.close();
        }
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
