package io.cohort.raft.sim;

import io.cohort.raft.ConfChange;
import io.cohort.raft.Entry;
import io.cohort.raft.HardState;
import io.cohort.raft.EntryType;
import io.cohort.raft.Membership;
import io.cohort.raft.Message;
import io.cohort.raft.MessageCodec;
import io.cohort.raft.RaftConfig;
import io.cohort.raft.RaftCore;
import io.cohort.raft.ReadState;
import io.cohort.raft.Ready;
import io.cohort.raft.Role;
import io.cohort.raft.Snapshot;
import io.cohort.raft.SnapshotChunk;
import io.cohort.raft.SnapshotCorruptedException;
import io.cohort.raft.SnapshotData;
import io.cohort.raft.SnapshotMeta;
import io.cohort.raft.SnapshotReceiver;
import io.cohort.raft.SnapshotStaging;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One deterministic simulation run: several {@link RaftCore}s driven in one thread by a seeded
 * scheduler over simulated time, with a faulty network, a simulated disk, crashes, membership
 * changes, leadership transfers, reads and snapshots. Safety invariants are checked throughout; a
 * liveness check runs after the faults stop. Same seed, same run.
 *
 * <p>Each node's state machine is a {@link Replica} from {@link #openReplica} (by default a hash
 * chain, {@link SimStateMachine}); a subclass can plug in a real one, its own workload
 * ({@link #startWorkload}), read serving ({@link #onReadState}) and final checks ({@link #afterHealed}).
 */
public class RaftSimulation {
    /** Simulated time units per nominal tick. */
    protected static final int TICK = 10;
    static final int INBOX_MAX_MESSAGES = 4096;

    /**
     * A node whose state machine already holds a snapshot's index when it installs it (it installed a copy written
     * past its index before, or restarted past its log's end) keeps its state and only compacts its log, instead of
     * restoring the snapshot's older state, as {@code RaftNode.keepStateAhead} does. {@code -Dsim.keepStateAhead=false}
     * restores instead (the state machine then goes back, which the run reports: seeds 12287 and 25551).
     */
    static final boolean KEEP_STATE_AHEAD = !"false".equals(System.getProperty("sim.keepStateAhead"));

    /** The seed of this run. */
    protected final long seed;
    /** The only source of randomness of the run. */
    protected final SplittableRandom rnd;
    final boolean verbose;
    /** The current simulated time. */
    protected long now;
    private long eventSeq;
    private final PriorityQueue<Event> events = new PriorityQueue<>();
    /** Every node, by ID. */
    protected final TreeMap<Long, Node> nodes = new TreeMap<>();

    // fault parameters for this seed
    final int initialVoters;
    final double dropP;
    final double dupP;
    final int maxDelay;
    /** When faults and load stop. */
    protected final int chaosTimeUnits;
    /** The Raft thread keeps stepping the core while the log writer syncs (else it waits). */
    protected final boolean asyncDriver;
    /** Leaders send a Ready's messages before its sync where {@link Ready#messagesMayPrecedeSync} allows. */
    final boolean leaderSendsBeforeSync;
    /** Committed entries are applied before a Ready's sync where {@link Ready#committedEntriesMayPrecedeSync} allows. */
    final boolean applyBeforeSync;
    /** Skip the sync of a Ready whose only change is the commit index ({@link Ready#mustSync}), as RaftNode does. */
    final boolean syncOnlyWhenRequired;
    /** While a sync is in progress (async driver), send what {@link RaftCore#takeEarlyMessages} allows, as RaftNode does. */
    final boolean earlyMessages;
    /** Messages sent by {@link RaftCore#takeEarlyMessages} while a sync was in progress. */
    long earlyMessagesSent;
    /** Commit indexes a leader deferred and later sent in empty appends. */
    long deferredCommitsSent;
    /** While a sync of a Ready already applied is in progress, apply {@link RaftCore#takeStableCommitted}, as RaftNode does. */
    final boolean stableApply;
    /** Batches applied through {@link RaftCore#takeStableCommitted} while a sync was in progress. */
    long stableBatchesApplied;
    final boolean churn; // frequent crashes, mostly of the leader
    final TreeSet<Long> blocked = new TreeSet<>(); // encoded pairs from*1000+to

    // invariant tracking
    final TreeMap<Long, Long> leaderOfTerm = new TreeMap<>();
    final HashMap<Long, Long> committedHash = new HashMap<>(); // index -> entry hash (term+data)
    final HashMap<Long, Long> stateHashAt = new HashMap<>();
    final HashMap<Long, Long> digestAt = new HashMap<>();
    final HashMap<Long, Long> committedTermAt = new HashMap<>();
    final HashMap<List<Long>, Long> logEntryHash = new HashMap<>(); // (index, term) -> data hash
    /** The highest commit index any node has reported. */
    protected long maxCommitSeen;
    final HashMap<Long, Long> readRequired = new HashMap<>();
    long readSeq;
    long proposalSeq;
    long readsServed;
    long snapshotsInstalled;
    long snapshotChunksStaged;
    long snapshotsTaken;
    /** Snapshots captured at one index and written after more entries were applied ({@link Replica#capture}). */
    long snapshotsWrittenLater;
    /** Randomness of the held snapshots (which nodes hold, copy delays, failed copies): a stream of its own. */
    private final SplittableRandom heldRnd;
    /** Snapshots held in place taken ({@link SnapshotData#onDemand}), installs not counted. */
    long heldSnapshotsTaken;
    /** Copies of a held snapshot a leader's core asked for ({@link Ready#snapshotToSend()}). */
    long heldCopiesAsked;
    /** Copies of a held snapshot written and reported ({@link RaftCore#snapshotToSendWritten}). */
    long heldCopiesWritten;
    /** Copies of a held snapshot written holding more than the snapshot's index. */
    long heldCopiesAhead;
    /** Copies reported as not written ({@link RaftCore#snapshotToSendFailed}). */
    long heldCopiesFailed;
    /** Copies asked for and dropped by a crash before they were reported. */
    long heldCopiesLostInCrash;
    /** Installs of a copy of a held snapshot. */
    long heldCopiesInstalled;
    /** Installs that left the state machine past the snapshot's index (committed entries up to it then skipped). */
    long installsAheadOfIndex;
    /** Committed entries skipped because the state machine already held them. */
    long entriesSkipped;
    /** Installs of a snapshot the state machine was already past, which kept its state ({@link #KEEP_STATE_AHEAD}). */
    long installsKeepingState;
    /** Restarts whose state machine was past the log's end: the core started at the log's end. */
    long restartsAheadOfLog;
    /** Restarts of a node whose latest snapshot is held (checked: its state machine is at or past it). */
    long heldRestarts;
    /** Snapshots of a copying state machine taken while it was ahead of the snapshot's index. */
    long snapshotsTakenAhead;
    /** (index, term, checksum) of every copy of a held snapshot written: to count their installs. */
    private final HashSet<List<Long>> heldCopies = new HashSet<>();
    /** The durable storage of each node's default state machine, if it holds its snapshots. */
    private final HashMap<Long, SimStateMachine.Storage> simStorage = new HashMap<>();
    long crashes;
    long crashesWithUnsyncedWrites;
    long machineCrashes;
    /** Readies whose messages a leader sent before its sync. */
    long readiesSentBeforeSync;
    /** Readies whose committed entries were applied before their sync. */
    long readiesAppliedBeforeSync;
    long confChanges;
    long transfers;
    long maxApplied;

    record Event(long time, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** Creates a run for {@code seed}. */
    public RaftSimulation(long seed, boolean verbose) {
        this.seed = seed;
        this.verbose = verbose;
        this.rnd = new SplittableRandom(seed);
        this.initialVoters = rnd.nextInt(4) == 0 ? 5 : 3;
        this.dropP = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble() * 0.15;
        this.dupP = rnd.nextDouble() * 0.05;
        this.maxDelay = 2 + rnd.nextInt(25);
        this.chaosTimeUnits = 2500 + rnd.nextInt(2500);
        this.asyncDriver = rnd.nextBoolean();
        this.leaderSendsBeforeSync = rnd.nextBoolean();
        this.applyBeforeSync = rnd.nextBoolean();
        // From its own stream, so that adding it did not change the runs of earlier seeds.
        // (SplittableRandom, not java.util.Random: the first nextBoolean of java.util.Random is the same
        // for every seed from 1 to 500, so these modes were never drawn in the default run.)
        this.syncOnlyWhenRequired = new SplittableRandom(seed ^ 0x5EED_5A1CL).nextBoolean();
        this.earlyMessages = new SplittableRandom(seed ^ 0xEA51_5E4DL).nextBoolean();
        this.stableApply = new SplittableRandom(seed ^ 0x57AB_1EA9L).nextBoolean();
        this.churn = rnd.nextInt(3) == 0;
        this.heldRnd = new SplittableRandom(seed ^ 0x4E1D_5A95L);
    }

    /** Runs {@code r} {@code delay} time units from now. */
    protected void schedule(long delay, Runnable r) {
        events.add(new Event(now + delay, eventSeq++, r));
    }

    /** Prints a trace line when verbose. */
    protected void log(String s) {
        if (verbose) {
            System.out.println("[" + now + "] " + s);
        }
    }

    /** Fails the run with {@code what}, the seed and the nodes' state. */
    protected void fail(String what) {
        throw new AssertionError("seed " + seed + " @" + now + ": " + what + "\nnodes:\n" + dump());
    }

    String dump() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes.values()) {
            sb.append("  ").append(n.alive ? "" : "DOWN ").append(n.core).append(" busy=").append(n.busy).append('\n');
            if (n.core.role() == Role.LEADER) {
                for (long id : nodes.keySet()) {
                    if (n.core.progressOf(id) != null) {
                        sb.append("    progress ").append(id).append(": ").append(n.core.progressOf(id)).append('\n');
                    }
                }
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ nodes

    /** One simulated node: a core, its disk and its replica. */
    protected final class Node {
        /** The member ID. */
        public final long id;
        final boolean founder;
        final SimDisk disk = new SimDisk();
        /** When a deferred commit index is sent (its own stream: runs without deferrals keep their schedule). */
        private final SplittableRandom commitRnd;
        private boolean deferredCommitScheduled;
        /**
         * Holds its snapshots in place ({@link SnapshotData#onDemand}): its state machine's own storage is made
         * durable instead of copying the state, and a copy is written only when a follower needs one. A third of
         * the nodes, for the whole run.
         */
        public final boolean holdsSnapshots;
        /** The latest snapshot stored durably (survives crashes), or null. */
        public Snapshot durableSnapshot;
        Snapshot previousSnapshot;
        /** A snapshot captured and not yet written ({@link Replica#capture}): at most one, as on a real node. */
        Replica.Capture snapshotInFlight;
        /** The replica's applied index when {@link #snapshotInFlight} was captured: written once it applied more. */
        long snapshotInFlightCapturedAt;
        /**
         * Committed entries up to here may come again: the state machine holds them already (it installed a copy
         * past the snapshot's index, or restarted past its log's end). Any other entry applied twice fails the run.
         */
        long skipUpTo;
        /** The state machine (replaced on restart). */
        public Replica replica;
        /** The Raft core (replaced on restart). */
        public RaftCore core;
        /** False while crashed. */
        public boolean alive;
        /** Incremented by every crash. */
        public int epoch;
        /** Waiting for a log sync (the core may not be used unless {@link #asyncDriver}). */
        public boolean busy;
        /** The Ready being synced had its committed entries applied before the sync (the state machine is free). */
        boolean syncingReadyApplied;
        /** In {@link #applyEntries}: callbacks from the state machine must not start another apply. */
        boolean inApply;
        boolean crashOnNextWrite;
        HardState persistedHardState = HardState.EMPTY;
        long commitChecked;
        final int tickUnits = TICK - 2 + rnd.nextInt(5); // clocks run at slightly different speeds
        int pendingTicks;
        final ArrayDeque<Message> inbox = new ArrayDeque<>();
        /** Stages the chunks of a snapshot being received, in memory (replaced on restart: staging is volatile). */
        SnapshotReceiver snapshotReceiver;

        Node(long id, boolean founder) {
            this.id = id;
            this.founder = founder;
            this.holdsSnapshots = heldRnd.nextInt(3) == 0;
            this.commitRnd = new SplittableRandom(seed * 0x9E37_79B9L + id);
        }

        void start() {
            alive = true;
            deferredCommitScheduled = false;
            commitChecked = 0;
            busy = false;
            pendingTicks = 0;
            inbox.clear();
            persistedHardState = disk.hardState();
            replica = openReplica(this);
            skipUpTo = 0;
            long applied = replica.appliedIndex();
            heldRestarts += durableSnapshot != null && durableSnapshot.data().writtenOnDemand() ? 1 : 0;
            if (durableSnapshot != null && durableSnapshot.data().writtenOnDemand()
                    && applied < durableSnapshot.data().heldIndex()) {
                fail("node " + id + " restarted at applied index " + applied + ", behind its held snapshot at "
                        + durableSnapshot.meta().index() + " (held at " + durableSnapshot.data().heldIndex()
                        + "): its state machine lost what it had made durable, and the log is compacted");
            }
            Membership boot = Membership.EMPTY;
            if (founder) {
                TreeSet<Long> v = new TreeSet<>();
                for (long i = 1; i <= initialVoters; i++) {
                    v.add(i);
                }
                boot = new Membership(v, java.util.Set.of());
            }
            RaftConfig.Builder builder = RaftConfig.builder(id).bootstrap(boot).electionTicks(10).heartbeatTicks(2)
                    .randomSeed(seed * 31 + epoch).maxAppendBytes(64 + rnd.nextInt(512))
                    .maxInflightAppends(1 + rnd.nextInt(8)).maxInflightBytes(256 + rnd.nextInt(4096))
                    .maxUncommittedEntries(200).maxPendingReads(64).maxApplyBytes(128 + rnd.nextInt(1024))
                    .snapshotIntervalEntries(10 + rnd.nextInt(30)).snapshotChunkBytes(64 + rnd.nextInt(400));
            // From its own stream (earlier seeds keep their runs): a Ready's appends bounded to one to four messages.
            SplittableRandom own = new SplittableRandom(seed * 131 + id * 7 + epoch);
            builder.maxReadyAppendBytes(builder.build().maxAppendBytes * (1 + own.nextInt(4)));
            // A quarter of the nodes let the snapshot interval grow with the snapshot's size; the rest keep it fixed,
            // so snapshots (and installs) stay frequent in most runs.
            builder.maxSnapshotIntervalFactor(own.nextInt(4) == 0 ? 64 : 1);
            // Half the nodes defer commit-only appends (as CohortNode does), the rest send them at once (etcd's way).
            builder.deferCommitOnlyAppends(own.nextInt(2) == 0);
            RaftConfig cfg = tuneConfig(builder).build();
            long coreApplied = coreAppliedIndex(applied);
            if (coreApplied < applied) {
                restartsAheadOfLog++;
                skipUpTo = applied;
                log("node " + id + " restarts at applied index " + applied + ", past its log's end: the core starts at "
                        + coreApplied);
            }
            core = new RaftCore(cfg, disk, durableSnapshot, coreApplied);
            snapshotReceiver = new SnapshotReceiver((meta, size, crc) -> SnapshotStaging.inMemory(meta, size, crc,
                    Integer.MAX_VALUE - 16));
            int e = epoch;
            schedule(1 + rnd.nextInt(TICK), () -> tickLoop(e));
        }

        /**
         * The applied index the core starts from, as {@code RaftNode.coreAppliedIndex}: the state machine's, except
         * where it installed a copy written past the snapshot's index and the log does not reach that far yet (the
         * snapshot vouches for the state up to its held index, or for a copy, the index its bytes hold).
         */
        long coreAppliedIndex(long applied) {
            long logEnd = Math.max(disk.lastIndex(), disk.snapshot().index());
            boolean snapshotAhead = durableSnapshot != null && applied <= replica.appliedIndexOf(durableSnapshot);
            return applied > logEnd && snapshotAhead ? logEnd : applied;
        }

        void tickLoop(int e) {
            if (!alive || epoch != e) {
                return;
            }
            if (busy && asyncDriver) {
                core.tick(); // the Raft thread keeps running while the log writer syncs
                whileSyncing();
            } else if (busy) {
                pendingTicks = Math.min(pendingTicks + 1, 3);
            } else {
                core.tick();
                processReady();
            }
            schedule(tickUnits, () -> tickLoop(e));
        }

        void crash() {
            crash(nextCrashLosesPower());
        }

        /** Crashes the node: a machine crash loses unsynced log writes (keeping a random, maybe torn, prefix). */
        void crash(boolean machineCrash) {
            if (!alive) {
                return;
            }
            crashes++;
            boolean dirty = disk.dirty();
            int kept;
            if (machineCrash) {
                machineCrashes++;
                kept = disk.crash(rnd);
                if (dirty) {
                    crashesWithUnsyncedWrites++;
                }
            } else {
                kept = disk.processCrash();
            }
            log((machineCrash ? "MACHINE CRASH " : "PROCESS CRASH ") + id + " kept " + kept + " unsynced ops");
            abandonSnapshotInFlight();
            replica.crash(machineCrash);
            alive = false;
            epoch++;
            busy = false;
            inbox.clear();
        }

        /** Proposes {@code data} and processes the resulting Ready; false if the core dropped it. */
        public boolean propose(byte[] data) {
            boolean accepted = core.propose(data);
            processReady();
            return accepted;
        }

        /** Requests a linearizable read and processes the resulting Ready; false if the core dropped it. */
        public boolean readIndex(byte[] context) {
            boolean accepted = core.readIndex(context);
            processReady();
            return accepted;
        }

        /** True if the core may be called now (not waiting for a sync, or the driver is asynchronous). */
        public boolean acceptsCalls() {
            return alive && (!busy || asyncDriver);
        }

        void deliver(Message m) {
            if (!alive) {
                return;
            }
            if (busy && asyncDriver) {
                core.step(m);
                whileSyncing();
                return;
            }
            if (busy) {
                if (inbox.size() < INBOX_MAX_MESSAGES) {
                    inbox.add(m);
                }
                return;
            }
            core.step(m);
            processReady();
        }

        /**
         * While a sync is in progress, sends what needs no sync and, if the Ready being synced was applied
         * first, applies the commits learnt meanwhile (RaftNode's raft thread does the same).
         */
        void whileSyncing() {
            if (alive && busy && asyncDriver && earlyMessages) {
                for (Message m : core.takeEarlyMessages()) {
                    earlyMessagesSent++;
                    network(m);
                }
            }
            // Not from inside an apply: a client completed there may call in again (RaftNode completes on another thread).
            if (alive && busy && asyncDriver && stableApply && syncingReadyApplied && !inApply) {
                List<Entry> stable = core.takeStableCommitted();
                if (!stable.isEmpty()) {
                    stableBatchesApplied++;
                    log(id + " applies stable commits " + stable.get(0).index() + ".." + stable.get(stable.size() - 1).index()
                            + " during a sync");
                    applyEntries(stable);
                    core.stableCommittedApplied(stable.get(stable.size() - 1).index());
                }
            }
        }

        void processReady() {
            whileSyncing();
            while (alive && !busy && core.hasReady()) {
                Ready rd = core.ready();
                onReady(this, rd);
                for (SnapshotChunk chunk : rd.snapshotChunks()) {
                    snapshotChunksStaged++;
                    try {
                        Snapshot staged = snapshotReceiver.write(chunk);
                        if (staged != null) {
                            core.snapshotReceived(staged); // the core installs it after this Ready
                        }
                    } catch (SnapshotCorruptedException e) {
                        fail("node " + id + " staged a corrupt snapshot from an uncorrupting network: " + e.getMessage());
                    }
                }
                if (rd.snapshot() != null && KEEP_STATE_AHEAD && replica.appliedIndex() >= rd.snapshot().meta().index()) {
                    keepStateOnInstall(rd.snapshot());
                } else if (rd.snapshot() != null) {
                    Snapshot s = rd.snapshot();
                    abandonSnapshotInFlight(); // older than the leader's: never stored over it
                    long appliedBefore = replica.appliedIndex();
                    replica.restore(s);
                    long state = replica.appliedIndex();
                    if (state < s.meta().index() || state != replica.appliedIndexOf(s)) {
                        fail("node " + id + " installed the snapshot at " + s.meta().index() + " (bytes at "
                                + replica.appliedIndexOf(s) + ") and is at applied index " + state);
                    }
                    if (state < appliedBefore) {
                        fail("node " + id + "'s state machine went back from applied index " + appliedBefore + " to "
                                + state + " installing the snapshot at " + s.meta().index());
                    }
                    checkStateHash(this, state);
                    previousSnapshot = durableSnapshot;
                    long durable = replica.makeDurable(); // before the log is compacted past it
                    if (holdsSnapshots) {
                        // As KeyspaceStateMachine: what it installed, it holds in place; the core learns of it.
                        durableSnapshot = new Snapshot(s.meta(), SnapshotData.onDemand(Math.max(s.meta().index(),
                                durable)));
                        core.snapshotTaken(durableSnapshot);
                    } else {
                        durableSnapshot = s;
                    }
                    disk.compact(s.meta());
                    snapshotsInstalled++;
                    if (heldCopies.contains(copyKey(s))) {
                        heldCopiesInstalled++;
                    }
                    if (state > s.meta().index()) {
                        installsAheadOfIndex++;
                        skipUpTo = Math.max(skipUpTo, state);
                    }
                    log(id + " installed snapshot " + s + " at applied index " + state);
                }
                if (rd.snapshotToSend() != null) {
                    writeCopyLater(rd.snapshotToSend());
                }
                if (!rd.committedEntries().isEmpty() || !rd.entries().isEmpty()) {
                    log(id + " ready: entries " + rd.entries().size() + ", committed "
                            + (rd.committedEntries().isEmpty() ? "none" : rd.committedEntries().get(0).index() + ".."
                            + rd.committedEntries().get(rd.committedEntries().size() - 1).index()));
                }
                boolean sentEarly = leaderSendsBeforeSync && rd.messagesMayPrecedeSync(persistedHardState);
                boolean appliedEarly = applyBeforeSync && rd.committedEntriesMayPrecedeSync();
                if (sentEarly) {
                    readiesSentBeforeSync += rd.messages().isEmpty() ? 0 : 1;
                    for (Message m : rd.messages()) {
                        network(m);
                    }
                }
                if (appliedEarly) {
                    readiesAppliedBeforeSync++;
                    applyAndServe(rd);
                }
                syncingReadyApplied = appliedEarly;
                disk.append(rd.entries());
                if (rd.hardState() != null) {
                    disk.setHardState(rd.hardState());
                }
                if (rd.nothingToPersist() || syncOnlyWhenRequired && !rd.mustSync(persistedHardState)) {
                    complete(rd, sentEarly, appliedEarly); // An unsynced commit index may be lost in a crash.
                } else if (crashOnNextWrite) {
                    crashOnNextWrite = false;
                    crash(true); // power loss in the middle of the fsync
                    scheduleRestart(this);
                } else {
                    busy = true;
                    int e = epoch;
                    schedule(1 + rnd.nextInt(6), () -> {
                        if (alive && epoch == e) {
                            disk.sync();
                            if (rd.hardState() != null) {
                                persistedHardState = rd.hardState();
                            }
                            complete(rd, sentEarly, appliedEarly);
                            drain();
                        }
                    });
                }
            }
            scheduleDeferredCommit();
        }

        /**
         * As {@code RaftNode}: a commit index the core deferred (no append carried it) is sent a short, random time
         * later, unless an append or a heartbeat carries it first.
         */
        void scheduleDeferredCommit() {
            if (!alive || deferredCommitScheduled || !core.commitDeferred()) {
                return;
            }
            deferredCommitScheduled = true;
            int e = epoch;
            schedule(1 + commitRnd.nextInt(TICK), () -> {
                if (!alive || epoch != e) {
                    return;
                }
                deferredCommitScheduled = false;
                if (core.commitDeferred()) {
                    deferredCommitsSent++;
                    core.sendDeferredCommit();
                }
                if (busy) {
                    whileSyncing();
                } else {
                    processReady();
                }
            });
        }

        void drain() {
            while (alive && !busy && (!inbox.isEmpty() || pendingTicks > 0)) {
                if (!inbox.isEmpty()) {
                    core.step(inbox.poll());
                } else {
                    pendingTicks--;
                    core.tick();
                }
                processReady();
            }
        }

        void complete(Ready rd, boolean sentEarly, boolean appliedEarly) {
            busy = false;
            syncingReadyApplied = false;
            for (Entry e : rd.entries()) {
                List<Long> key = List.of(e.index(), e.term());
                long h = entryHash(e);
                Long prev = logEntryHash.putIfAbsent(key, h);
                if (prev != null && prev != h) {
                    fail("log matching: two different entries at index " + e.index() + " term " + e.term());
                }
            }
            if (!sentEarly) {
                for (Message m : rd.messages()) {
                    network(m);
                }
            }
            if (!appliedEarly) {
                applyAndServe(rd);
            }
            core.advance(rd);
        }

        /** Applies the committed entries (checking them), serves reads and takes a requested snapshot. */
        void applyAndServe(Ready rd) {
            applyEntries(rd.committedEntries());
            for (ReadState r : rd.readStates()) {
                onReadState(this, r);
            }
            if (snapshotInFlight != null && replica.appliedIndex() > snapshotInFlightCapturedAt) {
                // Written now, after more entries were applied: it must still hold exactly the captured state
                // (checked wherever it is installed or restarted from).
                Replica.Capture c = snapshotInFlight;
                snapshotInFlight = null;
                snapshotWritten(c.write());
                snapshotsWrittenLater++;
            }
            if (rd.snapshotRequest() != null) {
                if (snapshotInFlight != null) {
                    return; // one snapshot in flight at most: this snapshot point is skipped
                }
                SnapshotMeta meta = rd.snapshotRequest();
                if (holdsSnapshots) {
                    // The state machine's own storage is made durable when it is written, at or past meta.
                    checkStateHash(this, replica.appliedIndex());
                    Replica.Capture held = heldCapture(meta);
                    if (heldRnd.nextBoolean()) {
                        snapshotInFlight = held;
                        snapshotInFlightCapturedAt = replica.appliedIndex();
                        return;
                    }
                    snapshotWritten(held.write());
                    return;
                }
                if (replica.appliedIndex() > meta.index()) {
                    // Ahead of the log after installing a copy past its index: a copying state machine writes what
                    // it holds, labelled meta (as RaftNode lets it).
                    Snapshot s = replica.snapshotNow(meta);
                    checkStateHash(this, replica.appliedIndex());
                    snapshotsTakenAhead++;
                    snapshotWritten(s);
                    return;
                }
                Replica.Capture c = replica.capture(meta);
                if (c != null) {
                    checkStateHash(this, meta.index());
                    snapshotInFlight = c;
                    snapshotInFlightCapturedAt = replica.appliedIndex();
                    return;
                }
                Snapshot s = replica.snapshot(rd.snapshotRequest());
                checkStateHash(this, s.meta().index());
                snapshotWritten(s);
            }
        }

        /** Abandons the snapshot captured and not yet written, if any. */
        void abandonSnapshotInFlight() {
            if (snapshotInFlight != null) {
                snapshotInFlight.abandon();
                snapshotInFlight = null;
            }
        }

        /**
         * Installs {@code s} without restoring it: the state machine is at or past its index already (the fix proposed
         * for RaftNode, {@link #KEEP_STATE_AHEAD}). The log is compacted to it; a node that holds its snapshots holds it
         * at its own state, one that copies keeps the leader's bytes (at or past the index too).
         */
        void keepStateOnInstall(Snapshot s) {
            abandonSnapshotInFlight();
            previousSnapshot = durableSnapshot;
            long durable = replica.makeDurable();
            if (holdsSnapshots) {
                durableSnapshot = new Snapshot(s.meta(), SnapshotData.onDemand(Math.max(s.meta().index(), durable)));
                core.snapshotTaken(durableSnapshot);
            } else {
                durableSnapshot = s;
            }
            disk.compact(s.meta());
            snapshotsInstalled++;
            installsKeepingState++;
            skipUpTo = Math.max(skipUpTo, replica.appliedIndex());
            log(id + " installed snapshot " + s + " keeping its state at applied index " + replica.appliedIndex());
        }

        /**
         * A snapshot held in place at {@code meta}, as KeyspaceStateMachine's: its write makes the replica durable
         * (at or past meta) and copies nothing.
         */
        Replica.Capture heldCapture(SnapshotMeta meta) {
            return new Replica.Capture() {
                @Override
                public SnapshotMeta meta() {
                    return meta;
                }

                @Override
                public Snapshot write() {
                    long durable = replica.makeDurable();
                    heldSnapshotsTaken++;
                    return new Snapshot(meta, SnapshotData.onDemand(Math.max(meta.index(), durable)));
                }

                @Override
                public void abandon() {
                    // nothing pinned
                }
            };
        }

        /**
         * The core asked for a copy of its held snapshot {@code meta} for a follower: the snapshot thread writes the
         * state as it is then, a few steps later (the leader may have applied more, lost its leadership or crashed
         * meanwhile), and the outcome reaches the core when the Raft thread is free. One write in eight fails.
         */
        void writeCopyLater(SnapshotMeta meta) {
            heldCopiesAsked++;
            if (!holdsSnapshots) {
                fail("node " + id + " does not hold its snapshots but was asked for a copy of the one at " + meta);
            }
            int e = epoch;
            schedule(1 + heldRnd.nextInt(60), () -> {
                if (!alive || epoch != e) {
                    heldCopiesLostInCrash++;
                    return; // the snapshot thread died with the process
                }
                if (heldRnd.nextInt(8) == 0) {
                    log(id + " could not write the copy of " + meta);
                    reportCopy(e, () -> {
                        heldCopiesFailed++;
                        core.snapshotToSendFailed(meta);
                    });
                    return;
                }
                Snapshot copy = replica.snapshotNow(meta);
                // The state now; a keyspace's copy stands for its last write command's index (non-writes since).
                long state = replica.appliedIndexOf(copy);
                if (state > replica.appliedIndex() || state < meta.index()) {
                    fail("node " + id + " wrote a copy of " + meta + " at " + state + " with its state at "
                            + replica.appliedIndex());
                }
                checkStateHash(this, state);
                heldCopies.add(copyKey(copy));
                log(id + " wrote the copy of " + meta + " at applied index " + state);
                reportCopy(e, () -> {
                    heldCopiesWritten++;
                    heldCopiesAhead += state > meta.index() ? 1 : 0;
                    core.snapshotToSendWritten(copy);
                });
            });
        }

        /** Tells the core what became of a copy, once the Raft thread may call it (RaftNode.reportSnapshotToSend). */
        private void reportCopy(int e, Runnable report) {
            if (!alive || epoch != e) {
                heldCopiesLostInCrash++;
                return;
            }
            if (busy && asyncDriver) {
                report.run();
                whileSyncing();
            } else if (busy) {
                schedule(1, () -> reportCopy(e, report));
            } else {
                report.run();
                processReady();
            }
        }

        /** A snapshot is written (durable): the core learns of it, the log is compacted behind the one before. */
        private void snapshotWritten(Snapshot s) {
            core.snapshotTaken(s);
            Snapshot older = durableSnapshot;
            previousSnapshot = older;
            durableSnapshot = s;
            snapshotsTaken++;
            // keep one snapshot interval of log behind the newest snapshot for slow followers
            if (older != null && older.meta().index() > disk.snapshot().index()) {
                if (!s.data().writtenOnDemand()) {
                    replica.makeDurable(); // before the log is compacted past it
                } // else: written by making it durable at or past s, which is past older (RaftNode syncs nothing here)
                disk.compact(older.meta());
            }
        }

        /** Applies committed entries in order, checking they are the ones committed everywhere. */
        void applyEntries(List<Entry> committed) {
            inApply = true;
            try {
                applyEntriesNow(committed);
            } finally {
                inApply = false;
            }
        }

        private void applyEntriesNow(List<Entry> committed) {
            for (Entry e : committed) {
                long h = entryHash(e);
                Long committedTerm = committedTermAt.get(e.index());
                if (committedTerm != null && committedTerm != e.term()) {
                    fail("node " + id + " applies term " + e.term() + " at " + e.index() + " but term " + committedTerm
                            + " was committed there");
                }
                Long prev = committedHash.putIfAbsent(e.index(), h);
                if (prev != null && prev != h) {
                    fail("committed entry changed at index " + e.index() + " on node " + id);
                }
            }
            int skip = 0;
            while (skip < committed.size() && committed.get(skip).index() <= skipUpTo
                    && committed.get(skip).index() <= replica.appliedIndex()) {
                skip++; // already in the state machine (installed past the snapshot's index, or restarted past the log)
            }
            entriesSkipped += skip;
            committed = committed.subList(skip, committed.size());
            if (!committed.isEmpty()) {
                if (committed.get(0).index() != replica.appliedIndex() + 1) {
                    fail("node " + id + " applies from " + committed.get(0).index() + " but applied "
                            + replica.appliedIndex());
                }
                long[] digests = replica.apply(committed);
                for (int i = 0; i < digests.length; i++) {
                    checkDigest(this, committed.get(i).index(), digests[i]);
                }
            }
            maxApplied = Math.max(maxApplied, replica.appliedIndex());
        }
    }

    /** Identifies a snapshot's bytes: (index, term, checksum). */
    static List<Long> copyKey(Snapshot s) {
        return List.of(s.meta().index(), s.meta().term(), (long) s.data().checksum());
    }

    static long entryHash(Entry e) {
        return SimStateMachine.mix(e.term() * 7 + e.type().code() * 1_000_003L + Arrays.hashCode(e.data()));
    }

    void checkStateHash(Node n, long index) {
        long hash = n.replica.stateHash();
        if (n.replica.digestsAreStateHashes()) {
            checkDigest(n, index, hash);
        }
        Long prev = stateHashAt.putIfAbsent(index, hash);
        if (prev != null && prev != hash) {
            fail("node " + n.id + " state diverged at index " + index);
        }
    }

    void checkDigest(Node n, long index, long digest) {
        Long prev = digestAt.putIfAbsent(index, digest);
        if (prev != null && prev != digest) {
            fail("node " + n.id + " applying index " + index + " diverged from another replica");
        }
    }

    // ------------------------------------------------------------------ extension points

    /**
     * Opens node {@code n}'s state machine at a (re)start: what survived its last crash. The default is
     * a volatile hash chain restored from the node's durable snapshot.
     */
    protected Replica openReplica(Node n) {
        if (n.holdsSnapshots) {
            // Its own durable storage holds the state (at or past a held snapshot): nothing to restore.
            return new SimStateMachine(simStorage.computeIfAbsent(n.id, id -> new SimStateMachine.Storage()));
        }
        SimStateMachine sm = new SimStateMachine();
        if (n.durableSnapshot != null) {
            sm.restore(n.durableSnapshot);
        }
        return sm;
    }

    /** Adjusts a node's Raft configuration (after the simulation's random choices); the default keeps it. */
    protected RaftConfig.Builder tuneConfig(RaftConfig.Builder builder) {
        return builder;
    }

    /** True if the next crash is a machine crash (unsynced writes lost), false for a process crash. */
    protected boolean nextCrashLosesPower() {
        return true;
    }

    /** Starts the client load; it must stop at {@link #chaosTimeUnits}. */
    protected void startWorkload() {
        schedule(5, this::load);
    }

    /**
     * A linearizable read {@code r} is confirmed at node {@code n} (after it applied this Ready's committed
     * entries). The default checks it is not stale; it may be served once {@code n} applied {@code r.index()}.
     */
    protected void onReadState(Node n, ReadState r) {
        long rid = ByteBuffer.wrap(r.context()).getLong();
        Long required = readRequired.get(rid);
        if (required == null) {
            fail("unknown read " + rid);
        }
        if (r.index() < required) {
            fail("stale read " + rid + " at node " + n.id + ": index " + r.index() + " < committed-before-read "
                    + required);
        }
        readsServed++;
    }

    /** A read context for {@link Node#readIndex} whose confirmation {@link #onReadState} checks for staleness. */
    protected byte[] newReadContext() {
        long rid = ++readSeq;
        readRequired.put(rid, maxCommitSeen);
        return ByteBuffer.allocate(8).putLong(rid).array();
    }

    /** May {@code m} be delivered twice? The default: any message. */
    protected boolean mayDuplicate(Message m) {
        return true;
    }

    /**
     * Called after the faults stopped and every member applied the final marker entry at {@code markerIndex}
     * (proposals still in flight may follow it): checks that the replicas agree.
     */
    protected void afterHealed(long markerIndex) {
    }

    void onReady(Node n, Ready rd) {
        if (rd.role() == Role.LEADER) {
            long t = n.core.term();
            Long other = leaderOfTerm.putIfAbsent(t, n.id);
            if (other != null && other != n.id) {
                fail("two leaders in term " + t + ": " + other + " and " + n.id);
            }
        }
        if (rd.hardState() != null) {
            maxCommitSeen = Math.max(maxCommitSeen, rd.hardState().commitIndex());
        }
        // Whatever any node considers committed must never change, even if nobody applied it yet.
        long commit = n.core.commitIndex();
        for (long i = Math.max(n.commitChecked + 1, 1); i <= commit; i++) {
            long t = n.core.termAt(i);
            if (t == 0) {
                continue; // compacted
            }
            Long prev = committedTermAt.putIfAbsent(i, t);
            if (prev != null && prev != t) {
                fail("node " + n.id + " has term " + t + " at committed index " + i + ", earlier committed term " + prev);
            }
        }
        n.commitChecked = Math.max(n.commitChecked, commit);
        maxCommitSeen = Math.max(maxCommitSeen, n.core.commitIndex());
    }

    // ------------------------------------------------------------------ network

    void network(Message m) {
        if (blocked.contains(m.from() * 1000 + m.to())) {
            return;
        }
        if (rnd.nextDouble() < dropP) {
            return;
        }
        byte[] bytes = MessageCodec.encode(m);
        int copies = rnd.nextDouble() < dupP && mayDuplicate(m) ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            long delay = rnd.nextInt(100) == 0 ? 1 + rnd.nextInt(800) : 1 + rnd.nextInt(maxDelay); // rare stragglers
            schedule(delay, () -> {
                Node to = nodes.get(m.to());
                if (to == null || blocked.contains(m.from() * 1000 + m.to())) {
                    return;
                }
                to.deliver(MessageCodec.decode(new UnsafeBuffer(bytes), 0, bytes.length));
            });
        }
    }

    void partition(List<Long> side) {
        for (long a : nodes.keySet()) {
            for (long b : nodes.keySet()) {
                if (side.contains(a) != side.contains(b)) {
                    blocked.add(a * 1000 + b);
                }
            }
        }
    }

    // ------------------------------------------------------------------ workload and chaos

    /** The alive leader of the highest term, or null. */
    protected Node leader() {
        Node best = null;
        for (Node n : nodes.values()) {
            if (n.alive && n.core.role() == Role.LEADER && (best == null || n.core.term() > best.core.term())) {
                best = n;
            }
        }
        return best;
    }

    /** A random alive node, or null. */
    protected Node randomAlive() {
        List<Node> alive = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (n.alive) {
                alive.add(n);
            }
        }
        return alive.isEmpty() ? null : alive.get(rnd.nextInt(alive.size()));
    }

    void propose(Node n) {
        if (n == null || (n.busy && !asyncDriver)) {
            return;
        }
        byte[] data = ByteBuffer.allocate(8 + rnd.nextInt(40)).putLong(++proposalSeq).array();
        n.core.propose(data);
        n.processReady();
    }

    void read(Node n) {
        if (n == null || (n.busy && !asyncDriver)) {
            return;
        }
        n.core.readIndex(newReadContext());
        n.processReady();
    }

    void load() {
        if (now >= chaosTimeUnits) {
            return;
        }
        if (rnd.nextInt(4) == 0) {
            read(randomAlive());
        } else {
            propose(rnd.nextBoolean() ? leader() : randomAlive());
        }
        schedule(1 + rnd.nextInt(12), this::load);
    }

    void chaos() {
        if (now >= chaosTimeUnits) {
            return;
        }
        int action = churn && rnd.nextBoolean() ? 2 : rnd.nextInt(10);
        Node l = leader();
        switch (action) {
            case 0, 1 -> {
                blocked.clear();
                if (rnd.nextInt(4) == 0) {
                    // one-way link failures
                    List<Long> ids = new ArrayList<>(nodes.keySet());
                    for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                        long a = ids.get(rnd.nextInt(ids.size()));
                        long b = ids.get(rnd.nextInt(ids.size()));
                        blocked.add(a * 1000 + b);
                        log("BLOCK " + a + " -> " + b);
                    }
                } else if (rnd.nextBoolean()) {
                    List<Long> ids = new ArrayList<>(nodes.keySet());
                    List<Long> side = new ArrayList<>();
                    for (long id : ids) {
                        if (rnd.nextInt(3) == 0) {
                            side.add(id);
                        }
                    }
                    log("PARTITION " + side);
                    partition(side);
                } else {
                    log("HEAL");
                }
            }
            case 2 -> {
                Node victim = rnd.nextBoolean() && l != null ? l : randomAlive();
                if (victim != null) {
                    if (rnd.nextBoolean()) {
                        victim.crashOnNextWrite = true;
                    } else {
                        victim.crash();
                        scheduleRestart(victim);
                    }
                }
            }
            case 3, 4 -> {
                if (l != null && (!l.busy || asyncDriver)) {
                    ConfChange cc = pickConfChange(l.core.membership());
                    if (cc != null && l.core.proposeConfigChange(cc)) {
                        confChanges++;
                        log("CONF " + cc.type() + " " + cc.nodeId() + " via " + l.id);
                        l.processReady();
                    }
                }
            }
            case 5 -> {
                if (l != null && (!l.busy || asyncDriver)) {
                    List<Long> voters = new ArrayList<>(new TreeSet<>(l.core.membership().voters()));
                    long target = voters.get(rnd.nextInt(voters.size()));
                    if (l.core.transferLeadership(target)) {
                        transfers++;
                        log("TRANSFER " + l.id + " -> " + target);
                        l.processReady();
                    }
                }
            }
            default -> {
                // nothing: let the cluster run
            }
        }
        schedule(churn ? 10 + rnd.nextInt(60) : 20 + rnd.nextInt(200), this::chaos);
    }

    void scheduleRestart(Node victim) {
        int downFor = 20 + rnd.nextInt(400);
        int e = victim.epoch;
        schedule(downFor, () -> {
            if (!victim.alive && victim.epoch == e) {
                log("RESTART " + victim.id);
                victim.start();
            }
        });
    }

    ConfChange pickConfChange(Membership m) {
        TreeSet<Long> voters = new TreeSet<>(m.voters());
        TreeSet<Long> learners = new TreeSet<>(m.learners());
        List<ConfChange> options = new ArrayList<>();
        for (long id : nodes.keySet()) {
            if (!m.contains(id)) {
                options.add(ConfChange.of(rnd.nextInt(5) == 0 ? ConfChange.Type.ADD_VOTER : ConfChange.Type.ADD_LEARNER,
                        id));
            }
        }
        for (long id : learners) {
            options.add(ConfChange.of(ConfChange.Type.PROMOTE_LEARNER, id));
            if (rnd.nextInt(4) == 0) {
                options.add(ConfChange.of(ConfChange.Type.REMOVE_LEARNER, id));
            }
        }
        if (voters.size() > 3) {
            for (long id : voters) {
                options.add(ConfChange.of(ConfChange.Type.REMOVE_VOTER, id));
            }
        }
        return options.isEmpty() ? null : options.get(rnd.nextInt(options.size()));
    }

    // ------------------------------------------------------------------ run

    /** Runs the scheduled events of the next {@code units} time units. */
    protected void runFor(long units) {
        runUntil(now + units);
    }

    void runUntil(long t) {
        while (!events.isEmpty() && events.peek().time() <= t) {
            Event e = events.poll();
            now = e.time();
            e.action().run();
        }
        now = t;
    }

    /** Runs the whole scenario; throws AssertionError with the seed on any violation. */
    public void run() {
        int total = initialVoters + 2;
        for (long id = 1; id <= total; id++) {
            nodes.put(id, new Node(id, id <= initialVoters));
        }
        for (Node n : nodes.values()) {
            n.start();
        }
        startWorkload();
        schedule(100, this::chaos);
        runUntil(chaosTimeUnits);

        // Faults stop: heal, restart everyone, check the cluster elects a leader and commits again.
        blocked.clear();
        for (Node n : nodes.values()) {
            n.crashOnNextWrite = false;
            if (!n.alive) {
                n.start();
            }
        }
        long deadline = now + 600 * TICK;
        byte[] marker = ByteBuffer.allocate(16).putLong(-1).putLong(seed).array();
        long markerIndex = -1;
        while (now < deadline) {
            runUntil(now + TICK);
            Node l = leader();
            if (l == null || l.busy) {
                continue;
            }
            if (markerIndex < 0) {
                long before = l.core.lastIndex();
                if (l.core.propose(marker)) {
                    markerIndex = before + 1;
                    l.processReady();
                }
                continue;
            }
            if (l.core.termAt(markerIndex) == 0) {
                markerIndex = -1; // lost with a leader change: propose again
                continue;
            }
            boolean allApplied = true;
            Membership m = l.core.membership();
            for (Node n : nodes.values()) {
                if (m.contains(n.id) && n.replica.appliedIndex() < markerIndex) {
                    allApplied = false;
                }
            }
            if (allApplied && l.core.commitIndex() >= markerIndex) {
                checkLogMatching();
                afterHealed(markerIndex);
                return;
            }
        }
        fail("liveness: no leader committed and replicated a new entry within 600 ticks after faults stopped");
    }

    void checkLogMatching() {
        List<Node> all = new ArrayList<>(nodes.values());
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                RaftCore a = all.get(i).core;
                RaftCore b = all.get(j).core;
                long hi = Math.min(a.lastIndex(), b.lastIndex());
                long lo = Math.max(all.get(i).disk.firstIndex(), all.get(j).disk.firstIndex());
                boolean matched = false;
                for (long k = hi; k >= lo; k--) {
                    long ta = a.termAt(k);
                    if (ta != 0 && ta == b.termAt(k)) {
                        matched = true;
                    }
                    if (matched && a.termAt(k) != b.termAt(k)) {
                        fail("log matching violated between " + a.id() + " and " + b.id() + " at " + k);
                    }
                }
            }
        }
    }

    long fingerprint() {
        long h = eventSeq;
        for (Node n : nodes.values()) {
            h = SimStateMachine.mix(h * 31 + n.core.term() * 7 + n.core.lastIndex() * 13 + n.replica.stateHash() + now);
        }
        return h;
    }

    /** The seed of this run. */
    public long seed() {
        return seed;
    }

    /** Snapshots installed from a leader. */
    public long snapshotsInstalled() {
        return snapshotsInstalled;
    }

    /** Membership changes proposed. */
    public long confChanges() {
        return confChanges;
    }

    /** Crashes of any kind. */
    public long crashes() {
        return crashes;
    }

    /** Machine crashes (unsynced writes lost). */
    public long machineCrashes() {
        return machineCrashes;
    }

    /** Machine crashes that had unsynced log writes to lose. */
    public long crashesWithUnsyncedWrites() {
        return crashesWithUnsyncedWrites;
    }

    /** Snapshots a {@link Replica#capture} wrote after more entries were applied (the snapshot thread's way). */
    public long snapshotsWrittenLater() {
        return snapshotsWrittenLater;
    }

    /** Snapshots held in place taken ({@link SnapshotData#onDemand}). */
    public long heldSnapshotsTaken() {
        return heldSnapshotsTaken;
    }

    /** Copies of a held snapshot written for followers and reported to the core. */
    public long heldCopiesWritten() {
        return heldCopiesWritten;
    }

    /** Copies of a held snapshot reported as not written ({@link RaftCore#snapshotToSendFailed}). */
    public long heldCopiesFailed() {
        return heldCopiesFailed;
    }

    /** Installs of a copy of a held snapshot. */
    public long heldCopiesInstalled() {
        return heldCopiesInstalled;
    }

    /** Installs that left the state machine past the snapshot's index. */
    public long installsAheadOfIndex() {
        return installsAheadOfIndex;
    }

    /** Restarts of a node whose latest snapshot is held in place. */
    public long heldRestarts() {
        return heldRestarts;
    }

    /** Restarts whose state machine was past the log's end. */
    public long restartsAheadOfLog() {
        return restartsAheadOfLog;
    }

    /** Committed entries skipped because the state machine already held them. */
    public long entriesSkipped() {
        return entriesSkipped;
    }

    /** The held-snapshot counts of this run, for summaries. */
    public String heldSummary() {
        long holders = nodes.values().stream().filter(n -> n.holdsSnapshots).count();
        return "held: nodes=" + holders + " taken=" + heldSnapshotsTaken + " copiesAsked=" + heldCopiesAsked
                + " written=" + heldCopiesWritten + " (ahead " + heldCopiesAhead + ") failed=" + heldCopiesFailed
                + " lostInCrash=" + heldCopiesLostInCrash + " restarts=" + heldRestarts + " installed=" + heldCopiesInstalled + " installsAhead="
                + installsAheadOfIndex + " skipped=" + entriesSkipped + " restartsAheadOfLog=" + restartsAheadOfLog
                + " takenAhead=" + snapshotsTakenAhead + (KEEP_STATE_AHEAD ? " installsKeepingState=" + installsKeepingState : "");
    }

    /** A one-line summary of what the run exercised. */
    public String summary() {
        return "seed=" + seed + " async=" + asyncDriver + " earlySend=" + leaderSendsBeforeSync + " earlyApply=" + applyBeforeSync + " lazyCommitSync=" + syncOnlyWhenRequired + " earlyMessages=" + earlyMessages + "/" + earlyMessagesSent + " churn=" + churn + " voters=" + initialVoters + " applied=" + maxApplied + " crashes=" + crashes + " (with unsynced writes " + crashesWithUnsyncedWrites + ")"
                + " confChanges=" + confChanges + " transfers=" + transfers + " snapshotsTaken=" + snapshotsTaken
                + " snapshotsInstalled=" + snapshotsInstalled + " snapshotChunksStaged=" + snapshotChunksStaged + " reads=" + readsServed + " terms="
                + leaderOfTerm.size() + " " + heldSummary() + " events=" + eventSeq + " fingerprint="
                + Long.toHexString(fingerprint());
    }
}
