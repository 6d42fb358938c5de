package io.cohort.mvcc.internal;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.KeyspaceException;
import io.cohort.mvcc.LeaseInfo;
import io.cohort.mvcc.LeaseList;
import io.cohort.mvcc.LeaseTimeToLive;
import io.cohort.mvcc.QuotaExceededException;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.RevisionException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.agrona.DirectBuffer;
import org.lmdbjava.Env;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The keyspace engine behind {@link io.cohort.mvcc.Keyspace}: one writer, many readers. */
public final class Engine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    private final KeyspaceConfig config;
    private final Store store;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The committed state, published after every commit. */
    private volatile State state;
    /** Lease ID -> grant time on this node's clock (for the remaining TTL). */
    private final Map<Long, Long> grantMillis = new ConcurrentHashMap<>();
    /** Views pinned for snapshots and not yet released (each holds an LMDB read transaction). */
    private final Set<PinnedView> pinned = ConcurrentHashMap.newKeySet();
    /** How long {@link #close} waits for a snapshot being written to stop. */
    private static final long RELEASE_WAIT_MS = 10_000;

    private Engine(KeyspaceConfig config, Store store, State state) {
        this.config = config;
        this.store = store;
        this.state = state;
    }

    /** Opens the engine. */
    public static Engine open(Path dir, KeyspaceConfig config) {
        Store store = Store.open(dir, config);
        State st;
        try (Txn<DirectBuffer> txn = store.env.txnRead()) {
            st = store.readState(txn);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        LOG.info("keyspace {} opened at applied index {}, revision {}, compacted {}", dir, st.appliedIndex(),
                st.revision(), st.compactedRevision());
        return new Engine(config, store, st);
    }

    /** The committed state. */
    public State state() {
        return state;
    }

    /** Applies a batch in one LMDB write txn. */
    public List<ApplyResult> apply(List<Command> batch) {
        writeLock.lock();
        try {
            List<ApplyResult> results = new ArrayList<>(batch.size());
            List<Long> granted = new ArrayList<>();
            List<Long> revoked = new ArrayList<>();
            State st = state;
            long used = store.reserveAhead(0); // the single writer: unchanged until this txn commits
            Txn<DirectBuffer> txn = store.env.txnWrite();
            try {
                WriteBatch wb = new WriteBatch(store, txn);
                for (Command cmd : batch) {
                    if (cmd.appliedIndex() <= st.appliedIndex()) {
                        results.add(new ApplyResult(cmd.appliedIndex(), ApplyResult.Status.SKIPPED, null, null,
                                List.of()));
                        continue;
                    }
                    Applier a = new Applier(config, wb, st, used);
                    try {
                        Response resp = a.apply(cmd.appliedIndex(), cmd.request());
                        st = a.state;
                        if (st.revision() <= wb.beginRev && wb.changes > 0) {
                            throw new IllegalStateException("revision did not advance after changes");
                        }
                        results.add(new ApplyResult(cmd.appliedIndex(), ApplyResult.Status.APPLIED, resp, null,
                                wb.events));
                        granted.addAll(a.granted);
                        revoked.addAll(a.revoked);
                    } catch (KeyspaceException e) {
                        if (wb.changes > 0) {
                            throw new IllegalStateException("command " + cmd.appliedIndex() + " failed after writing;"
                                    + " the batch is rolled back", e);
                        }
                        st = st.withApplied(cmd.appliedIndex(), st.revision());
                        results.add(new ApplyResult(cmd.appliedIndex(), ApplyResult.Status.FAILED, null, e,
                                List.of()));
                    }
                }
                wb.writeState(st);
                txn.commit();
            } catch (Env.MapFullException e) {
                throw new QuotaExceededException(ErrorCode.NO_SPACE, "the LMDB map of " + config.mapSizeBytes()
                        + " bytes is full; the batch was not applied", e);
            } finally {
                txn.close();
            }
            state = st;
            long now = config.clockMillis().getAsLong();
            for (Long id : granted) {
                grantMillis.put(id, now);
            }
            for (Long id : revoked) {
                grantMillis.remove(id);
            }
            if (st.compactionPending()) {
                compactStep();
            }
            return results;
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs one bounded physical compaction step; returns true if more remains. */
    public boolean compactStep() {
        writeLock.lock();
        try {
            State st = state;
            if (!st.compactionPending()) {
                return false;
            }
            State next;
            store.reserveAhead(0);
            try (Txn<DirectBuffer> txn = store.env.txnWrite()) {
                next = Compactor.step(store, txn, st, config.compactionBatchRevisions());
                WriteBatch wb = new WriteBatch(store, txn);
                wb.writeState(next);
                txn.commit();
            }
            state = next;
            return next.compactionPending();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes a compact, consistent copy of the keyspace to {@code file}; returns the copy's applied index. */
    public long writeSnapshot(Path file) {
        try (PinnedView view = pin()) {
            view.writeTo(file, Long.MAX_VALUE, true, false);
            return view.state().appliedIndex();
        }
    }

    /**
     * Pins the committed state as it is now in a read transaction, for a snapshot written later, on any thread
     * ({@link PinnedView#writeTo}). Exact only if no apply runs concurrently: call it from the writer's side.
     */
    public PinnedView pin() {
        Txn<DirectBuffer> txn = store.env.txnRead();
        State pinnedState;
        try {
            pinnedState = store.readState(txn);
        } catch (RuntimeException e) {
            txn.close();
            throw e;
        }
        PinnedView view = new PinnedView(store, txn, pinnedState, pinned::remove);
        pinned.add(view);
        return view;
    }

    /** Replaces the whole keyspace with the snapshot in {@code file}, in one write transaction. */
    public void restoreSnapshot(Path file) {
        writeLock.lock();
        try {
            State st;
            store.reserveAhead(SnapshotFile.sizeOrZero(file));
            try (Txn<DirectBuffer> txn = store.env.txnWrite()) {
                st = SnapshotFile.restore(store, txn, file);
                txn.commit();
            } catch (Env.MapFullException e) {
                throw new QuotaExceededException(ErrorCode.NO_SPACE, "the snapshot " + file + " does not fit the LMDB map"
                        + " of " + config.mapSizeBytes() + " bytes", e);
            }
            state = st;
            // Remaining TTLs restart from now: a snapshot carries granted TTLs, not this node's clock.
            grantMillis.clear();
            long now = config.clockMillis().getAsLong();
            for (long id : leaseList().ids()) {
                grantMillis.put(id, now);
            }
            LOG.info("keyspace restored from snapshot {}: applied index {}, revision {}, compacted {}", file,
                    st.appliedIndex(), st.revision(), st.compactedRevision());
        } finally {
            writeLock.unlock();
        }
    }

    /** Runs a read in a short read txn with a consistent (state, snapshot) pair. */
    private <T> T read(java.util.function.BiFunction<ReadView, State, T> f) {
        for (int attempt = 0; ; attempt++) {
            State s1 = state;
            try (Txn<DirectBuffer> txn = store.env.txnRead()) {
                State s2 = state;
                if (s2.compactedRevision() != s1.compactedRevision() && attempt < 10) {
                    continue;
                }
                State use = new State(s1.appliedIndex(), s1.revision(), s2.compactedRevision(), 0, 0);
                return f.apply(ReadView.of(store, txn), use);
            }
        }
    }

    /** A range read. */
    public RangeResponse range(RangeRequest r) {
        Validation.checkRange(r);
        return read((v, s) -> Ranges.range(v, r, s.revision(), s.compactedRevision()));
    }

    /** A lease's time to live. */
    public LeaseTimeToLive leaseTimeToLive(long id, boolean withKeys) {
        return read((v, s) -> {
            long ttl = Leases.grantedTtl(store, v.txn, id);
            if (ttl < 0) {
                return new LeaseTimeToLive(s.revision(), id, -1, 0, List.of());
            }
            Long granted = grantMillis.get(id);
            long remaining = ttl;
            if (granted != null) {
                long leftMillis = granted + ttl * 1000 - config.clockMillis().getAsLong();
                remaining = Math.max(0, Math.min(ttl, (leftMillis + 999) / 1000));
            }
            List<Bytes> keys = withKeys ? Leases.keys(store, v.txn, id) : List.of();
            return new LeaseTimeToLive(s.revision(), id, remaining, ttl, keys);
        });
    }

    /** Every lease with its granted and checkpointed TTLs. */
    public List<LeaseInfo> leaseInfos() {
        return read((v, s) -> Leases.infos(store, v.txn));
    }

    /** All lease IDs. */
    public LeaseList leaseList() {
        return read((v, s) -> new LeaseList(s.revision(), Leases.ids(store, v.txn)));
    }

    /** History as events. */
    public List<Event> history(long fromRevision, Bytes key, Bytes rangeEnd, boolean prevKv, int maxEvents) {
        return read((v, s) -> {
            if (fromRevision < s.compactedRevision()) {
                throw new RevisionException(ErrorCode.COMPACTED,
                        "revision " + fromRevision + " < compacted revision " + s.compactedRevision());
            }
            return History.read(v, s.compactedRevision(), fromRevision, s.revision(), key, rangeEnd, prevKv,
                    maxEvents);
        });
    }

    /** Fills an event's prev kv by etcd's watch rule. */
    public Event withWatchPrevKv(Event e) {
        return read((v, s) -> History.withWatchPrevKv(v, s.compactedRevision(), e));
    }

    /** The keyspace hash up to {@code revision}. */
    public long hash(long revision) {
        return read((v, s) -> {
            long rev = revision <= 0 ? s.revision() : revision;
            if (rev > s.revision()) {
                throw new RevisionException(ErrorCode.FUTURE_REVISION,
                        "revision " + rev + " > current revision " + s.revision());
            }
            if (rev < s.compactedRevision()) {
                throw new RevisionException(ErrorCode.COMPACTED,
                        "revision " + rev + " < compacted revision " + s.compactedRevision());
            }
            return Hasher.hash(v, s.compactedRevision(), rev);
        });
    }

    /** The number of stored revision records (diagnostics, tests). */
    public long recordCount() {
        return read((v, s) -> store.revs.stat(v.txn).entries);
    }

    /** The number of entries in the latest-version table, tombstones included (diagnostics, tests). */
    public long latestCount() {
        return read((v, s) -> store.latest.stat(v.txn).entries);
    }

    /** For tests in this package. */
    Store storeForTest() {
        return store;
    }

    /** Bytes used by the LMDB file (high-water mark). */
    public long usedBytes() {
        return store.usedBytes();
    }

    /** The longest key the store accepts. */
    public int maxKeyBytes() {
        return store.maxKeyBytes;
    }

    /** Forces everything committed to disk. */
    public void sync() {
        store.env.sync(true);
    }

    /** Runs {@code f} on a raw read view (tests, tools). */
    public <T> T withView(Function<ReadView, T> f) {
        return read((v, s) -> f.apply(v));
    }

    /**
     * Closes the environment once no pinned state is left: pinned views are cancelled and waited for (a write in
     * progress stops at its next check), since closing an LMDB environment under an open transaction is undefined.
     *
     * @throws IllegalStateException if a pinned view is not released within {@link #RELEASE_WAIT_MS} (the environment
     *     is then left open rather than closed under a reader)
     */
    @Override
    public void close() {
        for (PinnedView v : pinned.toArray(new PinnedView[0])) {
            v.cancel("the keyspace is closing");
            if (!v.awaitReleased(RELEASE_WAIT_MS)) {
                throw new IllegalStateException("a keyspace snapshot at applied index " + v.state().appliedIndex()
                        + " was not released within " + RELEASE_WAIT_MS + " ms; the keyspace is left open");
            }
        }
        writeLock.lock();
        try {
            store.close();
        } finally {
            writeLock.unlock();
        }
    }
}
