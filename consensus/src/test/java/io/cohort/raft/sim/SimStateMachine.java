package io.cohort.raft.sim;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A test state machine: a hash chain over every applied entry, snapshots padded so they need several chunks.
 *
 * <p>Volatile by default: what survives a crash is the durable snapshot plus the log. With a {@link Storage} it has
 * durable storage of its own, as a state machine that holds its snapshots in place needs: {@link #makeDurable} syncs
 * the state to it; a process crash keeps the state as it is (the page cache keeps every write), a machine crash
 * falls back to the last sync.
 */
final class SimStateMachine implements Replica {
    long applied;
    long hash = 17;
    long commands;
    /** Durable storage of its own, or null (volatile). */
    private final Storage storage;

    /** A state machine's durable storage: the state at its last sync (survives crashes; one per node). */
    static final class Storage {
        private long applied;
        private long hash = 17;
        private long commands;
        /** Machine crashes that lost state applied after the last sync. */
        long rollbacks;
    }

    /** A volatile state machine. */
    SimStateMachine() {
        this(null);
    }

    /** A state machine over {@code storage} (null: volatile), opened at the state it last synced. */
    SimStateMachine(Storage storage) {
        this.storage = storage;
        if (storage != null) {
            applied = storage.applied;
            hash = storage.hash;
            commands = storage.commands;
        }
    }

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public long[] apply(List<Entry> entries) {
        long[] digests = new long[entries.size()];
        for (int i = 0; i < digests.length; i++) {
            apply(entries.get(i));
            digests[i] = hash;
        }
        return digests;
    }

    @Override
    public long stateHash() {
        return hash;
    }

    @Override
    public boolean digestsAreStateHashes() {
        return true;
    }

    @Override
    public long makeDurable() {
        // Volatile (no storage): what survives a crash is the durable snapshot plus the log.
        if (storage != null) {
            sync();
        }
        return applied;
    }

    private void sync() {
        storage.applied = applied;
        storage.hash = hash;
        storage.commands = commands;
    }

    @Override
    public void crash(boolean machineCrash) {
        // Nothing survives in memory; with storage, a process crash keeps every write, a machine crash the synced ones.
        if (storage != null && !machineCrash) {
            sync();
        } else if (storage != null && storage.applied < applied) {
            storage.rollbacks++;
        }
    }

    void apply(Entry e) {
        if (e.index() != applied + 1) {
            throw new AssertionError("apply gap: applied=" + applied + " next=" + e.index());
        }
        long h = e.type() == EntryType.COMMAND ? Arrays.hashCode(e.data()) : e.type().code();
        hash = mix(hash * 31 + e.index() * 1_000_003L + h);
        if (e.type() == EntryType.COMMAND) {
            commands++;
        }
        applied = e.index();
    }

    @Override
    public Snapshot snapshot(SnapshotMeta meta) {
        if (meta.index() != applied) {
            throw new AssertionError("snapshot at " + meta.index() + " but applied " + applied);
        }
        return snapshotNow(meta);
    }

    @Override
    public Snapshot snapshotNow(SnapshotMeta meta) {
        if (meta.index() > applied) {
            throw new AssertionError("snapshot at " + meta.index() + " but applied only " + applied);
        }
        int pad = 300 + (int) Math.floorMod(hash, 900);
        ByteBuffer b = ByteBuffer.allocate(24 + pad);
        b.putLong(applied).putLong(hash).putLong(commands);
        for (int i = 0; i < pad; i++) {
            b.put((byte) (hash >>> (i % 56) ^ i));
        }
        return new Snapshot(meta, b.array());
    }

    @Override
    public void restore(Snapshot s) {
        byte[] data = s.data().readAllBytes(1 << 20);
        ByteBuffer b = ByteBuffer.wrap(data);
        applied = b.getLong();
        hash = b.getLong();
        commands = b.getLong();
        if (applied < s.meta().index()) {
            throw new AssertionError("snapshot data at " + applied + " but meta at " + s.meta().index());
        }
        int pad = 300 + (int) Math.floorMod(hash, 900);
        if (data.length != 24 + pad) {
            throw new AssertionError("snapshot size mismatch");
        }
        for (int i = 0; i < pad; i++) {
            if (b.get() != (byte) (hash >>> (i % 56) ^ i)) {
                throw new AssertionError("snapshot data corrupted at byte " + (24 + i));
            }
        }
    }

    @Override
    public long appliedIndexOf(Snapshot s) {
        if (s.data().writtenOnDemand()) {
            return s.data().heldIndex();
        }
        byte[] head = new byte[8];
        s.data().read(0, head, 0, 8);
        return ByteBuffer.wrap(head).getLong();
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
