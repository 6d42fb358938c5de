package io.cohort.raft.internal;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.LogCompactedException;
import io.cohort.raft.LogStorage;
import io.cohort.raft.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The Raft log as the core sees it: stable entries in {@link LogStorage}, followed by unstable
 * entries (and possibly a snapshot to install) the application has not persisted yet.
 *
 * <p>The most recent stable entries stay in memory too (up to {@link #RECENT_STABLE_MAX_BYTES}), so
 * that sending them to followers and handing them out for apply, which mostly happens right after
 * they became stable, never reads them back from the storage (a copy and a CRC check per entry).
 */
public final class RaftLog {
    /**
     * Payload bytes of stable entries kept in memory (default 4 MiB; system property
     * {@code cohort.raft.recentStableMaxBytes}); beyond it the oldest are dropped, down to half.
     */
    static final long RECENT_STABLE_MAX_BYTES = Long.getLong("cohort.raft.recentStableMaxBytes", 4L << 20);

    private final LogStorage storage;
    private Snapshot unstableSnapshot;
    /**
     * Entries {@code [cacheOffset, cacheOffset + cache.size())}: recent stable entries (equal to the
     * storage's), then from {@code unstableOffset} the unstable ones.
     */
    private final ArrayList<Entry> cache = new ArrayList<>();
    private long cacheOffset;
    private long stableCachedBytes;
    private long unstableOffset;
    private long committed;
    private long applied;
    /** Highest index handed to the application (by a Ready or {@link #takeStableCommitted}); >= applied. */
    private long applying;

    /** A log over {@code storage}, with {@code applied} entries already in the state machine. */
    public RaftLog(LogStorage storage, long applied) {
        this.storage = storage;
        this.unstableOffset = storage.lastIndex() + 1;
        this.cacheOffset = unstableOffset;
        this.applied = Math.max(applied, storage.snapshot().index());
        long logEnd = Math.max(storage.lastIndex(), storage.snapshot().index());
        if (this.applied > logEnd) {
            throw new IllegalStateException("the state machine has applied up to " + this.applied
                    + " but the durable log ends at " + logEnd + ": the log lost entries that were applied");
        }
        // An application may apply committed entries before the hard state recording their commit is
        // durable (Ready.committedEntriesMayPrecedeSync); whatever it applied was committed.
        this.committed = Math.max(Math.max(storage.hardState().commitIndex(), storage.snapshot().index()),
                this.applied);
        this.applying = this.applied;
    }

    /** Highest committed index. */
    public long committed() {
        return committed;
    }

    /** Highest index handed to and acknowledged by the application. */
    public long applied() {
        return applied;
    }

    /** First index held (after the snapshot). */
    public long firstIndex() {
        return unstableSnapshot != null ? unstableSnapshot.meta().index() + 1 : storage.firstIndex();
    }

    /** Last index held. */
    public long lastIndex() {
        if (hasUnstableEntries()) {
            return cacheEnd() - 1;
        }
        if (unstableSnapshot != null) {
            return unstableSnapshot.meta().index();
        }
        return storage.lastIndex();
    }

    /** Term of the last entry. */
    public long lastTerm() {
        return term(lastIndex());
    }

    /** Last index known to be persisted (excludes unstable entries). */
    public long persistedLastIndex() {
        if (unstableSnapshot != null) {
            return 0;
        }
        return Math.min(storage.lastIndex(), unstableOffset - 1);
    }

    /** Term at {@code index}, or 0 if it is compacted away or beyond the last index. */
    public long term(long index) {
        if (index == 0) {
            return 0;
        }
        if (index > lastIndex()) {
            return 0;
        }
        if (unstableSnapshot != null && index <= unstableSnapshot.meta().index()) {
            return index == unstableSnapshot.meta().index() ? unstableSnapshot.meta().term() : 0;
        }
        if (index >= unstableOffset && hasUnstableEntries()) {
            return cached(index).term();
        }
        if (index < storage.firstIndex() - 1) {
            return 0;
        }
        if (index >= cacheOffset && index < cacheEnd()) {
            return cached(index).term();
        }
        try {
            return storage.term(index);
        } catch (LogCompactedException e) {
            return 0; // Compacted by the log writer since the check above (a RaftNode compacts concurrently).
        }
    }

    /** True if the entry at {@code index} has {@code term}. */
    public boolean matchTerm(long index, long term) {
        if (index == 0) {
            return term == 0;
        }
        long t = term(index);
        return t != 0 && t == term;
    }

    /** True if the log at {@code index} is compacted behind the snapshot (term unknown). */
    public boolean isCompacted(long index) {
        return index < firstIndex() - 1;
    }

    /** True if a log ending at ({@code lastIndex}, {@code lastTerm}) is at least as up to date as ours. */
    public boolean isUpToDate(long lastIdx, long lastTrm) {
        long myTerm = lastTerm();
        return lastTrm > myTerm || (lastTrm == myTerm && lastIdx >= lastIndex());
    }

    /**
     * Entries in {@code [lo, hi)} up to about {@code maxBytes} (at least one if non-empty); throws
     * {@link LogCompactedException} if {@code lo} is compacted.
     */
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo < firstIndex()) {
            throw new LogCompactedException(lo, firstIndex());
        }
        hi = Math.min(hi, lastIndex() + 1);
        List<Entry> out = new ArrayList<>();
        if (lo >= hi) {
            return out;
        }
        long bytes = 0;
        if (lo < cacheOffset) {
            long storedHi = Math.min(hi, cacheOffset);
            for (Entry e : storage.entries(lo, storedHi, maxBytes)) {
                bytes += e.sizeBytes();
                out.add(e);
            }
            if (bytes > maxBytes || out.size() < storedHi - lo) {
                return out;
            }
        }
        long from = Math.max(lo, cacheOffset);
        if (hi > cacheEnd()) {
            throw new IllegalStateException("entries up to " + (hi - 1) + " requested but memory holds only up to "
                    + (cacheEnd() - 1) + ": " + this);
        }
        for (long i = from; i < hi; i++) {
            Entry e = cached(i);
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    /**
     * Appends {@code ents} after ({@code prevIndex}, {@code prevTerm}) if it matches, truncating a
     * conflicting suffix; advances commit to min({@code commit}, last new index). Returns the last
     * new index, or -1 if the previous entry does not match.
     */
    public long maybeAppend(long prevIndex, long prevTerm, long commit, List<Entry> ents) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + ents.size();
        long conflict = findConflict(ents);
        if (conflict != 0) {
            if (conflict <= committed) {
                throw new IllegalStateException("entry " + conflict + " conflicts with committed entry (committed="
                        + committed + ")");
            }
            append(ents.subList((int) (conflict - ents.get(0).index()), ents.size()));
        }
        commitTo(Math.min(commit, lastNew));
        return lastNew;
    }

    private long findConflict(List<Entry> ents) {
        for (Entry e : ents) {
            if (!matchTerm(e.index(), e.term())) {
                return e.index();
            }
        }
        return 0;
    }

    /**
     * The largest index {@code <= index} whose term is {@code <= term} (or the first index held, if
     * the walk reaches the compacted prefix).
     */
    public long findConflictByTerm(long index, long term) {
        index = Math.min(index, lastIndex());
        long floor = firstIndex() - 1;
        while (index > floor) {
            long t = term(index);
            if (t <= term) {
                return index;
            }
            index--;
        }
        return index;
    }

    /** Appends entries to the unstable part, truncating anything at or after the first new index. */
    public long append(List<Entry> ents) {
        if (ents.isEmpty()) {
            return lastIndex();
        }
        long first = ents.get(0).index();
        if (first - 1 < committed) {
            throw new IllegalStateException("append at " + first + " would overwrite committed " + committed);
        }
        if (first > lastIndex() + 1) {
            throw new IllegalStateException("append at " + first + " leaves a gap after " + lastIndex());
        }
        if (first == cacheEnd() && first >= unstableOffset) {
            cache.addAll(ents);
        } else if (first <= cacheOffset || first > cacheEnd()) {
            cache.clear();
            cacheOffset = first;
            unstableOffset = first;
            stableCachedBytes = 0;
            cache.addAll(ents);
        } else {
            // Supersede [first, ...): the stable entries among them too, which must then be written again.
            List<Entry> superseded = cache.subList((int) (first - cacheOffset), cache.size());
            if (first < unstableOffset) {
                for (int i = 0, n = (int) (unstableOffset - first); i < n; i++) {
                    stableCachedBytes -= superseded.get(i).sizeBytes();
                }
                unstableOffset = first;
            }
            superseded.clear();
            cache.addAll(ents);
        }
        assert cache.isEmpty() || cache.get(cache.size() - 1).index() == cacheEnd() - 1 : "cache not consecutive";
        assert cacheOffset <= unstableOffset && unstableOffset <= cacheEnd() : "unstable outside the cache";
        return lastIndex();
    }

    /** Advances the commit index (never backwards). */
    public void commitTo(long c) {
        if (c > committed) {
            if (c > lastIndex()) {
                throw new IllegalStateException("commit " + c + " beyond last index " + lastIndex());
            }
            committed = c;
        }
    }

    /**
     * Marks the application as having applied up to {@code index}. Entries reach it by two paths
     * (Readies and {@link #takeStableCommitted}) whose acknowledgements may come in either order, so an
     * index at or below {@link #applied()} is a no-op; one beyond what was handed out is a bug.
     */
    public void appliedTo(long index) {
        if (index > applying || index > committed) {
            throw new IllegalStateException("applied " + index + " but only " + applying + " was handed out ("
                    + committed + " committed)");
        }
        applied = Math.max(applied, index);
    }

    /** Highest index handed to the application for applying (at or above {@link #applied()}). */
    public long applying() {
        return applying;
    }

    /** True if committed entries wait to be handed to the application. */
    public boolean hasNextCommitted() {
        return unstableSnapshot == null && committed > applying;
    }

    /** Hands out the committed entries not handed out yet, up to about {@code maxBytes}. */
    public List<Entry> nextCommitted(long maxBytes) {
        if (!hasNextCommitted()) {
            return List.of();
        }
        return handOut(entries(applying + 1, committed + 1, maxBytes));
    }

    /**
     * Hands out committed entries that are also durable here (at or below {@link #persistedLastIndex()}),
     * not handed out yet and at or below {@code maxIndex}, up to about {@code maxBytes}, stopping before
     * the first configuration change (those reach the application through a Ready, whose advance the
     * core interprets them at).
     */
    public List<Entry> takeStableCommitted(long maxIndex, long maxBytes) {
        if (!hasNextCommitted()) {
            return List.of(); // the usual case, decided without asking the storage
        }
        long hi = Math.min(Math.min(committed, persistedLastIndex()), maxIndex);
        if (hi <= applying) {
            return List.of();
        }
        List<Entry> ents = entries(applying + 1, hi + 1, maxBytes);
        for (int i = 0; i < ents.size(); i++) {
            if (ents.get(i).type() == EntryType.CONFIG_CHANGE) {
                ents = ents.subList(0, i);
                break;
            }
        }
        return handOut(ents);
    }

    private List<Entry> handOut(List<Entry> ents) {
        if (!ents.isEmpty()) {
            long first = ents.get(0).index();
            assert first == applying + 1 : "handed out from " + first + " after " + applying;
            applying = ents.get(ents.size() - 1).index();
        }
        return ents;
    }

    /** Unstable entries waiting to be persisted. */
    public List<Entry> unstableEntries() {
        return List.copyOf(cache.subList((int) (unstableOffset - cacheOffset), cache.size()));
    }

    /** True if entries wait to be persisted. */
    public boolean hasUnstableEntries() {
        return cacheEnd() > unstableOffset;
    }

    /** Snapshot waiting to be installed, or null. */
    public Snapshot unstableSnapshot() {
        return unstableSnapshot;
    }

    /** The application persisted entries up to ({@code index}, {@code term}). */
    public void stableTo(long index, long term) {
        if (index < unstableOffset || !hasUnstableEntries()) {
            return;
        }
        if (index > lastIndex() || term(index) != term) {
            return;
        }
        for (long i = unstableOffset; i <= index; i++) {
            stableCachedBytes += cached(i).sizeBytes();
        }
        unstableOffset = index + 1;
        if (stableCachedBytes > RECENT_STABLE_MAX_BYTES) {
            // Drop the oldest stable entries down to half the bound: one array shift per half-bound of entries.
            int drop = 0;
            while (stableCachedBytes > RECENT_STABLE_MAX_BYTES / 2 && cacheOffset + drop < unstableOffset) {
                stableCachedBytes -= cache.get(drop).sizeBytes();
                drop++;
            }
            cache.subList(0, drop).clear();
            cacheOffset += drop;
        }
    }

    /** The application installed the snapshot at {@code index}. */
    public void stableSnapTo(long index) {
        if (unstableSnapshot != null && unstableSnapshot.meta().index() == index) {
            unstableSnapshot = null;
            applied = Math.max(applied, index);
            applying = Math.max(applying, index);
        }
    }

    /** Replaces the whole log with {@code snapshot}. */
    public void restore(Snapshot snapshot) {
        long idx = snapshot.meta().index();
        if (idx <= committed) {
            throw new IllegalStateException("restore at " + idx + " <= committed " + committed);
        }
        committed = idx;
        cache.clear();
        stableCachedBytes = 0;
        unstableOffset = idx + 1;
        cacheOffset = unstableOffset;
        unstableSnapshot = snapshot;
    }

    /** Unstable entries from the offset, for diagnostics. */
    @Override
    public String toString() {
        return "log[first=" + firstIndex() + " last=" + lastIndex() + " committed=" + committed + " applying=" + applying + " applied=" + applied
                + " cacheOffset=" + cacheOffset + " unstableOffset=" + unstableOffset + " cacheEnd=" + cacheEnd() + "]";
    }

    private long cacheEnd() {
        return cacheOffset + cache.size();
    }

    private Entry cached(long index) {
        return cache.get((int) (index - cacheOffset));
    }
}
