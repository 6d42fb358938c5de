package io.cohort.raft.sim;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotMeta;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** A test state machine: a hash chain over every applied entry, snapshots padded so they need several chunks. */
final class SimStateMachine implements Replica {
    long applied;
    long hash = 17;
    long commands;

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
    public void makeDurable() {
        // volatile: what survives a crash is the durable snapshot plus the log
    }

    @Override
    public void crash(boolean machineCrash) {
        // nothing survives in memory
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
        if (applied != s.meta().index()) {
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

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
