package io.cohort.mvcc;

import io.cohort.mvcc.internal.Engine;
import java.nio.file.Path;
import java.util.List;

/**
 * A single-node MVCC keyspace with etcd 3.4 semantics, stored in LMDB: applied to by one writer (in batches of
 * {@link Command}s, each with its Raft applied index), read by many threads.
 *
 * <p>Writes use MDB_NOSYNC: after a crash the caller re-applies from its log what LMDB lost; commands at or
 * below {@link #appliedIndex()} are skipped. Call {@link #sync()} before compacting the log past
 * {@link #appliedIndex()}.
 */
public final class Keyspace implements AutoCloseable {
    private final Engine engine;

    private Keyspace(Engine engine) {
        this.engine = engine;
    }

    /**
     * Opens (or creates) the keyspace in {@code dir}.
     *
     * @throws MissingJvmFlagsException if the JVM lacks flags LMDB needs
     * @throws CorruptKeyspaceException if {@code dir} is not a Cohort keyspace (never reset silently)
     */
    public static Keyspace open(Path dir, KeyspaceConfig config) {
        JvmFlags.require("keyspace");
        return new Keyspace(Engine.open(dir, config));
    }

    /**
     * Applies a batch of commands in one LMDB write transaction; one result per command, in order. A request
     * error fails only its command ({@link ApplyResult.Status#FAILED}, nothing changed, its index consumed);
     * commands at or below {@link #appliedIndex()} are {@link ApplyResult.Status#SKIPPED}. One bounded step of
     * pending physical compaction runs after the commit.
     *
     * @throws QuotaExceededException if the LMDB map itself is full (the batch is not applied)
     */
    public List<ApplyResult> apply(List<Command> batch) {
        return engine.apply(batch);
    }

    /** Applies one command (a batch of one). */
    public ApplyResult apply(long appliedIndex, WriteRequest request) {
        return engine.apply(List.of(new Command(appliedIndex, request))).get(0);
    }

    /** Reads a key or range. */
    public RangeResponse range(RangeRequest request) {
        return engine.range(request);
    }

    /** The time to live of lease {@code id} (TTL -1 if it does not exist), with its keys if {@code withKeys}. */
    public LeaseTimeToLive leaseTimeToLive(long id, boolean withKeys) {
        return engine.leaseTimeToLive(id, withKeys);
    }

    /** Every lease with its granted TTL and last checkpointed remaining TTL (what a lease clock starts from). */
    public List<LeaseInfo> leaseInfos() {
        return engine.leaseInfos();
    }

    /** The leases that exist. */
    public LeaseList leaseList() {
        return engine.leaseList();
    }

    /**
     * The events of the keys in {@code [key, rangeEnd)} (etcd's range convention) from {@code fromRevision} on,
     * in revision order; at least {@code maxEvents} unless history ends, never splitting a revision.
     *
     * @param prevKv fill each event's previous key-value by etcd's watch rule
     * @throws RevisionException if {@code fromRevision} is below the compacted revision
     */
    public List<Event> history(long fromRevision, Bytes key, Bytes rangeEnd, boolean prevKv, int maxEvents) {
        return engine.history(fromRevision, key, rangeEnd, prevKv, maxEvents);
    }

    /** {@code event} with its prev kv filled by etcd's watch rule (for live events from {@link ApplyResult}). */
    public Event withWatchPrevKv(Event event) {
        return engine.withWatchPrevKv(event);
    }

    /**
     * A CRC-32C of the keyspace up to {@code revision} ({@code <= 0}: current): the compacted revision, every key's
     * state at it, and every change after it. Equal on replicas that applied the same commands, whatever their
     * physical compaction progress; leases are not included (as etcd's HashKV).
     */
    public long hash(long revision) {
        return engine.hash(revision);
    }

    /** The current revision. */
    public long currentRevision() {
        return engine.state().revision();
    }

    /** The compacted revision (-1 if never compacted). */
    public long compactedRevision() {
        return engine.state().compactedRevision();
    }

    /** The index of the last applied command (0 if none). */
    public long appliedIndex() {
        return engine.state().appliedIndex();
    }

    /** Runs one bounded physical compaction step; returns true if more remains. Apply also runs one step. */
    public boolean compactStep() {
        return engine.compactStep();
    }

    /** True if physical compaction has work left. */
    public boolean compactionPending() {
        return engine.state().physicalMain() < engine.state().compactedRevision();
    }

    /** The bytes the backend file uses (the figure the quota applies to). */
    public long usedBytes() {
        return engine.usedBytes();
    }

    /** The longest key accepted, in bytes (LMDB's key size limit, 511). */
    public int maxKeyBytes() {
        return engine.maxKeyBytes();
    }

    /**
     * Writes a snapshot of the keyspace to {@code file} (which must not exist): one self-contained, compacted LMDB
     * data file, consistent as of one moment, taken without blocking writers. Returns the applied index it holds.
     */
    public long writeSnapshot(Path file) {
        return engine.writeSnapshot(file);
    }

    /**
     * Pins the keyspace as it is now (one LMDB read transaction, cheap) for a snapshot written later on another thread
     * with {@link KeyspaceSnapshot#writeTo}. Call it between two {@link #apply} batches, from the writer's side, so it
     * holds exactly what was applied up to {@link KeyspaceSnapshot#appliedIndex()}. Close it if it is not written:
     * it pins old pages, and {@link #close} waits for it.
     */
    public KeyspaceSnapshot captureSnapshot() {
        return new KeyspaceSnapshot(engine.pin());
    }

    /**
     * Replaces the whole keyspace with the snapshot in {@code file} (written by {@link #writeSnapshot}), atomically:
     * readers see the old keyspace or the new one. No {@link #apply} may run concurrently.
     *
     * @throws CorruptKeyspaceException if the file is not a keyspace snapshot
     */
    public void restoreSnapshot(Path file) {
        engine.restoreSnapshot(file);
    }

    /** Forces every committed batch to disk. */
    public void sync() {
        engine.sync();
    }

    /**
     * Closes the keyspace; no call may run concurrently or follow. A {@link KeyspaceSnapshot} still open is cancelled
     * first (a write in progress stops and deletes its file).
     */
    @Override
    public void close() {
        engine.close();
    }
}
