package io.cohort.internal;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceException;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.Lessor;
import io.cohort.mvcc.WriteRequest;
import io.cohort.mvcc.WatchHub;
import io.cohort.raft.Entry;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotMeta;
import java.nio.file.Path;
import io.cohort.raft.StateMachine;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft state machine of a node: applies each batch of committed entries as one {@link Keyspace#apply} batch
 * (one LMDB write transaction) and returns per entry the keyspace's {@link ApplyResult} (or a {@link HashCheck}),
 * which the proposer's future completes with.
 *
 * <p>The keyspace has one writer: every write ({@code apply}, compaction steps) holds {@link #writerLock}.
 */
public final class KeyspaceStateMachine implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(KeyspaceStateMachine.class);

    private final long memberId;
    private final Keyspace keyspace;
    private final WatchHub watchHub;
    private final Lessor lessor;
    private final SnapshotStore snapshots;
    private final Object writerLock = new Object();
    private volatile long lastWriteNs = System.nanoTime();
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
        List<ApplyResult> applied;
        synchronized (writerLock) {
            applied = writes.isEmpty() ? List.of() : keyspace.apply(writes);
            lastWriteNs = System.nanoTime();
            if (!applied.isEmpty()) {
                watchHub.publish(applied); // In apply order, before the next batch.
            }
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
     * Writes a keyspace snapshot file, syncs the keyspace (the log may then be discarded up to here), stores the
     * file as the latest snapshot and returns its bytes. The whole file is read into memory: the Raft snapshot API
     * takes a byte array.
     */
    @Override
    public byte[] takeSnapshot(SnapshotMeta meta) {
        Path tmp = snapshots.tempFile("snapshot");
        long held;
        synchronized (writerLock) {
            keyspace.sync();
            held = keyspace.writeSnapshot(tmp);
        }
        if (held > meta.index()) {
            throw new IllegalStateException("the keyspace snapshot holds index " + held + ", past the Raft snapshot at "
                    + meta.index());
        }
        snapshots.publish(tmp, meta, held);
        Snapshot s = snapshots.load();
        LOG.info("member {} took a snapshot at index {} ({} bytes)", memberId, meta.index(), s.data().length);
        return s.data();
    }

    /** Replaces the keyspace with the leader's snapshot and keeps it as the latest. */
    @Override
    public void restoreSnapshot(Snapshot snapshot) {
        Path tmp = snapshots.writeTemp(snapshot.data());
        long held;
        synchronized (writerLock) {
            keyspace.restoreSnapshot(tmp);
            held = keyspace.appliedIndex();
            lastWriteNs = System.nanoTime();
            watchHub.restored(); // Watches catch up from the installed history, or end as compacted.
            lessor.load(keyspace.leaseInfos()); // The lease driver promotes it again if this member leads.
        }
        snapshots.publish(tmp, snapshot.meta(), held);
        LOG.info("member {} restored a snapshot at index {} (keyspace index {})", memberId, snapshot.meta().index(), held);
    }

    @Override
    public Snapshot latestSnapshot() {
        return snapshots.load();
    }

    /**
     * Brings the keyspace up to the latest snapshot if it is behind it (LMDB writes are not synced, so after a crash
     * it may hold less than the snapshot the log was compacted to). Call before Raft starts.
     */
    public void recover() {
        SnapshotStore.Stored s = snapshots.latest();
        if (s != null && keyspace.appliedIndex() < s.keyspaceIndex()) {
            LOG.warn("member {}: the keyspace holds index {}, behind the snapshot's {}; restoring the snapshot",
                    memberId, keyspace.appliedIndex(), s.keyspaceIndex());
            Path tmp = snapshots.tempFile("recover");
            try {
                java.nio.file.Files.copy(snapshots.dataFile(), tmp);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            synchronized (writerLock) {
                keyspace.restoreSnapshot(tmp);
                keyspace.sync();
                watchHub.restored();
                lessor.load(keyspace.leaseInfos());
            }
            try {
                java.nio.file.Files.deleteIfExists(tmp);
            } catch (java.io.IOException e) {
                LOG.warn("member {}: could not delete {}", memberId, tmp, e);
            }
        }
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
