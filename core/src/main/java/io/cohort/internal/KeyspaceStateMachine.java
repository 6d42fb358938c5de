package io.cohort.internal;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.CorruptKeyspaceException;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceException;
import io.cohort.mvcc.KeyspaceSnapshot;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.Lessor;
import io.cohort.mvcc.WriteRequest;
import io.cohort.mvcc.WatchHub;
import io.cohort.raft.Entry;
import io.cohort.raft.FileSnapshotData;
import io.cohort.raft.FileSnapshotStaging;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotCorruptedException;
import io.cohort.raft.SnapshotCapture;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.SnapshotStaging;
import java.nio.file.Path;
import io.cohort.raft.StateMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft state machine of a node: applies each batch of committed entries as one {@link Keyspace#apply} batch
 * (one LMDB write transaction) and returns per entry the keyspace's {@link ApplyResult} (or a {@link HashCheck}),
 * which the proposer's future completes with.
 *
 * <p>The keyspace has one writer: every write ({@code apply}, compaction steps) holds {@link #writerLock}. A snapshot
 * is held by the keyspace itself, synced beside the writer ({@link #captureSnapshot}); a copy for a follower is pinned
 * under the lock, between two batches, and written beside the writer ({@link #captureSnapshotToSend}).
 */
public final class KeyspaceStateMachine implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(KeyspaceStateMachine.class);

    private final long memberId;
    private final Keyspace keyspace;
    private final WatchHub watchHub;
    private final Lessor lessor;
    private final SnapshotStore snapshots;
    private final Object writerLock = new Object();
    /** Orders snapshot publications: an abandoned capture never publishes after a restored snapshot. */
    private final Object snapshotLock = new Object();
    /** The capture being written, if any; guarded by {@link #snapshotLock}. */
    private HeldCapture snapshotInFlight;
    /** How long a copy for followers may pin the keyspace while it is written before it is abandoned. */
    static final long SNAPSHOT_WRITE_TIMEOUT_MS = 10 * 60_000;
    private volatile long lastWriteNs = System.nanoTime();
    /** Told when a compaction is applied or a snapshot installed: physical compaction may then have work. */
    private volatile Runnable onCompactionApplied = () -> { };
    private volatile HashCheck divergence;

    /** Applies to {@code keyspace} for member {@code memberId}, publishing every batch's events to {@code watchHub}. */
    public KeyspaceStateMachine(long memberId, Keyspace keyspace, WatchHub watchHub, SnapshotStore snapshots) {
        this(memberId, keyspace, watchHub, new Lessor(LeaseDriver.DEFAULT_CHECKPOINT_INTERVAL_MS,
                LeaseDriver.DEFAULT_REVOKE_RETRY_MS), snapshots);
    }

    /**
     * Applies to {@code keyspace} for member {@code memberId}, publishing every batch's events to {@code watchHub}
     * and keeping {@code lessor} in step with the leases applied.
     */
    public KeyspaceStateMachine(long memberId, Keyspace keyspace, WatchHub watchHub, Lessor lessor,
                                SnapshotStore snapshots) {
        this.memberId = memberId;
        this.keyspace = keyspace;
        this.watchHub = watchHub;
        this.lessor = lessor;
        lessor.load(keyspace.leaseInfos());
        this.snapshots = snapshots;
    }

    @Override
    public long appliedIndex() {
        return keyspace.appliedIndex();
    }

    @Override
    public List<?> apply(List<Entry> committed) {
        int n = committed.size();
        List<Command> writes = new ArrayList<>(n);
        byte[] kinds = new byte[n];
        for (int i = 0; i < n; i++) {
            Entry e = committed.get(i);
            kinds[i] = NodeCommand.kind(e.index(), e.data());
            if (kinds[i] == NodeCommand.WRITE) {
                writes.add(new Command(e.index(), NodeCommand.request(e.index(), e.data())));
            }
        }
        List<ApplyResult> applied = List.of();
        boolean compaction = false;
        synchronized (writerLock) {
            // A compaction's first physical step runs inside its apply: the writes before it are applied and
            // published (their watch events take their prev kvs then) first, so a watch never loses a prev kv that
            // the compaction removes. etcd applies each entry on its own and compacts after.
            int from = 0;
            for (int i = 1; i <= writes.size(); i++) {
                if (i == writes.size() || writes.get(i).request() instanceof CompactRequest) {
                    compaction |= i < writes.size();
                    List<ApplyResult> part = keyspace.apply(writes.subList(from, i));
                    if (!part.isEmpty()) {
                        watchHub.publish(part); // In apply order, before the next apply.
                    }
                    if (applied.isEmpty()) {
                        applied = part; // Most batches hold no compaction: one part, not copied.
                    } else {
                        applied = new ArrayList<>(applied);
                        applied.addAll(part);
                    }
                    from = i;
                }
            }
            lastWriteNs = System.nanoTime();
        }
        if (compaction) {
            onCompactionApplied.run();
        }
        assert applied.size() == writes.size() : "one result per command";
        long nowMs = LeaseDriver.nowMs();
        List<Object> results = new ArrayList<>(n);
        int w = 0;
        for (int i = 0; i < n; i++) { // In log order: a keep-alive sees exactly the leases before it.
            byte[] data = committed.get(i).data();
            if (kinds[i] == NodeCommand.WRITE) {
                ApplyResult r = applied.get(w);
                trackLeases(writes.get(w).request(), r, nowMs);
                results.add(r);
                w++;
            } else if (kinds[i] == NodeCommand.KEEP_ALIVE) {
                results.add(keepAlive(NodeCommand.keepAliveLease(data), nowMs));
            } else {
                results.add(check(data));
            }
        }
        return results;
    }

    /** Keeps the lease clock in step with an applied lease grant, revoke or checkpoint. */
    private void trackLeases(WriteRequest request, ApplyResult result, long nowMs) {
        if (result.status() != ApplyResult.Status.APPLIED) {
            return;
        }
        if (result.response() instanceof LeaseGrantResponse g) {
            lessor.granted(g.id(), g.ttlSeconds(), nowMs);
        } else if (request instanceof LeaseRevokeRequest r) {
            lessor.revoked(r.id());
        } else if (request instanceof LeaseCheckpointRequest c) {
            for (LeaseCheckpointRequest.Checkpoint cp : c.checkpoints()) {
                lessor.checkpointed(cp.id(), cp.remainingTtlSeconds());
            }
        }
    }

    /**
     * A keep-alive that came through the log: the leader renews the lease when it applies it (the only clock that
     * counts); every member answers with the granted TTL, or -1 if the lease does not exist at this point of the log.
     */
    private Long keepAlive(long leaseId, long nowMs) {
        if (lessor.isPrimary()) {
            return lessor.renew(leaseId, nowMs);
        }
        return lessor.grantedTtlSeconds(leaseId);
    }

    /** The lease clock kept in step by this state machine. */
    public Lessor lessor() {
        return lessor;
    }

    private HashCheck check(byte[] entry) {
        long[] f = NodeCommand.hashCheckFields(entry);
        long revision = f[0];
        long compacted = f[1];
        long expected = f[2];
        if (keyspace.compactedRevision() != compacted) {
            return new HashCheck(revision, expected, 0, false); // A compaction in between: hashes not comparable.
        }
        long local;
        try {
            local = keyspace.hash(revision);
        } catch (KeyspaceException e) {
            return new HashCheck(revision, expected, 0, false);
        }
        HashCheck c = new HashCheck(revision, expected, local, true);
        if (c.mismatch()) {
            divergence = c;
            LOG.error("member {}: CORRUPTION: the keyspace hash up to revision {} is {} here but {} on the member "
                    + "that asked for the check; the replicas diverged", memberId, revision,
                    Long.toHexString(local), Long.toHexString(expected));
        }
        return c;
    }

    /**
     * A snapshot held in place at {@code meta}: nothing is copied. Its write, on the snapshot thread, syncs the live
     * keyspace (which then durably holds at least {@code meta.index()}) and records the snapshot as held
     * ({@link SnapshotStore#publishHeld}); the log may then be discarded up to it. A follower that needs the state gets
     * a copy written then ({@link #captureSnapshotToSend}). A capture still in flight is abandoned: only the newest
     * may be published.
     */
    @Override
    public SnapshotCapture captureSnapshot(SnapshotMeta meta) {
        HeldCapture capture = new HeldCapture(meta);
        HeldCapture older;
        synchronized (snapshotLock) {
            older = snapshotInFlight;
            snapshotInFlight = capture;
        }
        if (older != null) {
            older.close();
        }
        return capture;
    }

    /** Captures and writes a keyspace snapshot here and now (see {@link #captureSnapshot}). */
    @Override
    public SnapshotData takeSnapshot(SnapshotMeta meta) {
        try (SnapshotCapture capture = captureSnapshot(meta)) {
            return capture.write();
        }
    }

    /**
     * A snapshot held by the live keyspace: written by syncing the keyspace, then publishing the meta. Closed
     * (abandoned) before it is published, it publishes nothing.
     */
    private final class HeldCapture implements SnapshotCapture {
        private final SnapshotMeta meta;
        private boolean abandoned; // guarded by snapshotLock

        HeldCapture(SnapshotMeta meta) {
            this.meta = meta;
        }

        @Override
        public SnapshotMeta meta() {
            return meta;
        }

        @Override
        public SnapshotData write() {
            long startNs = System.nanoTime();
            long synced = keyspace.appliedIndex(); // Committed before the sync, so durable after it.
            keyspace.sync(); // mdb_env_sync runs beside the writer.
            synchronized (snapshotLock) {
                if (abandoned) {
                    throw new CancellationException("the snapshot at index " + meta.index()
                            + " was abandoned before it was published");
                }
                snapshots.publishHeld(meta, synced);
                if (snapshotInFlight == this) {
                    snapshotInFlight = null;
                }
            }
            LOG.info("member {} took a snapshot at index {}: the keyspace synced at applied index {} in {} µs",
                    memberId, meta.index(), synced, (System.nanoTime() - startNs) / 1_000);
            return SnapshotData.onDemand(Math.max(meta.index(), synced));
        }

        /** Abandons the capture: once this returns, it is either published already or never will be. */
        @Override
        public void close() {
            synchronized (snapshotLock) {
                abandoned = true;
                if (snapshotInFlight == this) {
                    snapshotInFlight = null;
                }
            }
        }
    }

    /**
     * Pins the keyspace as it is now (an LMDB read transaction, at or past the held snapshot {@code meta}) for a
     * follower: the capture's write copies it to a file of the snapshot store, labelled {@code meta}, without syncing
     * (the follower checks it against its checksum), and keeps it there until a newer copy replaces it.
     */
    @Override
    public SnapshotCapture captureSnapshotToSend(SnapshotMeta meta) {
        KeyspaceSnapshot pinned;
        synchronized (writerLock) {
            pinned = keyspace.captureSnapshot();
        }
        return new OutgoingCapture(meta, pinned);
    }

    /** A copy of the keyspace for followers, written on the snapshot thread; closing it stops the write. */
    private final class OutgoingCapture implements SnapshotCapture {
        private final SnapshotMeta meta;
        private final KeyspaceSnapshot pinned;

        OutgoingCapture(SnapshotMeta meta, KeyspaceSnapshot pinned) {
            this.meta = meta;
            this.pinned = pinned;
        }

        @Override
        public SnapshotMeta meta() {
            return meta;
        }

        @Override
        public SnapshotData write() {
            long keyspaceIndex = pinned.appliedIndex();
            Path tmp = snapshots.tempFile("outgoing");
            boolean kept = false;
            try {
                pinned.writeCopy(tmp, SNAPSHOT_WRITE_TIMEOUT_MS);
                FileSnapshotData out = snapshots.publishOutgoing(tmp, meta, keyspaceIndex);
                kept = true;
                return out;
            } finally {
                pinned.close();
                if (!kept) {
                    snapshots.discard(tmp);
                }
            }
        }

        @Override
        public void close() {
            pinned.close(); // A write in progress stops at its next check.
        }
    }

    /** Stages a snapshot from the leader in a file of the snapshot store, replacing any unfinished one. */
    @Override
    public SnapshotStaging stageSnapshot(SnapshotMeta meta, long sizeBytes, int checksum) {
        snapshots.deleteTempFiles("received");
        return FileSnapshotStaging.create(snapshots.tempFile("received"), meta, sizeBytes, checksum);
    }

    /**
     * Replaces the keyspace with the leader's (staged and verified) snapshot, syncs it and keeps it as the latest,
     * held in place; the staged file is deleted.
     */
    @Override
    public void restoreSnapshot(Snapshot snapshot) {
        SnapshotData data = snapshot.data();
        Path file = data instanceof FileSnapshotData f && snapshots.isTempFile(f.path())
                ? f.path() // staged by stageSnapshot
                : snapshots.writeTemp(data);
        HeldCapture inFlight;
        synchronized (snapshotLock) {
            inFlight = snapshotInFlight;
        }
        if (inFlight != null) {
            inFlight.close(); // Older than the leader's snapshot: never published over it.
        }
        long held;
        try {
            synchronized (writerLock) {
                keyspace.restoreSnapshot(file);
                keyspace.sync(); // Durable before the log is discarded up to the snapshot.
                held = keyspace.appliedIndex();
                lastWriteNs = System.nanoTime();
                watchHub.restored(); // Watches catch up from the installed history, or end as compacted.
                lessor.load(keyspace.leaseInfos()); // The lease driver promotes it again if this member leads.
            }
            synchronized (snapshotLock) {
                snapshots.publishHeld(snapshot.meta(), held);
            }
            onCompactionApplied.run(); // the installed keyspace may be compacted further than its physical state
        } finally {
            snapshots.discard(file);
        }
        LOG.info("member {} restored a snapshot at index {} (keyspace index {}, {} bytes)", memberId,
                snapshot.meta().index(), held, data.sizeBytes());
    }

    @Override
    public Snapshot latestSnapshot() {
        return snapshots.load();
    }

    /**
     * Checks the keyspace against the latest snapshot before Raft starts. A held snapshot was taken by syncing the
     * keyspace, so a keyspace behind it lost synced writes the log no longer holds: reported, never papered over. A
     * store of an earlier version kept copies: a keyspace behind one (LMDB writes are not synced, so after a crash it
     * may hold less than the copy the log was compacted to) is brought up to it from the copy.
     *
     * @throws CorruptKeyspaceException if the keyspace is behind a held snapshot
     * @throws SnapshotCorruptedException if the snapshot file does not match its recorded size and checksum
     */
    public void recover() {
        SnapshotStore.Stored s = snapshots.latest();
        if (s != null && s.held() && keyspace.appliedIndex() < s.keyspaceIndex()) {
            throw new CorruptKeyspaceException(ErrorCode.CORRUPT, "member " + memberId + ": the keyspace holds applied"
                    + " index " + keyspace.appliedIndex() + " but was synced at " + s.keyspaceIndex() + " when the"
                    + " snapshot at index " + s.meta().index() + " was taken, and the log before that is discarded:"
                    + " the keyspace files lost synced writes (a disk or filesystem failure, or files replaced)."
                    + " Remove this member's data and add it back as a new member");
        }
        if (s != null && keyspace.appliedIndex() < s.keyspaceIndex()) {
            LOG.warn("member {}: the keyspace holds index {}, behind the snapshot's {}; restoring the snapshot",
                    memberId, keyspace.appliedIndex(), s.keyspaceIndex());
            Snapshot latest = snapshots.load();
            FileSnapshotData onDisk = FileSnapshotData.of(snapshots.dataFile(s));
            if (onDisk.sizeBytes() != latest.data().sizeBytes() || onDisk.checksum() != latest.data().checksum()) {
                throw new SnapshotCorruptedException(s.meta(), "the file " + onDisk.path() + " has CRC-32C "
                        + Integer.toHexString(onDisk.checksum()) + " but "
                        + Integer.toHexString(latest.data().checksum())
                        + " was stored");
            }
            synchronized (writerLock) {
                // Restored in place: restoring opens the file read-only, and nothing publishes before Raft starts.
                keyspace.restoreSnapshot(onDisk.path());
                keyspace.sync();
                watchHub.restored();
                lessor.load(keyspace.leaseInfos());
            }
        }
    }

    /** Sets what is told when a compaction is applied or a snapshot installed (the node's idle compactor). */
    void onCompactionApplied(Runnable hook) {
        this.onCompactionApplied = java.util.Objects.requireNonNull(hook);
    }

    /** True if physical compaction has work left. */
    boolean compactionPending() {
        return keyspace.compactionPending();
    }

    /** Runs one bounded physical compaction step if one is pending and no write happened for {@code idleNs}. */
    public boolean compactIfIdle(long idleNs) {
        if (System.nanoTime() - lastWriteNs < idleNs || !keyspace.compactionPending()) {
            return false;
        }
        synchronized (writerLock) {
            return keyspace.compactStep();
        }
    }

    /** The last consistency check that found this member's keyspace differs from the proposer's, or null. */
    public HashCheck divergence() {
        return divergence;
    }

    /** The monitor every keyspace write holds. */
    Object writerLock() {
        return writerLock;
    }
}
