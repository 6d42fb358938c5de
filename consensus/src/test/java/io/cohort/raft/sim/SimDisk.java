package io.cohort.raft.sim;

import io.cohort.raft.Entry;
import io.cohort.raft.HardState;
import io.cohort.raft.LogStorage;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.internal.MemoryLogStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A simulated disk under a {@link LogStorage}: writes go to a volatile view at once and reach the
 * durable view at {@link #sync()}. A crash keeps the durable view plus a random prefix of the
 * unsynced writes, the last of which may be torn (only a prefix of its entries survives).
 */
final class SimDisk implements LogStorage {
    private MemoryLogStorage durable = new MemoryLogStorage();
    private MemoryLogStorage live = new MemoryLogStorage();
    private final List<Object> pending = new ArrayList<>();

    @Override
    public HardState hardState() {
        return live.hardState();
    }

    @Override
    public SnapshotMeta snapshot() {
        return live.snapshot();
    }

    @Override
    public long firstIndex() {
        return live.firstIndex();
    }

    @Override
    public long lastIndex() {
        return live.lastIndex();
    }

    @Override
    public long term(long index) {
        return live.term(index);
    }

    @Override
    public List<Entry> entries(long fromIndex, long toIndexExclusive, long maxBytes) {
        return live.entries(fromIndex, toIndexExclusive, maxBytes);
    }

    @Override
    public void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        live.append(entries);
        pending.add(List.copyOf(entries));
    }

    @Override
    public void setHardState(HardState state) {
        live.setHardState(state);
        pending.add(state);
    }

    @Override
    public void sync() {
        for (Object op : pending) {
            applyTo(durable, op);
        }
        pending.clear();
    }

    @Override
    public void compact(SnapshotMeta meta) {
        sync(); // As ChronicleLogStorage.compact: everything before the snapshot record is made durable first.
        live.compact(meta);
        durable.compact(meta);
    }

    @Override
    public void close() {
    }

    /** True if there are unsynced writes. */
    boolean dirty() {
        return !pending.isEmpty();
    }

    /** Simulates a process crash: the operating system keeps every write, synced or not; returns how many were unsynced. */
    int processCrash() {
        int unsynced = pending.size();
        sync();
        live = new MemoryLogStorage(durable);
        return unsynced;
    }

    /** Simulates a machine crash: returns how many unsynced operations survived. */
    int crash(SplittableRandom rnd) {
        int keep = pending.isEmpty() ? 0 : rnd.nextInt(pending.size() + 1);
        for (int i = 0; i < keep; i++) {
            Object op = pending.get(i);
            if (i == keep - 1 && op instanceof List<?> list && list.size() > 1 && rnd.nextBoolean()) {
                op = new ArrayList<>(list.subList(0, 1 + rnd.nextInt(list.size() - 1))); // torn tail
            }
            applyTo(durable, op);
        }
        pending.clear();
        live = new MemoryLogStorage(durable);
        return keep;
    }

    @SuppressWarnings("unchecked")
    private static void applyTo(MemoryLogStorage s, Object op) {
        if (op instanceof HardState hs) {
            s.setHardState(hs);
        } else {
            s.append((List<Entry>) op);
        }
    }
}
