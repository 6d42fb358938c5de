package io.cohort.raft;

import java.util.List;

/**
 * The durable Raft log and hard state of one node.
 *
 * <p>The Raft core reads stable entries through this interface; the node's log writer persists the
 * core's output through it. Writes become durable only at {@link #sync()}; implementations
 * group-commit (one sync per batch). After a crash, everything synced is there and nothing else
 * is guaranteed. One writer at a time, which need not always be the same thread: {@link RaftNode}
 * writes from its pipeline thread, and small batches from its raft thread, never both at once and
 * with a happens-before edge (a queue hand-off) between them, so implementations must not confine
 * writes to the thread that made the first one. Implementations must also allow reads from one
 * other thread at the same time ({@link RaftNode}'s raft thread reads while its pipeline thread
 * writes), and a reader must be ready for {@link LogCompactedException} if the writer compacts
 * meanwhile.
 *
 * <p>Indexes: the log holds entries {@code firstIndex() .. lastIndex()}; entries up to
 * {@code snapshot().index()} have been compacted away. An empty log after a snapshot has
 * {@code firstIndex() == snapshot().index() + 1} and {@code lastIndex() == snapshot().index()}.
 */
public interface LogStorage extends AutoCloseable {

    /** The last persisted hard state ({@link HardState#EMPTY} for a new log). */
    HardState hardState();

    /** The latest snapshot position the log was compacted to ({@link SnapshotMeta#NONE} if none). */
    SnapshotMeta snapshot();

    /** Index of the first entry still held. */
    long firstIndex();

    /** Index of the last entry held (the snapshot index if no entries follow it). */
    long lastIndex();

    /**
     * The term of the entry at {@code index}; the snapshot's term for its index; throws
     * {@link LogCompactedException} below that and {@link IndexOutOfBoundsException} above lastIndex.
     */
    long term(long index);

    /**
     * Entries in {@code [fromIndex, toIndexExclusive)}, stopping early once their payloads exceed
     * {@code maxBytes} (at least one entry is always returned if the range is not empty).
     * Throws {@link LogCompactedException} if {@code fromIndex < firstIndex()}.
     */
    List<Entry> entries(long fromIndex, long toIndexExclusive, long maxBytes);

    /**
     * Appends entries with consecutive indexes. If the first index is {@code <= lastIndex()}, every
     * held entry at or after it is superseded (Raft's conflicting-suffix truncation). The first
     * index must be {@code <= lastIndex() + 1} and {@code > snapshot().index()}.
     */
    void append(List<Entry> entries);

    /** Records a new hard state (durable at the next {@link #sync()}). */
    void setHardState(HardState state);

    /** Makes every earlier append and hard state durable (fsync). One call per batch. */
    void sync();

    /**
     * Discards entries up to and including {@code meta.index()} after the state machine has durably
     * taken a snapshot there (or one was installed from the leader). If the log holds no entry at
     * {@code meta.index()} with {@code meta.term()}, the whole log is discarded. Durable on return.
     */
    void compact(SnapshotMeta meta);

    /** Releases files; further calls throw. Idempotent. */
    @Override
    void close();
}
