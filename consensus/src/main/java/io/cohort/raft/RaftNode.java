package io.cohort.raft;

import io.cohort.raft.internal.ProposalEnvelope;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running member of a Raft group: a {@link RaftCore} driven by real time, a {@link LogStorage}, a
 * {@link Transport} and a {@link StateMachine}, with three threads.
 *
 * <p>The <b>raft thread</b> owns the core: it takes messages, proposals, reads and ticks from a
 * bounded inbox and hands each {@link Ready} to the <b>pipeline thread</b>, which persists entries
 * and hard state with one sync per batch (group commit), only then sends the messages, applies
 * committed commands to the state machine, serves confirmed reads and captures snapshots. While it syncs,
 * the raft thread sends what needs no sync (a leader's appends, forwarded proposals) and, once the
 * pipeline has applied what its Ready held, applies the commits learnt meanwhile. A small
 * Ready (a few entries, no snapshot) the raft thread processes itself, the same way: the pipeline is
 * idle then (one Ready at a time), and at low load this saves two thread hand-offs per step. Neither
 * thread ever runs caller code: futures complete on the callback executor.
 *
 * <p>While the raft thread is parked, the thread that brings it work does that work itself instead of waking it
 * (a wake-up costs tens of µs on a virtual machine, several per commit). A <b>transport thread</b> delivering a
 * message, where the transport allows it ({@link Transport#inboundThreadsMayBlock}), runs the raft work before it
 * reads on: the step, and a small Ready (a follower's append, fsync and reply; a leader's commit and apply). A
 * <b>caller</b> proposing or reading hands its request to the core and sends what may go at once (a leader's
 * appends, a follower's forwarded request); the raft thread, woken after, does the rest (the leader's own append
 * and fsync). Whoever runs the raft work holds {@link #raftWork}: still one thread at a time, in the same order. A
 * caller never waits for the disk, and no caller code runs in the raft work.
 *
 * <p>With {@link RaftConfig#deferCommitOnlyAppends}, a commit index that no append carried (the core deferred it) is
 * sent at most 1 ms ({@code COMMIT_DEFER_NS}) later: the raft thread of a leader with entries not yet committed parks at
 * most that long, and a thread that defers one while the raft thread would park longer wakes it.
 *
 * <p>The <b>snapshot thread</b> writes the snapshots the state machine captured at a snapshot point
 * ({@link StateMachine#captureSnapshot}), one at a time, off the apply path: a snapshot point that comes while one is
 * still being written is skipped. Once a snapshot is written (durable), the pipeline compacts the log behind the
 * previous one and the core learns of it; a snapshot installed from the leader meanwhile abandons the one in flight.
 * It also writes, when a follower needs one, the bytes of a snapshot the state machine holds in place
 * ({@link SnapshotData#onDemand}, {@link StateMachine#captureSnapshotToSend}).
 *
 * <p>Every request is bounded: at most {@code maxPendingRequests} outstanding (more are refused at
 * once with {@link RaftException.NotAccepted}), and each fails after {@code requestTimeoutMs} with
 * {@link RaftException.NotAccepted} if it never reached a leader or
 * {@link RaftException.OutcomeUnknown} if it may have been committed. Closing the node closes its
 * transport and storage and fails what is pending with {@link RaftException.NodeClosed}.
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
    private static final long JOIN_TIMEOUT_MS = 10_000;
    /** Largest batch (entries to persist, or to apply) the raft thread processes itself, see {@link #isSmall}. */
    private static final int INLINE_MAX_ENTRIES = 4;
    /** Most rounds of raft work a transport thread runs for the parked raft thread before it reads on. */
    private static final int INBOUND_MAX_ROUNDS = 8;
    /**
     * Largest last batch (entries persisted or applied by the latest Ready) at which another thread runs the raft
     * work: above it the node is under load, and the raft thread's wake-up lets more requests join the next batch.
     */
    private static final int LOW_LOAD_MAX_BATCH = 2;
    /** How long the raft thread parks at most while another thread runs the raft work with a tick due (50 µs). */
    private static final long BUSY_PARK_NS = 50_000;
    /**
     * How long a leader keeps a commit index that no append carried before it sends it in empty appends (1 ms), with
     * {@link RaftConfig#deferCommitOnlyAppends}: at low load the next write's appends carry it sooner.
     */
    static final long COMMIT_DEFER_NS = 1_000_000;

    private final long id;
    private final RaftCore core;
    private final boolean deferCommitOnlyAppends;
    private final LogStorage storage;
    private final Transport transport;
    private final StateMachine stateMachine;
    private final Executor callbackExecutor;
    private final long tickNs;
    private final long requestTimeoutNs;
    private final int maxPendingRequests;
    /** The transport's inbound threads may block ({@link Transport#inboundThreadsMayBlock}): they run raft work. */
    private final boolean inboundRunsRaftWork;

    private final ManyToOneConcurrentArrayQueue<Object> inbox;
    /** Ready batches and written snapshots to report, one at a time, for the pipeline thread. */
    private final OneToOneConcurrentArrayQueue<Object> readyQueue = new OneToOneConcurrentArrayQueue<>(2);
    private final OneToOneConcurrentArrayQueue<Object> pipelineOutbox;
    private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final AtomicLong droppedInbound = new AtomicLong();

    private final Thread raftThread;
    private final Thread pipelineThread;
    private final Thread snapshotThread;
    /** The snapshot captured and not yet reported or abandoned: at most one is in flight. */
    private final AtomicReference<SnapshotCapture> snapshotInFlight = new AtomicReference<>();
    /** The capture for the snapshot thread to write. */
    private final AtomicReference<SnapshotCapture> snapshotToWrite = new AtomicReference<>();
    /** A snapshot the snapshot thread wrote, for the raft thread to have the pipeline report. */
    private final AtomicReference<Snapshot> snapshotWritten = new AtomicReference<>();
    /** A held snapshot a Ready asked to be written for followers ({@link Ready#snapshotToSend()}). */
    private final AtomicReference<SnapshotMeta> snapshotToSend = new AtomicReference<>();
    /** The capture the snapshot thread is writing for followers, closed by {@link #close()}. */
    private final AtomicReference<SnapshotCapture> snapshotToSendInFlight = new AtomicReference<>();
    /** What became of {@link #snapshotToSend}: the written {@link Snapshot}, or its meta if not written. */
    private final AtomicReference<Object> snapshotToSendOutcome = new AtomicReference<>();
    /**
     * Held by the thread running the raft work (the core, the inbox, small Readies): the raft thread, or a transport
     * or caller thread while the raft thread is parked. Only ever tried, never waited for (but by {@link #close}).
     */
    private final AtomicBoolean raftWork = new AtomicBoolean();
    private volatile boolean raftIdle;
    /** When the parked raft thread wakes at the latest (System.nanoTime): a deferred commit index due sooner wakes it. */
    private volatile long raftWakeByNs;
    /** When the core deferred its commit index (System.nanoTime; 0: nothing deferred); set by the raft work's holder. */
    private volatile long commitDeferredSinceNs;
    private volatile boolean pipelineIdle;
    /**
     * Set by the pipeline thread once it is done with the state machine for the Ready it holds (it applied
     * that Ready's committed entries before its sync): until the Ready comes back, the raft thread may
     * apply commits learnt meanwhile ({@link #applyStableCommitted}). Cleared by the raft thread.
     */
    private volatile boolean stateMachineReleased;
    private volatile boolean running = true;
    private volatile NodeStatus status;
    private volatile Throwable failure;

    // The holder of raftWork only.
    private final ArrayDeque<Request> waitingForLeader = new ArrayDeque<>();
    private final List<Admin> pendingAdmin = new ArrayList<>();
    private boolean readyOutstanding;
    /** Entries to persist or apply in the latest Ready that had any: the load, for {@link #takeRaftWorkHere}. */
    private int lastBatch;
    /** A {@link WrittenSnapshot} is with the pipeline thread (no Ready is handed out meanwhile). */
    private boolean snapshotReportOutstanding;
    /** The term and leader last seen, to notice a leadership change (reads in flight are then asked again). */
    private long observedTerm = -1;
    private long observedLeader = -1;

    // The thread processing the current Ready: the pipeline, or the raft thread for a small one (isSmall);
    // the state machine side (applied index, waiting reads, completions) also the raft thread while
    // stateMachineReleased.
    private final PriorityQueue<WaitingRead> waitingReads = new PriorityQueue<>();
    private final ArrayList<Pending> succeededBatch = new ArrayList<>();
    private final ExpandableDirectByteBuffer sendBuffer = new ExpandableDirectByteBuffer(64 * 1024);
    /** The raft thread's own, for {@link RaftCore#takeEarlyMessages} while the pipeline uses {@link #sendBuffer}. */
    private final ExpandableDirectByteBuffer earlySendBuffer = new ExpandableDirectByteBuffer(64 * 1024);
    private long appliedIndex;
    private SnapshotMeta previousSnapshot = SnapshotMeta.NONE;
    /** Stages the chunks of a snapshot the leader is sending (pipeline thread only). */
    private final SnapshotReceiver snapshotReceiver;
    private HardState persistedHardState;

    private RaftNode(Builder b) {
        this.id = b.raftConfig.id;
        this.storage = Objects.requireNonNull(b.storage, "storage");
        this.transport = Objects.requireNonNull(b.transport, "transport");
        this.inboundRunsRaftWork = transport.inboundThreadsMayBlock();
        this.stateMachine = Objects.requireNonNull(b.stateMachine, "stateMachine");
        this.callbackExecutor = b.callbackExecutor;
        this.tickNs = TimeUnit.MILLISECONDS.toNanos(b.tickMs);
        this.requestTimeoutNs = TimeUnit.MILLISECONDS.toNanos(b.requestTimeoutMs);
        this.maxPendingRequests = b.maxPendingRequests;
        this.inbox = new ManyToOneConcurrentArrayQueue<>(b.inboxCapacity);
        this.pipelineOutbox = new OneToOneConcurrentArrayQueue<>(1024);
        Snapshot snapshot = stateMachine.latestSnapshot();
        this.appliedIndex = Math.max(stateMachine.appliedIndex(), snapshot == null ? 0 : snapshot.meta().index());
        this.core = new RaftCore(b.raftConfig, storage, snapshot, coreAppliedIndex(storage, snapshot, appliedIndex));
        this.deferCommitOnlyAppends = b.raftConfig.deferCommitOnlyAppends;
        this.previousSnapshot = storage.snapshot();
        this.snapshotReceiver = new SnapshotReceiver(stateMachine::stageSnapshot);
        this.persistedHardState = storage.hardState();
        publishStatus();
        this.raftThread = new Thread(this::raftLoop, "cohort-raft-" + id);
        this.pipelineThread = new Thread(this::pipelineLoop, "cohort-raft-pipeline-" + id);
        this.snapshotThread = new Thread(this::snapshotLoop, "cohort-raft-snapshot-" + id);
        raftThread.setDaemon(true);
        pipelineThread.setDaemon(true);
        snapshotThread.setDaemon(true);
    }

    /**
     * The applied index the core starts from: the state machine's, except where it installed a snapshot written on
     * demand past the snapshot's index ({@link StateMachine#captureSnapshotToSend}) and the log does not reach that
     * far yet: the core then starts at the log's end, and the entries up to the state machine's index are skipped.
     */
    private static long coreAppliedIndex(LogStorage storage, Snapshot snapshot, long applied) {
        long logEnd = Math.max(storage.lastIndex(), storage.snapshot().index());
        boolean heldAhead = snapshot != null && snapshot.data().writtenOnDemand()
                && applied <= snapshot.data().heldIndex();
        return applied > logEnd && heldAhead ? logEnd : applied;
    }

    /** A builder for member {@code memberId} (> 0). */
    public static Builder builder(long memberId) {
        return new Builder(memberId);
    }

    private RaftNode start() {
        raftThread.start();
        pipelineThread.start();
        snapshotThread.start();
        transport.start(id, new Transport.Inbound() {
            @Override
            public void onMessage(long fromId, DirectBuffer buffer, int offset, int length) {
                onInbound(fromId, buffer, offset, length);
            }

            @Override
            public void onDrained(long fromId) {
                if (inboundRunsRaftWork && takeRaftWorkHere()) {
                    runRaftWorkOnInbound();
                }
            }
        });
        return this;
    }

    /** This member's ID. */
    public long id() {
        return id;
    }

    /** The latest status, refreshed by the raft thread after every step. */
    public NodeStatus status() {
        return status;
    }

    /**
     * Proposes {@code command}; the future completes with its log index and the state machine's result
     * once this node's state machine has applied it. Any member may propose (followers forward to the
     * leader).
     */
    public CompletableFuture<Applied> propose(byte[] command) {
        Objects.requireNonNull(command, "command");
        CompletableFuture<Applied> f = new CompletableFuture<>();
        Pending p = register(f, Kind.PROPOSAL);
        if (p != null) {
            enqueue(new Request(p, ProposalEnvelope.wrap(id, p.requestId, command)));
        }
        return f;
    }

    /**
     * Confirms a linearizable read point: the future completes with an index once the leader has
     * confirmed it still leads and this node has applied up to that index, so a local read then
     * sees every write acknowledged before this call.
     */
    public CompletableFuture<Long> readIndex() {
        CompletableFuture<Long> f = new CompletableFuture<>();
        Pending p = register(f, Kind.READ);
        if (p != null) {
            enqueue(new Request(p, null));
        }
        return f;
    }

    /** Adds {@code memberId} as a learner; completes once the change is applied here. */
    public CompletableFuture<Void> addLearner(long memberId) {
        return admin(ConfChange.of(ConfChange.Type.ADD_LEARNER, memberId), m -> m.learners().contains(memberId));
    }

    /** Promotes learner {@code memberId} to voter; completes once the change is applied here. */
    public CompletableFuture<Void> promoteLearner(long memberId) {
        return admin(ConfChange.of(ConfChange.Type.PROMOTE_LEARNER, memberId), m -> m.voters().contains(memberId));
    }

    /** Removes voter or learner {@code memberId}; completes once the change is applied here. */
    public CompletableFuture<Void> removeMember(long memberId) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        enqueue(new Admin(null, memberId, m -> !m.contains(memberId), f, System.nanoTime() + requestTimeoutNs));
        return f;
    }

    /** Hands leadership to voter {@code memberId}; completes once it leads (as seen here). */
    public CompletableFuture<Void> transferLeadership(long memberId) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        enqueue(new Admin(null, memberId, null, f, System.nanoTime() + requestTimeoutNs));
        return f;
    }

    /** Inbound messages dropped because the inbox was full (Raft recovers by retrying). */
    public long droppedInboundMessages() {
        return droppedInbound.get();
    }

    /**
     * Stops the threads, closes the transport and storage and fails pending requests; a snapshot being written is
     * abandoned (never published half-written). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        transport.close();
        LockSupport.unpark(raftThread);
        LockSupport.unpark(pipelineThread);
        join(raftThread);
        join(pipelineThread);
        awaitRaftWorkLetGo();
        abandonSnapshotInFlight();
        SnapshotCapture toSend = snapshotToSendInFlight.get();
        if (toSend != null) {
            toSend.close(); // The snapshot thread sees running == false or this close: its write stops.
        }
        LockSupport.unpark(snapshotThread);
        join(snapshotThread);
        failAll(new RaftException.NodeClosed("Raft node " + id + " was closed"));
        storage.close();
    }

    // ------------------------------------------------------------------ intake (any thread)

    private Pending register(CompletableFuture<?> f, Kind kind) {
        if (!running) {
            f.completeExceptionally(new RaftException.NodeClosed("Raft node " + id + " is closed"));
            return null;
        }
        if (pendingCount.incrementAndGet() > maxPendingRequests) {
            pendingCount.decrementAndGet();
            f.completeExceptionally(new RaftException.NotAccepted("Raft node " + id + " is overloaded: "
                    + maxPendingRequests + " requests are pending, the limit (maxPendingRequests)"));
            return null;
        }
        Pending p = new Pending(nextRequestId.getAndIncrement(), kind, f, System.nanoTime() + requestTimeoutNs);
        pending.put(p.requestId, p);
        return p;
    }

    private void enqueue(Object item) {
        if (!inbox.offer(item)) {
            RaftException e = new RaftException.NotAccepted("Raft node " + id + " is overloaded: its inbox of "
                    + inbox.capacity() + " items is full");
            if (item instanceof Request) {
                complete(((Request) item).pending.requestId, null, e);
            } else if (item instanceof Admin) {
                ((Admin) item).future.completeExceptionally(e);
            }
            return;
        }
        if (takeRaftWorkHere()) {
            sendEarlyForCaller();
        }
    }

    private void onInbound(long fromId, DirectBuffer buffer, int offset, int length) {
        Message m;
        try {
            m = MessageCodec.decode(buffer, offset, length);
        } catch (IllegalArgumentException e) {
            LOG.warn("member {} dropped a malformed message of {} bytes from {}: {}", id, length, fromId, e.getMessage());
            return;
        }
        if (!inbox.offer(m)) {
            droppedInbound.incrementAndGet();
            return;
        }
        if (!inboundRunsRaftWork) {
            wakeRaft();
        } // Else onDrained follows on this thread: it runs the raft work for everything read (or wakes the thread).
    }

    /**
     * After queuing an item: true if this thread now holds {@link #raftWork} to run the work itself (the raft thread
     * is parked); else the item is seen in time by the raft thread (woken here if parked) or by whoever holds
     * {@link #raftWork} (it looks for work after it lets go).
     */
    private boolean takeRaftWorkHere() {
        if (!raftIdle) {
            return false; // Awake: it looks at the inbox before it parks.
        }
        // An interrupted thread must not run it: an interrupt closes the NIO channel (transport, log) it is in.
        if (running && !Thread.currentThread().isInterrupted()) {
            if (!raftWork.compareAndSet(false, true)) {
                return false; // Held: the holder looks for work after it lets go.
            }
            // Only at low load: while the pipeline syncs a batch, or after a batch of several requests, the raft
            // thread does it all, as before: its wake-up lets more requests join a batch (one fsync for all).
            if (running && !readyOutstanding && !snapshotReportOutstanding && lastBatch <= LOW_LOAD_MAX_BATCH) {
                return true;
            }
            raftWork.set(false);
        }
        LockSupport.unpark(raftThread);
        return false;
    }

    /**
     * Wakes the raft thread if it is parked. Whoever holds {@link #raftWork} meanwhile looks for work after it lets
     * go (the raft thread before it parks, another thread before it returns), so an item queued before this call is
     * never left behind.
     */
    private void wakeRaft() {
        if (raftIdle) {
            LockSupport.unpark(raftThread);
        }
    }

    private void wakePipeline() {
        if (pipelineIdle) {
            LockSupport.unpark(pipelineThread);
        }
    }

    // ------------------------------------------------------------------ raft thread

    private void raftLoop() {
        long nextTickNs = System.nanoTime() + tickNs;
        try {
            while (running) {
                if (!raftWork.compareAndSet(false, true)) {
                    // A transport or caller thread runs the raft work: it wakes this thread if it leaves any
                    // (or defers a commit index due before this thread would wake).
                    long parkNs = Math.max(BUSY_PARK_NS, nextTickNs - System.nanoTime());
                    raftWakeByNs = System.nanoTime() + parkNs;
                    raftIdle = true;
                    if (raftWork.get()) {
                        LockSupport.parkNanos(parkNs);
                    }
                    raftIdle = false;
                    continue;
                }
                int work = 0;
                boolean awaitingCommit;
                try {
                    long now = System.nanoTime();
                    if (now - nextTickNs >= 0) {
                        core.tick();
                        nextTickNs += tickNs;
                        if (now - nextTickNs > 10 * tickNs) {
                            nextTickNs = now + tickNs; // Paused for long (GC, debugger): don't burst ticks.
                        }
                        expireRequests(now);
                        work++;
                    }
                    work += doRaftWork();
                    // A commit another thread learns of while this one is parked may be deferred (commit-only
                    // appends): this thread then wakes within COMMIT_DEFER_NS to send it, so a leader with entries
                    // not yet committed parks at most that long (at low load the next write wakes it sooner).
                    awaitingCommit = deferCommitOnlyAppends && core.role() == Role.LEADER
                            && core.commitIndex() < core.lastIndex();
                } finally {
                    raftWork.set(false);
                }
                if (work > 0) {
                    continue;
                }
                long wakeByNs = nextTickNs;
                long now = System.nanoTime();
                if (awaitingCommit && now + COMMIT_DEFER_NS - wakeByNs < 0) {
                    wakeByNs = now + COMMIT_DEFER_NS;
                }
                raftWakeByNs = wakeByNs;
                raftIdle = true;
                // Read after raftWakeByNs is written: a deferral made meanwhile is seen here, or its maker sees
                // raftWakeByNs and wakes this thread (letGoOfRaftWork).
                long deferredSince = commitDeferredSinceNs;
                if (deferredSince != 0 && deferredSince + COMMIT_DEFER_NS - wakeByNs < 0) {
                    wakeByNs = deferredSince + COMMIT_DEFER_NS;
                }
                if (!hasRaftWork()) {
                    LockSupport.parkNanos(Math.max(1, wakeByNs - System.nanoTime()));
                }
                raftIdle = false;
            }
        } catch (Throwable t) {
            fail("raft thread", t);
        }
    }

    /** True if raft work is waiting (the core's own Ready aside): what the raft thread checks before it parks. */
    private boolean hasRaftWork() {
        return !inbox.isEmpty() || !pipelineOutbox.isEmpty() || snapshotToSendOutcome.get() != null
                || (snapshotWritten.get() != null && !readyOutstanding && !snapshotReportOutstanding);
    }

    /**
     * One round of the raft work, ticks aside: takes the inbox, hands out or processes the next Ready, reports
     * what the pipeline and snapshot threads finished. Returns how much it did (0: nothing to do). The caller
     * holds {@link #raftWork}.
     */
    private int doRaftWork() {
        int work = drainInbox();
        if (core.term() != observedTerm || core.leaderId() != observedLeader) {
            observedTerm = core.term();
            observedLeader = core.leaderId();
            work += retryReads();
        }
        work += drainPipelineOutbox();
        work += reportSnapshotToSend();
        if (readyOutstanding) {
            // The pipeline is syncing a batch: what needs no sync goes out now, not after it,
            // and commits learnt meanwhile are applied now if the pipeline is done applying.
            work += sendEarlyMessages();
            if (stateMachineReleased) {
                work += applyStableCommitted();
            }
        } else if (snapshotReportOutstanding) {
            // The pipeline compacts the log behind a written snapshot; the next Ready waits for it.
        } else if (snapshotWritten.get() != null) {
            snapshotReportOutstanding = true;
            boolean offered = readyQueue.offer(new WrittenSnapshot(snapshotWritten.getAndSet(null)));
            assert offered : "one item at a time";
            wakePipeline();
            work++;
        } else if (core.hasReady()) {
            Ready rd = core.ready();
            readyOutstanding = true;
            int batch = Math.max(rd.entries().size(), rd.committedEntries().size());
            if (batch > 0) {
                lastBatch = batch;
            }
            if (isSmall(rd)) {
                // The pipeline is idle (no Ready outstanding): doing a small batch here saves two
                // thread hand-offs (raft -> pipeline -> raft) on the commit path at low load.
                process(rd);
                core.advance(rd);
                readyOutstanding = false;
                checkAdmin();
            } else {
                stateMachineReleased = false;
                boolean offered = readyQueue.offer(rd);
                assert offered : "one Ready at a time";
                wakePipeline();
            }
            work++;
        }
        work += sendDeferredCommitIfDue();
        if (work > 0) {
            publishStatus();
        }
        return work;
    }

    /**
     * Keeps {@link #commitDeferredSinceNs} in step with the core's deferred commit index, and sends that index once it
     * has waited {@link #COMMIT_DEFER_NS} (the next round sends the appends). Returns 1 if it did. The caller holds
     * {@link #raftWork}.
     */
    private int sendDeferredCommitIfDue() {
        if (!core.commitDeferred()) {
            commitDeferredSinceNs = 0;
            return 0;
        }
        long now = System.nanoTime();
        long since = commitDeferredSinceNs;
        if (since == 0) {
            commitDeferredSinceNs = now == 0 ? 1 : now;
            return 0;
        }
        if (now - since < COMMIT_DEFER_NS) {
            return 0;
        }
        core.sendDeferredCommit();
        commitDeferredSinceNs = 0;
        return 1;
    }

    /**
     * On a transport thread that delivered a message while the raft thread was parked, holding {@link #raftWork}:
     * runs the raft work here (a follower's append, fsync and reply; a leader's commit and apply) instead of waking
     * the raft thread, for at most {@link #INBOUND_MAX_ROUNDS} rounds; wakes it for what is left.
     */
    private void runRaftWorkOnInbound() {
        boolean left = false;
        try {
            int rounds = 0;
            while (running && doRaftWork() > 0) {
                // A batch went to the pipeline (or a snapshot report): the raft thread takes over from here.
                if (++rounds == INBOUND_MAX_ROUNDS || readyOutstanding || snapshotReportOutstanding) {
                    left = true;
                    break;
                }
            }
            left |= running && core.hasReady();
        } catch (Throwable t) {
            fail("raft work on " + Thread.currentThread().getName(), t);
        } finally {
            letGoOfRaftWork(left);
        }
    }

    /**
     * On a caller's thread that queued a request while the raft thread was parked, holding {@link #raftWork}: hands
     * the inbox to the core and sends what may go before any sync (a leader's appends and heartbeats, a follower's
     * forwarded request), so followers start on it while the raft thread wakes for the rest (the leader's own
     * append and fsync). Never syncs: a caller does not wait for the disk.
     */
    private void sendEarlyForCaller() {
        try {
            drainInbox();
            sendEarlyMessages();
            publishStatus();
        } catch (Throwable t) {
            fail("raft work on " + Thread.currentThread().getName(), t);
        } finally {
            letGoOfRaftWork(true); // The Ready (the leader's own append and fsync) is the raft thread's.
        }
    }

    /** Sends what the core lets go before the sync ({@link RaftCore#takeEarlyMessages}); 1 if anything. */
    private int sendEarlyMessages() {
        List<Message> early = core.takeEarlyMessages();
        if (early.isEmpty()) {
            return 0;
        }
        send(early, earlySendBuffer);
        return 1;
    }

    /** Lets go of {@link #raftWork} (another thread's run of it) and wakes the raft thread if work is left. */
    private void letGoOfRaftWork(boolean workLeft) {
        raftWork.set(false);
        if (workLeft || hasRaftWork() || deferredCommitDueBeforeRaftWakes()) {
            LockSupport.unpark(raftThread);
        }
    }

    /** True if a deferred commit index is due before the parked raft thread wakes: it must wake sooner to send it. */
    private boolean deferredCommitDueBeforeRaftWakes() {
        long since = commitDeferredSinceNs;
        return since != 0 && raftIdle && raftWakeByNs - (since + COMMIT_DEFER_NS) > 0;
    }

    private int drainInbox() {
        int n = 0;
        for (Object item; n < 4096 && (item = inbox.poll()) != null; n++) {
            if (item instanceof Message) {
                core.step((Message) item);
            } else if (item instanceof Request) {
                submit((Request) item);
            } else if (item instanceof Admin) {
                startAdmin((Admin) item);
            } else {
                throw new IllegalStateException("unknown inbox item " + item);
            }
        }
        if (core.leaderId() != 0 && !waitingForLeader.isEmpty()) {
            for (int i = waitingForLeader.size(); i > 0 && core.leaderId() != 0; i--) {
                submit(waitingForLeader.poll());
            }
        }
        return n;
    }

    private void submit(Request r) {
        if (!pending.containsKey(r.pending.requestId)) {
            return; // Timed out or closed meanwhile.
        }
        boolean accepted = r.framedCommand != null
                ? core.propose(r.framedCommand)
                : core.readIndex(longBytes(r.pending.requestId));
        r.pending.accepted = accepted;
        if (!accepted) {
            if (core.leaderId() == 0 || core.role() != Role.LEADER && core.role() != Role.FOLLOWER
                    || core.leadTransferee() != 0) {
                waitingForLeader.add(r); // Retried once a leader is known; bounded by maxPendingRequests.
            } else {
                complete(r.pending.requestId, null, new RaftException.NotAccepted(
                        "the leader refused the request (too large, or too many uncommitted entries)"));
            }
        }
    }

    /**
     * Asks again for the read index of every read in flight. A leader that steps down forgets the reads it was
     * confirming, so without this they would only time out; a read is safe to ask twice (the first answer wins).
     */
    private int retryReads() {
        if (core.leaderId() == 0) {
            return 0; // Asked again once a leader is known (this runs on every leader change).
        }
        int n = 0;
        for (Pending p : pending.values()) {
            if (p.kind == Kind.READ && p.accepted) {
                core.readIndex(longBytes(p.requestId));
                n++;
            }
        }
        return n;
    }

    private void startAdmin(Admin a) {
        boolean ok;
        if (a.change != null) {
            ok = core.proposeConfigChange(a.change);
        } else if (a.done == null) {
            ok = core.transferLeadership(a.memberId);
        } else {
            Membership m = core.membership();
            ConfChange.Type type = m.learners().contains(a.memberId) ? ConfChange.Type.REMOVE_LEARNER
                    : m.voters().contains(a.memberId) ? ConfChange.Type.REMOVE_VOTER : null;
            ok = type != null && core.proposeConfigChange(ConfChange.of(type, a.memberId));
            if (type == null) {
                a.future.completeExceptionally(new RaftException.NotAccepted(
                        "member " + a.memberId + " is not in " + m));
                return;
            }
        }
        if (!ok) {
            a.future.completeExceptionally(new RaftException.NotAccepted("member " + id + " (" + core.role()
                    + ", leader " + core.leaderId() + ") cannot start " + a.describe() + " now"));
            return;
        }
        pendingAdmin.add(a);
    }

    /**
     * True if the raft thread should process {@code rd} itself rather than hand it to the pipeline: a
     * few entries and committed entries, no snapshot to install or take. Only called with no Ready
     * outstanding, so the pipeline thread touches neither the storage nor the state machine
     * meanwhile; the Ready hand-offs through the queues order the two threads' accesses.
     */
    private boolean isSmall(Ready rd) {
        return rd.snapshot() == null && rd.snapshotRequest() == null && rd.snapshotChunks().isEmpty()
                && rd.entries().size() <= INLINE_MAX_ENTRIES && rd.committedEntries().size() <= INLINE_MAX_ENTRIES;
    }

    /** Tells the core what became of the held snapshot it asked to be written for followers; 1 if anything. */
    private int reportSnapshotToSend() {
        Object outcome = snapshotToSendOutcome.getAndSet(null);
        if (outcome == null) {
            return 0;
        }
        if (outcome instanceof Snapshot written) {
            core.snapshotToSendWritten(written);
        } else {
            core.snapshotToSendFailed((SnapshotMeta) outcome);
        }
        return 1;
    }

    private int drainPipelineOutbox() {
        int n = 0;
        for (Object item; (item = pipelineOutbox.poll()) != null; n++) {
            if (item instanceof Ready) {
                stateMachineReleased = false;
                core.advance((Ready) item);
                readyOutstanding = false;
                checkAdmin();
            } else if (item instanceof Snapshot) {
                core.snapshotTaken((Snapshot) item);
            } else if (item instanceof SnapshotReport report) {
                snapshotReportOutstanding = false;
                if (report.current()) {
                    core.snapshotTaken(report.snapshot());
                }
            } else if (item instanceof StagedSnapshot staged) {
                core.snapshotReceived(staged.snapshot());
            } else if (item instanceof RefusedSnapshot refused) {
                core.snapshotRefused(refused.meta());
            }
        }
        return n;
    }

    private void checkAdmin() {
        for (int i = pendingAdmin.size() - 1; i >= 0; i--) {
            Admin a = pendingAdmin.get(i);
            boolean done = a.done != null ? a.done.test(core.membership()) : core.leaderId() == a.memberId;
            if (done) {
                pendingAdmin.remove(i);
                callbackExecutor.execute(() -> a.future.complete(null));
            }
        }
    }

    private void expireRequests(long now) {
        for (Pending p : pending.values()) {
            if (now - p.deadlineNs >= 0) {
                RaftException e = p.kind == Kind.READ || !p.accepted
                        ? new RaftException.NotAccepted("no leader confirmed the request within "
                                + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNs) + " ms (requestTimeoutMs); "
                                + "the group may have lost its quorum")
                        : new RaftException.OutcomeUnknown("the proposal was not applied within "
                                + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNs)
                                + " ms (requestTimeoutMs); it may or may not have committed");
                // Says where the request stood: a timeout in a healthy group is a bug to find, not only to report.
                LOG.warn("member {}: {} request {} expired ({}; the core had taken it: {}); {}; {} requests wait for"
                        + " a leader", id, p.kind, p.requestId, e.getClass().getSimpleName(), p.accepted, status,
                        waitingForLeader.size());
                complete(p.requestId, null, e);
            }
        }
        waitingForLeader.removeIf(r -> !pending.containsKey(r.pending.requestId));
        for (int i = pendingAdmin.size() - 1; i >= 0; i--) {
            Admin a = pendingAdmin.get(i);
            if (now - a.deadlineNs >= 0) {
                pendingAdmin.remove(i);
                a.future.completeExceptionally(new RaftException.OutcomeUnknown(a.describe()
                        + " did not complete within " + TimeUnit.NANOSECONDS.toMillis(requestTimeoutNs) + " ms"));
            }
        }
    }

    private void publishStatus() {
        NodeStatus s = status;
        if (s == null || s.role() != core.role() || s.term() != core.term() || s.leaderId() != core.leaderId()
                || s.commitIndex() != core.commitIndex() || s.appliedIndex() != core.appliedIndex()
                || !s.membership().equals(core.membership())) {
            if (s != null && (s.term() != core.term() || s.leaderId() != core.leaderId())) {
                LOG.info("member {}: {} in term {}, leader {}", id, core.role(), core.term(), core.leaderId());
            }
            status = new NodeStatus(id, core.role(), core.term(), core.leaderId(), core.commitIndex(),
                    core.appliedIndex(), core.membership());
        }
    }

    // ------------------------------------------------------------------ pipeline thread

    private void pipelineLoop() {
        try {
            while (running) {
                Object item = readyQueue.poll();
                if (item == null) {
                    pipelineIdle = true;
                    if (readyQueue.isEmpty() && running) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                    pipelineIdle = false;
                    continue;
                }
                Object done = item;
                if (item instanceof WrittenSnapshot written) {
                    done = reportWrittenSnapshot(written.snapshot());
                } else {
                    process((Ready) item);
                }
                toRaftThread(done);
                wakeRaft();
            }
        } catch (Throwable t) {
            fail("pipeline thread", t);
        }
    }

    /** Hands {@code item} to the raft thread (pipeline thread only); the raft thread drains its outbox every loop. */
    private void toRaftThread(Object item) {
        while (!pipelineOutbox.offer(item)) {
            Thread.onSpinWait();
        }
    }

    private void process(Ready rd) {
        if (rd.snapshot() != null && rd.snapshot().meta().index() <= appliedIndex) {
            keepStateAhead(rd.snapshot().meta());
        } else if (rd.snapshot() != null) {
            abandonSnapshotInFlight(); // Older than the leader's: it must not be published over it.
            stateMachine.restoreSnapshot(rd.snapshot());
            storage.compact(rd.snapshot().meta());
            previousSnapshot = rd.snapshot().meta();
            // Written on demand, the leader's state may be past the snapshot's index: what it holds is skipped.
            appliedIndex = Math.max(rd.snapshot().meta().index(), stateMachine.appliedIndex());
            Snapshot held = stateMachine.latestSnapshot();
            if (held != null && held.meta().equals(rd.snapshot().meta()) && held.data() != rd.snapshot().data()) {
                toRaftThread(held); // The core sends what the state machine keeps, not the staged bytes.
            }
            LOG.info("member {} installed a snapshot at index {} term {} (applied index {})", id,
                    rd.snapshot().meta().index(), rd.snapshot().meta().term(), appliedIndex);
        }
        if (rd.snapshotToSend() != null) {
            snapshotToSend.set(rd.snapshotToSend());
            LockSupport.unpark(snapshotThread);
        }
        // After the install: a chunk at offset 0 of a newer snapshot replaces any staging left.
        for (SnapshotChunk chunk : rd.snapshotChunks()) {
            stageSnapshotChunk(chunk);
        }
        // A leader sends before its own fsync when the term and vote are unchanged (see
        // Ready.messagesMayPrecedeSync); everyone else persists first. Committed entries already stable
        // here are applied first (reads served, snapshot taken), which frees the state machine for the
        // raft thread to apply what commits during the sync; but a small batch on the raft thread that
        // holds entries a leader waits for is persisted and acknowledged first. With nothing to
        // persist, applying (and completing proposals) comes before sending the commit index.
        HardState hs = rd.hardState();
        boolean inline = Thread.currentThread() != pipelineThread;
        boolean sendFirst = rd.messagesMayPrecedeSync(persistedHardState);
        boolean applyFirst = rd.snapshot() == null
                && (rd.committedEntries().isEmpty() || rd.committedEntriesMayPrecedeSync())
                && !(inline && !sendFirst && !rd.entries().isEmpty()); // the leader waits for this ack
        // Nothing to persist: the messages only carry the commit index (or answer reads).
        boolean applyBeforeSend = applyFirst && rd.entries().isEmpty();
        if (applyBeforeSend) {
            applyAheadOfSync(rd, inline);
        }
        if (sendFirst) {
            send(rd.messages(), sendBuffer);
        }
        if (applyFirst && !applyBeforeSend) {
            applyAheadOfSync(rd, inline);
        }
        if (!rd.entries().isEmpty()) {
            storage.append(rd.entries());
        }
        if (hs != null) {
            storage.setHardState(hs);
        }
        if (rd.mustSync(persistedHardState)) {
            storage.sync();
            if (hs != null) {
                persistedHardState = hs;
            }
        }
        if (!sendFirst) {
            send(rd.messages(), sendBuffer);
        }
        if (!applyFirst) {
            applyAndServe(rd);
        }
    }

    /**
     * A snapshot from the leader that the state machine is already past (it installed one written past its index, or
     * restarted past its log's end): restoring it would take the state back. The state stays; the snapshot is taken
     * here, at {@code meta}, as the state machine holds it, and the log is compacted to it. The staged bytes are left
     * to the state machine's staging, which replaces them with the next snapshot received.
     */
    private void keepStateAhead(SnapshotMeta meta) {
        abandonSnapshotInFlight();
        SnapshotData data;
        try (SnapshotCapture capture = stateMachine.captureSnapshot(meta)) {
            data = capture.write();
        }
        storage.compact(meta);
        previousSnapshot = meta;
        toRaftThread(new Snapshot(meta, data));
        LOG.info("member {} kept its state at applied index {}, past the snapshot at index {} term {} from the leader",
                id, appliedIndex, meta.index(), meta.term());
    }

    /** Applies {@code rd} before its sync; on the pipeline thread that frees the state machine for the raft thread. */
    private void applyAheadOfSync(Ready rd, boolean inline) {
        applyAndServe(rd);
        if (!inline) {
            stateMachineReleased = true;
        }
    }

    /**
     * On the raft thread while the pipeline syncs a Ready it has finished applying: applies the commits
     * learnt since (already durable here) and serves the reads they allow. Returns 1 if it applied any.
     */
    private int applyStableCommitted() {
        List<Entry> stable = core.takeStableCommitted();
        if (stable.isEmpty()) {
            return 0;
        }
        applyCommitted(stable);
        serveReads();
        core.stableCommittedApplied(stable.get(stable.size() - 1).index());
        return 1;
    }

    /** Applies the committed entries, completes the reads they allow, and takes a requested snapshot. */
    private void applyAndServe(Ready rd) {
        applyCommitted(rd.committedEntries());
        for (ReadState rs : rd.readStates()) {
            waitingReads.add(new WaitingRead(rs.index(), bytesLong(rs.context())));
        }
        serveReads();
        if (rd.snapshotRequest() != null) {
            takeSnapshot(rd.snapshotRequest());
        }
    }

    /** Completes the reads waiting for an index now applied. */
    private void serveReads() {
        while (!waitingReads.isEmpty() && waitingReads.peek().index <= appliedIndex) {
            WaitingRead w = waitingReads.poll();
            succeeded(w.requestId, w.index, null);
        }
        flushSucceeded();
    }

    private void send(List<Message> messages, ExpandableDirectByteBuffer buffer) {
        for (int i = 0, n = messages.size(); i < n; i++) {
            Message m = messages.get(i);
            int length = MessageCodec.encode(m, buffer, 0);
            transport.send(m.to(), buffer, 0, length);
        }
    }

    private void applyCommitted(List<Entry> committed) {
        if (committed.isEmpty()) {
            return;
        }
        List<Entry> commands = new ArrayList<>(committed.size());
        for (Entry e : committed) {
            if (e.index() > appliedIndex && e.type() == EntryType.COMMAND) {
                commands.add(new Entry(e.index(), e.term(), EntryType.COMMAND, ProposalEnvelope.command(e.data())));
            }
        }
        if (!commands.isEmpty()) {
            List<?> results = stateMachine.apply(commands);
            if (!results.isEmpty() && results.size() != commands.size()) {
                throw new IllegalStateException("the state machine returned " + results.size() + " results for "
                        + commands.size() + " entries");
            }
            int c = 0;
            for (Entry e : committed) {
                if (e.index() > appliedIndex && e.type() == EntryType.COMMAND) {
                    if (ProposalEnvelope.proposerId(e.data()) == id) {
                        // Completed by flushSucceeded() below, after the state machine has applied it.
                        succeeded(ProposalEnvelope.requestId(e.data()), e.index(), results.isEmpty() ? null : results.get(c));
                    }
                    c++;
                }
            }
        }
        // Entries at or below the applied index come again after an install written on demand: skipped above.
        long last = committed.get(committed.size() - 1).index();
        appliedIndex = Math.max(appliedIndex, last);
        flushSucceeded();
    }

    /** A snapshot from the leader, staged and verified, for the raft thread to install. */
    private record StagedSnapshot(Snapshot snapshot) {
    }

    /** A snapshot from the leader whose staged bytes did not verify. */
    private record RefusedSnapshot(SnapshotMeta meta) {
    }

    /**
     * Writes a chunk of the snapshot the leader is sending into the state machine's staging; once the last one is in
     * and the whole verifies, the raft thread installs it (through the next Ready). A snapshot that fails
     * verification is reported and refused, and the leader sends it again.
     */
    private void stageSnapshotChunk(SnapshotChunk chunk) {
        Object verdict;
        try {
            Snapshot staged = snapshotReceiver.write(chunk);
            if (staged == null) {
                return;
            }
            LOG.info("member {} received a snapshot at index {} ({} bytes, verified)", id, staged.meta().index(),
                    staged.data().sizeBytes());
            verdict = new StagedSnapshot(staged);
        } catch (SnapshotCorruptedException e) {
            LOG.error("member {} refused a snapshot from the leader: {}", id, e.getMessage());
            verdict = new RefusedSnapshot(chunk.meta());
        }
        toRaftThread(verdict);
    }

    /**
     * Captures a snapshot at {@code meta} (the applied index, exactly, unless the state machine is ahead of the log
     * after an install written on demand) and hands it to the snapshot thread; a state machine that wrote it while
     * capturing (the default {@link StateMachine#captureSnapshot}) is reported at once. Skipped if a snapshot is still
     * being written: never more than one in flight.
     */
    private void takeSnapshot(SnapshotMeta meta) {
        if (meta.index() > appliedIndex) {
            throw new IllegalStateException("snapshot requested at " + meta.index() + " but applied is " + appliedIndex);
        }
        SnapshotCapture busy = snapshotInFlight.get();
        if (busy != null) {
            LOG.info("member {} skips the snapshot at index {}: the one at index {} is still being written", id,
                    meta.index(), busy.meta().index());
            return;
        }
        SnapshotCapture capture = stateMachine.captureSnapshot(meta);
        if (!capture.meta().equals(meta)) {
            capture.close();
            throw new IllegalStateException("the state machine captured a snapshot at " + capture.meta()
                    + " when asked for " + meta);
        }
        if (capture instanceof WrittenSnapshotCapture written) {
            Snapshot snap = new Snapshot(meta, written.data());
            toRaftThread(snap);
            compactBehind(meta);
            return;
        }
        snapshotInFlight.set(capture);
        snapshotToWrite.set(capture);
        LockSupport.unpark(snapshotThread);
    }

    /**
     * Compacts the log up to the previous snapshot now that {@code taken} is durable: one snapshot interval of entries
     * stays behind the newest snapshot for followers to catch up from the log, and the previous meta is exact.
     */
    private void compactBehind(SnapshotMeta taken) {
        assert taken.index() > previousSnapshot.index() : "snapshots move forward";
        if (previousSnapshot.index() > storage.snapshot().index()) {
            storage.compact(previousSnapshot);
        }
        previousSnapshot = taken;
    }

    /**
     * On the pipeline thread (it owns the storage): compacts the log behind {@code written}, unless a snapshot from
     * the leader installed meanwhile superseded it, and frees the slot for the next snapshot.
     */
    private SnapshotReport reportWrittenSnapshot(Snapshot written) {
        boolean current = written.meta().index() > previousSnapshot.index();
        if (current) {
            compactBehind(written.meta());
        }
        snapshotInFlight.set(null);
        return new SnapshotReport(written, current);
    }

    /** Closes the snapshot capture in flight, if any: a write in progress stops and publishes nothing. */
    private void abandonSnapshotInFlight() {
        SnapshotCapture c = snapshotInFlight.get();
        if (c == null) {
            return;
        }
        c.close();
        if (snapshotToWrite.compareAndSet(c, null)) {
            snapshotInFlight.compareAndSet(c, null); // Never started: nothing comes back from the snapshot thread.
        }
        LOG.info("member {} abandoned the snapshot at index {} it was writing", id, c.meta().index());
    }

    // ------------------------------------------------------------------ snapshot thread

    private void snapshotLoop() {
        try {
            while (running) {
                SnapshotCapture c = snapshotToWrite.getAndSet(null);
                SnapshotMeta toSend = snapshotToSend.getAndSet(null);
                if (c == null && toSend == null) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                    continue;
                }
                if (c != null) {
                    writeSnapshot(c);
                }
                if (toSend != null) {
                    writeSnapshotToSend(toSend);
                }
            }
        } catch (Throwable t) {
            fail("snapshot thread", t);
        }
    }

    private void writeSnapshot(SnapshotCapture c) {
        long startNs = System.nanoTime();
        SnapshotData data;
        try {
            data = c.write();
        } catch (CancellationException e) {
            snapshotInFlight.compareAndSet(c, null);
            LOG.info("member {}: the snapshot at index {} was not written: {}", id, c.meta().index(), e.getMessage());
            return;
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        LOG.info("member {} wrote the snapshot at index {} ({}) in {} ms beside the applies", id, c.meta().index(),
                data.writtenOnDemand() ? "held by the state machine" : data.sizeBytes() + " bytes",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        snapshotWritten.set(new Snapshot(c.meta(), data));
        wakeRaft();
    }

    /**
     * Has the state machine write its held snapshot at {@code meta} for followers and reports the outcome to the raft
     * thread; a write that fails with an I/O error is logged and asked for again when a follower next needs it.
     */
    private void writeSnapshotToSend(SnapshotMeta meta) {
        long startNs = System.nanoTime();
        Object outcome = meta;
        try {
            SnapshotCapture c = stateMachine.captureSnapshotToSend(meta);
            snapshotToSendInFlight.set(c);
            try {
                if (!running) {
                    c.close();
                }
                SnapshotData data = c.write();
                outcome = new Snapshot(meta, data);
                LOG.info("member {} wrote the snapshot at index {} for followers ({} bytes) in {} ms", id,
                        meta.index(), data.sizeBytes(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            } finally {
                snapshotToSendInFlight.set(null);
                c.close();
            }
        } catch (CancellationException e) {
            LOG.info("member {}: the snapshot at index {} for followers was not written: {}", id, meta.index(),
                    e.getMessage());
        } catch (UncheckedIOException e) {
            LOG.warn("member {} could not write the snapshot at index {} for followers; asked again when one needs it",
                    id, meta.index(), e);
        }
        snapshotToSendOutcome.set(outcome);
        wakeRaft();
    }

    /** A snapshot the snapshot thread wrote, for the pipeline thread to report. */
    private record WrittenSnapshot(Snapshot snapshot) {
    }

    /** A written snapshot the pipeline reported: the core learns of it if it is {@code current} (not superseded). */
    private record SnapshotReport(Snapshot snapshot, boolean current) {
    }

    // ------------------------------------------------------------------ completion

    /** Collects a success; {@link #flushSucceeded} hands the batch to the callback executor as one task. */
    private void succeeded(long requestId, long index, Object result) {
        Pending p = pending.remove(requestId);
        if (p == null) {
            return; // Already completed (timed out), or another node's request.
        }
        pendingCount.decrementAndGet();
        p.resultIndex = index;
        p.result = result;
        succeededBatch.add(p);
    }

    private void flushSucceeded() {
        if (succeededBatch.isEmpty()) {
            return;
        }
        Pending[] batch = succeededBatch.toArray(new Pending[0]);
        succeededBatch.clear();
        callbackExecutor.execute(() -> {
            for (Pending p : batch) {
                p.completeSuccessfully();
            }
        });
    }

    private void complete(long requestId, Long index, RaftException error) {
        Pending p = pending.remove(requestId);
        if (p == null) {
            return; // Already completed (timed out), or another node's request.
        }
        pendingCount.decrementAndGet();
        if (error != null) {
            callbackExecutor.execute(() -> p.future.completeExceptionally(error));
        } else {
            p.resultIndex = index;
            callbackExecutor.execute(p::completeSuccessfully);
        }
    }

    private void failAll(RaftException e) {
        for (Long requestId : new ArrayList<>(pending.keySet())) {
            complete(requestId, null, e);
        }
        for (Admin a : pendingAdmin) {
            a.future.completeExceptionally(e);
        }
        pendingAdmin.clear();
        for (Object item; (item = inbox.poll()) != null; ) {
            if (item instanceof Admin) {
                ((Admin) item).future.completeExceptionally(e);
            }
        }
    }

    private void fail(String where, Throwable t) {
        failure = t;
        LOG.error("member {}: the {} failed; the node stops", id, where, t);
        running = false;
        failAll(new RaftException.NodeClosed("Raft node " + id + " stopped after an internal failure in the "
                + where + ": " + t));
    }

    /** The error that stopped this node, or null if it is running or was closed normally. */
    public Throwable failure() {
        return failure;
    }

    /**
     * Waits (bounded) until no transport or caller thread runs the raft work, and keeps {@link #raftWork} so none
     * starts again: the storage closes next. Called once the raft thread has ended.
     */
    private void awaitRaftWorkLetGo() {
        long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_TIMEOUT_MS);
        while (!raftWork.compareAndSet(false, true)) {
            if (System.nanoTime() - deadlineNs > 0) {
                LOG.warn("member {}: the raft work running on another thread did not stop within {} ms", id,
                        JOIN_TIMEOUT_MS);
                return;
            }
            LockSupport.parkNanos(BUSY_PARK_NS);
        }
    }

    private void join(Thread t) {
        if (Thread.currentThread() == t) {
            return;
        }
        try {
            t.join(JOIN_TIMEOUT_MS);
            if (t.isAlive()) {
                LOG.warn("member {}: {} did not stop within {} ms", id, t.getName(), JOIN_TIMEOUT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletableFuture<Void> admin(ConfChange change, Predicate<Membership> done) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        enqueue(new Admin(change, change.nodeId(), done, f, System.nanoTime() + requestTimeoutNs));
        return f;
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    private static long bytesLong(byte[] b) {
        if (b.length != 8) {
            return -1;
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    private enum Kind { PROPOSAL, READ }

    private static final class Pending {
        final long requestId;
        final Kind kind;
        final CompletableFuture<?> future;
        final long deadlineNs;
        /** Set by the raft thread once the core took the request (it may then commit). */
        volatile boolean accepted;
        /** The index to complete with; written by the pipeline thread before the hand-off. */
        long resultIndex;
        /** The state machine's result for a proposal; written with {@link #resultIndex}. */
        Object result;

        Pending(long requestId, Kind kind, CompletableFuture<?> future, long deadlineNs) {
            this.requestId = requestId;
            this.kind = kind;
            this.future = future;
            this.deadlineNs = deadlineNs;
        }

        @SuppressWarnings("unchecked")
        void completeSuccessfully() {
            if (kind == Kind.READ) {
                ((CompletableFuture<Long>) future).complete(resultIndex);
            } else {
                ((CompletableFuture<Applied>) future).complete(new Applied(resultIndex, result));
            }
        }
    }

    /** A proposal (framed command) or, with a null command, a read. */
    private static final class Request {
        final Pending pending;
        final byte[] framedCommand;

        Request(Pending pending, byte[] framedCommand) {
            this.pending = pending;
            this.framedCommand = framedCommand;
        }
    }

    /** A membership change (change != null), a removal (change == null, done != null) or a transfer. */
    private static final class Admin {
        final ConfChange change;
        final long memberId;
        final Predicate<Membership> done;
        final CompletableFuture<Void> future;
        final long deadlineNs;

        Admin(ConfChange change, long memberId, Predicate<Membership> done, CompletableFuture<Void> future,
              long deadlineNs) {
            this.change = change;
            this.memberId = memberId;
            this.done = done;
            this.future = future;
            this.deadlineNs = deadlineNs;
        }

        String describe() {
            return change != null ? "membership change " + change.type() + " of " + memberId
                    : done != null ? "removal of member " + memberId : "leadership transfer to " + memberId;
        }
    }

    private static final class WaitingRead implements Comparable<WaitingRead> {
        final long index;
        final long requestId;

        WaitingRead(long index, long requestId) {
            this.index = index;
            this.requestId = requestId;
        }

        @Override
        public int compareTo(WaitingRead o) {
            return Long.compare(index, o.index);
        }
    }

    /** Settings and parts of a {@link RaftNode}. */
    public static final class Builder {
        private RaftConfig raftConfig;
        private final RaftConfig.Builder raftConfigBuilder;
        private LogStorage storage;
        private Transport transport;
        private StateMachine stateMachine;
        private Executor callbackExecutor = ForkJoinPool.commonPool();
        private long tickMs = 100;
        private long requestTimeoutMs = 5_000;
        private int maxPendingRequests = 16_384;
        private int inboxCapacity = 65_536;

        private Builder(long memberId) {
            this.raftConfigBuilder = RaftConfig.builder(memberId);
        }

        /** Adjusts the Raft core's settings (election and heartbeat ticks, bounds, snapshot interval...). */
        public Builder raft(Consumer<RaftConfig.Builder> adjust) {
            adjust.accept(raftConfigBuilder);
            return this;
        }

        /** The durable log (the node closes it). */
        public Builder storage(LogStorage v) {
            this.storage = v;
            return this;
        }

        /** The transport to the other members (the node starts and closes it). */
        public Builder transport(Transport v) {
            this.transport = v;
            return this;
        }

        /** The state machine committed commands are applied to. */
        public Builder stateMachine(StateMachine v) {
            this.stateMachine = v;
            return this;
        }

        /** Where request futures are completed (default: the common fork-join pool). */
        public Builder callbackExecutor(Executor v) {
            this.callbackExecutor = Objects.requireNonNull(v);
            return this;
        }

        /** Milliseconds per Raft tick (default 100: heartbeats every tick, elections after 10-20). */
        public Builder tickMs(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("tickMs must be >= 1, was " + v);
            }
            this.tickMs = v;
            return this;
        }

        /** How long a request may stay pending before it fails (default 5000 ms). */
        public Builder requestTimeoutMs(long v) {
            if (v < 1) {
                throw new IllegalArgumentException("requestTimeoutMs must be >= 1, was " + v);
            }
            this.requestTimeoutMs = v;
            return this;
        }

        /** Most requests outstanding at once; more are refused (default 16384). */
        public Builder maxPendingRequests(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxPendingRequests must be >= 1, was " + v);
            }
            this.maxPendingRequests = v;
            return this;
        }

        /** Capacity of the raft thread's inbox, in items (default 65536; rounded to a power of two). */
        public Builder inboxCapacity(int v) {
            if (v < 16) {
                throw new IllegalArgumentException("inboxCapacity must be >= 16, was " + v);
            }
            this.inboxCapacity = v;
            return this;
        }

        /** Starts the node: its threads run and it joins (or bootstraps) its group. */
        public RaftNode start() {
            raftConfig = raftConfigBuilder.build();
            return new RaftNode(this).start();
        }
    }
}
