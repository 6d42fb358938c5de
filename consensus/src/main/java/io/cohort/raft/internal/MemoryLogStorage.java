package io.cohort.raft.internal;

import io.cohort.raft.Entry;
import io.cohort.raft.HardState;
import io.cohort.raft.LogCompactedException;
import io.cohort.raft.LogStorage;
import io.cohort.raft.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/** A {@link LogStorage} held in memory, for tests and the simulator; {@link #sync()} is a no-op. */
public final class MemoryLogStorage implements LogStorage {
    private final ArrayList<Entry> entries = new ArrayList<>();
    private SnapshotMeta snapshot = SnapshotMeta.NONE;
    private HardState hardState = HardState.EMPTY;
    private boolean closed;

    /** An empty log. */
    public MemoryLogStorage() {
    }

    /** A deep copy of {@code other} (entries are immutable and shared). */
    public MemoryLogStorage(MemoryLogStorage other) {
        entries.addAll(other.entries);
        snapshot = other.snapshot;
        hardState = other.hardState;
    }

    @Override
    public synchronized HardState hardState() {
        open();
        return hardState;
    }

    @Override
    public synchronized SnapshotMeta snapshot() {
        open();
        return snapshot;
    }

    @Override
    public synchronized long firstIndex() {
        open();
        return snapshot.index() + 1;
    }

    @Override
    public synchronized long lastIndex() {
        open();
        return snapshot.index() + entries.size();
    }

    @Override
    public synchronized long term(long index) {
        open();
        if (index == snapshot.index()) {
            return snapshot.term();
        }
        if (index < snapshot.index()) {
            throw new LogCompactedException(index, firstIndex());
        }
        if (index > lastIndex()) {
            throw new IndexOutOfBoundsException("index " + index + " > lastIndex " + lastIndex());
        }
        return entries.get((int) (index - snapshot.index() - 1)).term();
    }

    @Override
    public synchronized List<Entry> entries(long fromIndex, long toIndexExclusive, long maxBytes) {
        open();
        if (fromIndex < firstIndex()) {
            throw new LogCompactedException(fromIndex, firstIndex());
        }
        if (toIndexExclusive > lastIndex() + 1) {
            throw new IndexOutOfBoundsException("toIndexExclusive " + toIndexExclusive + " > lastIndex+1 " + (lastIndex() + 1));
        }
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = fromIndex; i < toIndexExclusive; i++) {
            Entry e = entries.get((int) (i - snapshot.index() - 1));
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public synchronized void append(List<Entry> newEntries) {
        open();
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        if (first > lastIndex() + 1 || first <= snapshot.index()) {
            throw new IllegalArgumentException("append at " + first + " but log is " + firstIndex() + ".." + lastIndex());
        }
        long expected = first;
        for (Entry e : newEntries) {
            if (e.index() != expected++) {
                throw new IllegalArgumentException("entries not consecutive at " + e.index());
            }
        }
        int keep = (int) (first - snapshot.index() - 1);
        while (entries.size() > keep) {
            entries.remove(entries.size() - 1);
        }
        entries.addAll(newEntries);
    }

    @Override
    public synchronized void setHardState(HardState state) {
        open();
        hardState = state;
    }

    @Override
    public synchronized void sync() {
        open();
    }

    @Override
    public synchronized void compact(SnapshotMeta meta) {
        open();
        if (meta.index() <= snapshot.index()) {
            return;
        }
        boolean holds = meta.index() <= lastIndex() && term(meta.index()) == meta.term();
        if (holds) {
            int drop = (int) (meta.index() - snapshot.index());
            entries.subList(0, drop).clear();
        } else {
            entries.clear();
        }
        snapshot = meta;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void open() {
        if (closed) {
            throw new IllegalStateException("storage closed");
        }
    }
}
