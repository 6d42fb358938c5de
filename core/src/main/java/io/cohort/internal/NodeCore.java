package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.EncodedSize;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.InvalidRequestException;
import io.cohort.mvcc.JvmFlags;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.Lessor;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.WatchHub;
import io.cohort.mvcc.WriteRequest;
import io.cohort.raft.Applied;
import io.cohort.raft.Membership;
import io.cohort.raft.NodeStatus;
import io.cohort.raft.RaftNode;
import io.cohort.raft.log.ChronicleLogStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running node's parts: the keyspace, its state machine, the Raft node, and the compaction driver. Writes are
 * proposed through Raft and complete with the response computed at apply; linearizable reads wait for a
 * ReadIndex and read the local keyspace.
 */
public final class NodeCore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeCore.class);
    private static final long COMPACTION_IDLE_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long COMPACTION_POLL_MS = 10;
    /** The compactor's longest park with no compaction pending (it is woken when one is applied). */
    private static final long COMPACTION_IDLE_PARK_MS = 1000;

    private final NodeSettings settings;
    private final Keyspace keyspace;
    private final KeyspaceStateMachine stateMachine;
    private final WatchHub watchHub;
    private final Lessor lessor;
    private final LeaseDriver leaseDriver;
    /** Runs background keep-alives (one daemon thread; the work per tick is a non-blocking send). */
    private final java.util.concurrent.ScheduledExecutorService scheduler;
    private final RaftNode raft;
    private final IdleCompactor compactor;
    private final Map<Long, String> addresses = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Reads hold the read side; close takes the write side before closing the keyspace. */
    private final ReentrantReadWriteLock keyspaceGuard = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private NodeCore(NodeSettings s) throws Exception {
        this.settings = s;
        JvmFlags.require("Cohort node " + s.memberId());
        Path ksDir = s.dataDir().resolve("keyspace");
        Path logDir = s.dataDir().resolve("raft");
        Files.createDirectories(ksDir);
        Files.createDirectories(logDir);
        addresses.putAll(s.members());
        KeyspaceConfig ksConfig = KeyspaceConfig.builder().maxRequestBytes(s.maxRequestBytes())
                .quotaBytes(s.quotaBytes()).build();
        this.keyspace = Keyspace.open(ksDir, ksConfig);
        this.watchHub = WatchHub.start(keyspace, s.watchHubConfig(), "cohort-watch-" + s.memberId());
        RaftNode started = null;
        ChronicleLogStorage log = null;
        try {
            this.lessor = new Lessor(s.leaseCheckpointIntervalMs(), LeaseDriver.DEFAULT_REVOKE_RETRY_MS);
            this.stateMachine = new KeyspaceStateMachine(s.memberId(), keyspace, watchHub, lessor,
                    new SnapshotStore(s.dataDir().resolve("snapshot")));
            stateMachine.recover();
            this.compactor = new IdleCompactor(s.memberId(), stateMachine::compactionPending,
                    () -> guarded(ks -> stateMachine.compactIfIdle(COMPACTION_IDLE_NS)), COMPACTION_POLL_MS,
                    COMPACTION_IDLE_PARK_MS);
            stateMachine.onCompactionApplied(compactor::compactionApplied);
            Membership bootstrap = s.joinExisting() ? Membership.EMPTY : new Membership(s.members().keySet(), Set.of());
            int maxEntryBytes = (int) Math.min(Integer.MAX_VALUE - 1024, 2 * s.maxRequestBytes() + 65_536);
            log = ChronicleLogStorage.open(logDir);
            started = RaftNode.builder(s.memberId())
                    .raft(r -> r.bootstrap(bootstrap).electionTicks(s.electionTicks()).heartbeatTicks(1)
                            .randomSeed(s.memberId() * 31 + System.nanoTime())
                            .maxEntryBytes(maxEntryBytes)
                            .snapshotIntervalEntries(s.snapshotIntervalEntries())
                            // A keyspace snapshot is a compacted copy of at most the quota; streamed, never in memory.
                            .maxSnapshotBytes(Math.max(1L << 30, 2 * s.quotaBytes()))
                            // At low load the next write's appends carry the commit index: no empty append, its
                            // apply and its ack per write; followers learn it at most 1 ms late (RaftNode).
                            .deferCommitOnlyAppends(true))
                    .storage(log)
                    .transport(s.transport().create(s.memberId(), Map.copyOf(s.members())))
                    .stateMachine(stateMachine)
                    .callbackExecutor(s.callbackExecutor())
                    .tickMs(s.tickMs())
                    .requestTimeoutMs(s.requestTimeoutMs())
                    // Our own bound comes first (Overloaded); Raft's is a backstop for admin requests.
                    .maxPendingRequests(s.maxPendingRequests() + 1024)
                    .start();
        } catch (Exception | Error e) {
            if (log != null) {
                log.close(); // Not started: the Raft node did not take ownership of the log.
            }
            watchHub.close();
            keyspace.close();
            throw e;
        }
        this.raft = started;
        this.leaseDriver = new LeaseDriver(this, lessor, s.tickMs(), s.tickMs() * s.electionTicks());
        leaseDriver.start();
        this.scheduler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cohort-keepalive-" + s.memberId());
            t.setDaemon(true);
            return t;
        });
        compactor.start();
        LOG.info("member {} started in {} (applied index {}, revision {})", s.memberId(), s.dataDir(),
                keyspace.appliedIndex(), keyspace.currentRevision());
    }

    /** Opens the data directory and starts the node. */
    public static NodeCore start(NodeSettings s) {
        try {
            return new NodeCore(s);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("member " + s.memberId() + " could not start in " + s.dataDir()
                    + ": " + e, e);
        }
    }

    // ------------------------------------------------------------------ writes

    /** Proposes {@code request}; completes with the keyspace's response, or its error, computed at apply. */
    public CompletableFuture<Response> write(WriteRequest request) {
        CompletableFuture<Response> out = new CompletableFuture<>();
        long size = EncodedSize.raftRequestBytes(request);
        if (size > settings.maxRequestBytes()) {
            out.completeExceptionally(new InvalidRequestException(ErrorCode.REQUEST_TOO_LARGE,
                    size + " bytes > the limit of " + settings.maxRequestBytes() + " (maxRequestBytes)"));
            return out;
        }
        if (!admit(out)) {
            return out;
        }
        raft.propose(NodeCommand.write(request)).whenComplete((applied, err) -> {
            inFlight.decrementAndGet();
            if (err != null) {
                out.completeExceptionally(Errors.map(err, true));
                return;
            }
            ApplyResult r = (ApplyResult) applied.result();
            switch (r.status()) {
                case APPLIED -> out.complete(r.response());
                case FAILED -> out.completeExceptionally(r.error());
                default -> out.completeExceptionally(new IllegalStateException(
                        "command " + applied.index() + " was skipped by the keyspace: it was applied before"));
            }
        });
        return out;
    }

    /** Proposes a consistency check of this member's history up to its current revision. */
    public CompletableFuture<HashCheck> checkConsistency() {
        CompletableFuture<HashCheck> out = new CompletableFuture<>();
        if (!admit(out)) {
            return out;
        }
        byte[] command;
        try {
            command = guarded(ks -> {
                long rev = ks.currentRevision();
                return NodeCommand.hashCheck(rev, ks.compactedRevision(), ks.hash(rev));
            });
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            out.completeExceptionally(e);
            return out;
        }
        raft.propose(command).whenComplete((Applied applied, Throwable err) -> {
            inFlight.decrementAndGet();
            if (err != null) {
                out.completeExceptionally(Errors.map(err, true));
            } else {
                out.complete((HashCheck) applied.result());
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ reads

    /**
     * Runs {@code read} on the local keyspace: at once if {@code serializable}, else once a ReadIndex confirmed
     * this member has applied every write acknowledged before the call (a linearizable read).
     */
    public <T> CompletableFuture<T> read(boolean serializable, Function<Keyspace, T> read) {
        CompletableFuture<T> out = new CompletableFuture<>();
        if (serializable) {
            try {
                out.complete(guarded(read));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
            return out;
        }
        if (!admit(out)) {
            return out;
        }
        raft.readIndex().whenComplete((index, err) -> {
            inFlight.decrementAndGet();
            if (err != null) {
                out.completeExceptionally(Errors.map(err, false));
                return;
            }
            try {
                out.complete(guarded(read));
            } catch (RuntimeException e) {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** Runs {@code f} on the keyspace unless the node is closed (then throws {@link CohortException.Closed}). */
    public <T> T guarded(Function<Keyspace, T> f) {
        keyspaceGuard.readLock().lock();
        try {
            if (closed) {
                throw new CohortException.Closed("member " + settings.memberId() + " is closed", null);
            }
            return f.apply(keyspace);
        } finally {
            keyspaceGuard.readLock().unlock();
        }
    }

    private boolean admit(CompletableFuture<?> out) {
        if (closed) {
            out.completeExceptionally(new CohortException.Closed("member " + settings.memberId() + " is closed", null));
            return false;
        }
        if (inFlight.incrementAndGet() > settings.maxPendingRequests()) {
            inFlight.decrementAndGet();
            out.completeExceptionally(new CohortException.Overloaded("member " + settings.memberId() + " has "
                    + settings.maxPendingRequests() + " requests in flight, the limit (maxPendingRequests); "
                    + "the request did not take effect, retry later", null));
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------ parts

    /**
     * Defragmentation: a documented no-op. LMDB keeps freed pages on its free list and reuses them for later
     * writes, so after compaction the file stops growing; it never shrinks in place, and returning the space to
     * the disk would need the keyspace reopened on a compacted copy, which this version does not do.
     */
    public CompletableFuture<Void> defragment() {
        if (closed) {
            return CompletableFuture.failedFuture(
                    new CohortException.Closed("member " + settings.memberId() + " is closed", null));
        }
        LOG.info("member {}: defragment is a no-op (LMDB reuses freed pages; {} bytes in use)", settings.memberId(),
                guarded(Keyspace::usedBytes));
        return CompletableFuture.completedFuture(null);
    }

    /** The Raft node. */
    public RaftNode raft() {
        return raft;
    }

    /** The Raft status. */
    public NodeStatus status() {
        return raft.status();
    }

    /** The watch hub fed by the state machine. */
    public WatchHub watchHub() {
        return watchHub;
    }

    /** The scheduler of background keep-alives. */
    public java.util.concurrent.ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** The lease clock (counting only while this member leads). */
    public Lessor lessor() {
        return lessor;
    }

    /**
     * Sends a keep-alive of lease {@code id} through the log (from a member that is not the leader): the leader renews
     * it when it applies the entry. Completes with the granted TTL, or -1 if the lease does not exist.
     */
    public CompletableFuture<Long> keepAliveThroughLog(long id) {
        CompletableFuture<Long> out = new CompletableFuture<>();
        if (!admit(out)) {
            return out;
        }
        raft.propose(NodeCommand.keepAlive(id)).whenComplete((Applied applied, Throwable err) -> {
            inFlight.decrementAndGet();
            if (err != null) {
                out.completeExceptionally(Errors.map(err, true));
            } else {
                out.complete((Long) applied.result());
            }
        });
        return out;
    }

    /** The state machine. */
    public KeyspaceStateMachine stateMachine() {
        return stateMachine;
    }

    /** The settings. */
    public NodeSettings settings() {
        return settings;
    }

    /** Known member addresses by ID (the initial members and those added through this node). */
    public Map<Long, String> addresses() {
        return addresses;
    }

    /** True once {@link #close()} began. */
    public boolean isClosed() {
        return closed;
    }

    /** Stops Raft (failing pending requests), the compactor, then closes the keyspace. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            scheduler.shutdownNow();
            leaseDriver.close();
            raft.close();
        } finally {
            compactor.close();
            watchHub.close(); // Every watch gets its cancellation before the keyspace goes.
            keyspaceGuard.writeLock().lock();
            try {
                keyspace.close();
            } finally {
                keyspaceGuard.writeLock().unlock();
            }
            LOG.info("member {} closed", settings.memberId());
        }
    }
}
