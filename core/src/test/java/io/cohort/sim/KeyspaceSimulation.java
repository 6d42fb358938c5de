package io.cohort.sim;

import io.cohort.linearizability.KvModel;
import io.cohort.linearizability.KvModel.Cas;
import io.cohort.linearizability.KvModel.Delete;
import io.cohort.linearizability.KvModel.Get;
import io.cohort.linearizability.KvModel.Input;
import io.cohort.linearizability.KvModel.Output;
import io.cohort.linearizability.KvModel.Put;
import io.cohort.linearizability.LinearizabilityChecker;
import io.cohort.linearizability.Operation;
import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.CommandCodec;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.CompactResponse;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.DeleteRangeResponse;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.RevisionException;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.TxnResponse;
import io.cohort.mvcc.WatchHubConfig;
import io.cohort.mvcc.WriteRequest;
import io.cohort.raft.Membership;
import io.cohort.raft.Message;
import io.cohort.raft.MessageType;
import io.cohort.raft.RaftConfig;
import io.cohort.raft.ReadState;
import io.cohort.raft.Role;
import io.cohort.raft.sim.RaftSimulation;
import io.cohort.raft.sim.Replica;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The Raft simulation with a real {@link Keyspace} as every node's state machine and clients issuing
 * concurrent puts, deletes, compare-and-set txns, linearizable gets (ReadIndex, served once the node
 * applied the read index) and serializable gets (local) on a few keys, to leaders and followers, under
 * the simulation's partitions, message loss, reordering and duplication, crashes (process crashes and
 * machine crashes that lose unsynced log writes and roll LMDB back to its last sync), membership
 * changes and snapshot installs.
 *
 * <p>Every client operation is recorded (call time, return time in simulated time units, outcome: a
 * result, a definite failure, or unknown), and at the end the history is checked for
 * linearizability against {@link KvModel}. Serializable reads are checked as they happen: the value
 * read is the key's value at the read's revision in the one history of writes, and on one client
 * session (a client's connection to one node, until it crashes) revisions never go backwards. After
 * the faults stop, every member's keyspace hash and revision must be equal.
 */
public final class KeyspaceSimulation extends RaftSimulation implements AutoCloseable {
    /** Search steps per key before the checker answers UNKNOWN (which fails the run: no silent pass). */
    static final long CHECKER_STEPS = 20_000_000;

    private final Path root;
    private final KeyspaceConfig keyspaceConfig;
    private final PlantedBug bug;
    private final boolean historyCompactions;
    private final String[] keys;
    private final int clientCount;
    private final int opTimeoutUnits;
    private final Map<Long, KeyspaceReplica> replicas = new HashMap<>();

    private final List<Operation<Input, Output>> history = new ArrayList<>();
    private final boolean[] clientBusy;
    private final int[] clientSeq;
    private long opSeq;
    private final Map<Long, PendingOp> pendingWrites = new HashMap<>();
    private final Map<Long, PendingOp> pendingReads = new HashMap<>();
    private final Map<Long, TreeMap<Long, List<PendingRead>>> readsAwaitingApply = new HashMap<>();

    // The one history of writes, from the first replica to apply each index.
    private final Map<Long, Long> opAppliedAt = new HashMap<>();
    private final Map<String, TreeMap<Long, String>> valueAtRevision = new HashMap<>();
    private final Map<Long, List<Event>> eventsAtIndex = new HashMap<>();
    private final Map<String, Long> valueWrittenBy = new HashMap<>(); // value -> call time of the write
    private final Map<String, Long> sessionRevision = new HashMap<>();
    private final Map<String, String> lastSeen = new HashMap<>();

    /** Randomness of the watch, lease and recipe workloads: a stream of its own. */
    private final SplittableRandom extraRnd;
    private final WriteHistory writeHistory = new WriteHistory();
    private final WatchHubConfig watchHubConfig;
    private final WatchClients watchClients;
    private final LeaseClients leaseClients;
    private final RecipeClients election;
    private final RecipeClients lock;
    private final Map<Long, RecipeRead> recipeReads = new HashMap<>();

    private record RecipeRead(long nodeId, int epoch, Runnable ready, Runnable failed) {
    }
    /** Operations of the workloads in this package, by op ID: answered when their node applies them. */
    private final Map<Long, Submitted> submitted = new HashMap<>();
    /** Ops that may fail to apply (a revoke of a lease already gone, a put with an expired lease, ...). */
    private final Set<Long> mayFailOps = new HashSet<>();
    private final Set<Long> expiryRevokeOps = new HashSet<>();

    private record Submitted(long nodeId, int epoch, Consumer<ApplyResult> outcome) {
    }
    private final Map<Long, Long> compactionRevisionOf = new HashMap<>();

    private AssertionError listenerFailure;
    private String closedSummary;
    private final Set<Long> compactionOps = new HashSet<>();
    private long latestRevision;
    long compactionsApplied;
    /** Open watches on nodes that installed a snapshot, summed over the installs. */
    long watchesThroughSnapshotInstalls;
    long restartsFromSnapshot;
    long serializableReadsBackAfterRestart;
    long machineCrashesKeepingKeyspace;
    long snapshotBytes;
    long keyspaceSyncs;
    long opsOk;
    long opsUnknown;
    long opsFailed;
    long linearizableReads;
    long serializableReads;
    long historyOps;

    private record PendingOp(long id, int client, long nodeId, int epoch, long callTime, Input input) {
    }

    private record PendingRead(PendingOp op, long index) {
    }

    /** A deliberate bug in the simulated node, to show the checks catch it. */
    public enum PlantedBug {
        /** No bug: the node as it should be. */
        NONE,
        /** A leader serves linearizable gets from its local keyspace at once, without ReadIndex. */
        LEADER_LOCAL_READS,
        /** A node serves a linearizable get as soon as ReadIndex confirms it, before applying up to the read index. */
        READ_BEFORE_APPLY,
        /**
         * LMDB is not synced before the log is compacted, and a restart trusts the durable snapshot's index
         * without checking that the keyspace holds what the snapshot holds.
         */
        TRUST_KEYSPACE_AFTER_MACHINE_CRASH,
        /** The network may deliver a forwarded PROPOSE twice, so the leader appends its command twice. */
        DUPLICATED_PROPOSALS,
        /**
         * A new leader counts every lease's TTL as if an election timeout had already passed (a grace of minus one
         * election timeout instead of plus one), so a lease renewed on the deposed leader expires early.
         */
        LEASES_WITHOUT_GRACE,
        /** The leaders' lease drivers never revoke an expired lease. */
        NO_LEASE_EXPIRY,
        /**
         * Election and lock contenders wait only for older keys to go, without checking their own key is still there
         * (Recipes before the fix): one whose session expired while it waited believes it leads anyway.
         */
        RECIPE_WITHOUT_OWN_KEY_CHECK
    }

    /**
     * A run for {@code seed} in a fresh directory under {@code tempRoot}, with {@code bug} planted in the nodes;
     * with {@code historyCompactions} a compactor also compacts the keyspace's history now and then.
     */
    public KeyspaceSimulation(long seed, boolean verbose, Path tempRoot, PlantedBug bug, boolean historyCompactions) {
        super(seed, verbose);
        this.bug = bug;
        try {
            this.root = Files.createTempDirectory(tempRoot, "seed-" + seed + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.historyCompactions = historyCompactions;
        // Small physical compaction batches, so a compaction spans several applies, crashes and snapshots.
        this.keyspaceConfig = KeyspaceConfig.builder().quotaBytes(6L << 20).mapSizeBytes(8L << 20)
                .compactionBatchRevisions(historyCompactions ? 1 + rnd.nextInt(8) : 10_000).build();
        int keyCount = 2 + rnd.nextInt(3);
        this.keys = new String[keyCount];
        for (int i = 0; i < keyCount; i++) {
            keys[i] = "k" + i;
        }
        this.clientCount = 3 + rnd.nextInt(4);
        this.opTimeoutUnits = 200 + rnd.nextInt(400);
        this.clientBusy = new boolean[clientCount];
        this.clientSeq = new int[clientCount];
        this.extraRnd = new SplittableRandom(seed * 0xD1B54A32D192ED03L + 0x5EEDL);
        // Small bounds now and then, so revisions are batched whole, catch-ups take many steps, slow consumers are
        // cancelled; progress every 0.5-5 s of simulated time (a unit is 10 ms) or never.
        WatchHubConfig hubConfig = WatchHubConfig.defaults();
        if (extraRnd.nextBoolean()) {
            hubConfig = new WatchHubConfig(1000, 3 + extraRnd.nextInt(40), 1 + extraRnd.nextInt(4),
                    1 + extraRnd.nextInt(6), extraRnd.nextInt(3) == 0 ? 0 : 500 + extraRnd.nextInt(4500));
        } else {
            hubConfig = hubConfig.withProgressIntervalMs(500 + extraRnd.nextInt(4500));
        }
        this.watchHubConfig = hubConfig;
        this.watchClients = new WatchClients(this, writeHistory, seed, keys);
        this.leaseClients = new LeaseClients(this, seed);
        this.election = new RecipeClients(this, leaseClients, writeHistory, "election/billing/", seed);
        this.lock = new RecipeClients(this, leaseClients, writeHistory, "lock/invoices/", seed + 1);
    }

    // ------------------------------------------------------------------ for the workloads in this package

    /** Simulated milliseconds per time unit (a tick is {@value #TICK_UNITS} units). */
    static final long MS_PER_UNIT = 10;
    static final int TICK_UNITS = TICK;
    /** The nodes' election timeout (10 ticks), the grace a new leader gives every lease: LeaseDriver's extendMs. */
    static final long ELECTION_TIMEOUT_MS = 10L * TICK * MS_PER_UNIT;
    /** Leases with a TTL above 2 s get their remaining TTL checkpointed every 2 s. */
    static final long LEASE_CHECKPOINT_INTERVAL_MS = 2_000;
    static final long LEASE_REVOKE_RETRY_MS = 1_000;

    long now() {
        return now;
    }

    boolean leads(long nodeId) {
        Node n = nodes.get(nodeId);
        return n != null && n.alive && n.core.role() == Role.LEADER;
    }

    long termOf(long nodeId) {
        Node n = nodes.get(nodeId);
        return n == null ? -1 : n.core.term();
    }

    /** The alive leader of the highest term, or -1. */
    long leaderId() {
        Node n = leader();
        return n == null ? -1 : n.id;
    }

    /** The replica of the alive leader of the highest term, or null. */
    KeyspaceReplica leaderReplica() {
        Node n = leader();
        KeyspaceReplica r = n == null ? null : replicas.get(n.id);
        return r != null && r.isOpen() ? r : null;
    }

    /**
     * A random node that believes it leads (alive, leader role, possibly deposed without knowing it yet): where a
     * client connected to it sends keep-alives. Null if none.
     */
    KeyspaceReplica randomBelievedLeader(SplittableRandom r) {
        List<KeyspaceReplica> leaders = new ArrayList<>();
        for (Node n : nodes.values()) {
            KeyspaceReplica replica = replicas.get(n.id);
            if (n.alive && n.core.role() == Role.LEADER && replica != null && replica.isOpen()) {
                leaders.add(replica);
            }
        }
        return leaders.isEmpty() ? null : leaders.get(r.nextInt(leaders.size()));
    }

    /** The replicas of the current leader's members (after the faults: every one is alive). */
    List<KeyspaceReplica> memberReplicas() {
        Node l = leader();
        List<KeyspaceReplica> out = new ArrayList<>();
        for (Node n : nodes.values()) {
            if (l != null && l.core.membership().contains(n.id) && n.alive) {
                out.add(replicas.get(n.id));
            }
        }
        return out;
    }

    /**
     * Proposes {@code request} on node {@code nodeId} for a workload of this package; {@code outcome} gets the node's
     * apply result, or null if the outcome is unknown (refused, node crashed, no answer within {@code timeoutUnits}).
     * The request may fail to apply (it is the workload's to judge).
     */
    void submit(long nodeId, WriteRequest request, int timeoutUnits, Consumer<ApplyResult> outcome) {
        Node n = nodes.get(nodeId);
        long opId = ++opSeq;
        mayFailOps.add(opId);
        if (n == null || !n.acceptsCalls()) {
            schedule(1, () -> outcome.accept(null));
            return;
        }
        byte[] command = CommandCodec.encode(request);
        submitted.put(opId, new Submitted(nodeId, n.epoch, outcome));
        if (!n.propose(ByteBuffer.allocate(8 + command.length).putLong(opId).put(command).array())) {
            submitted.remove(opId);
            schedule(1, () -> outcome.accept(null));
            return;
        }
        schedule(timeoutUnits, () -> {
            Submitted s = submitted.remove(opId);
            if (s != null) {
                s.outcome().accept(null);
            }
        });
    }

    /** The bug planted in this run. */
    PlantedBug bug() {
        return bug;
    }

    /**
     * A linearizable read on node {@code nodeId} (ReadIndex, then wait until the node applied the read index):
     * {@code ready} runs once the node may serve it from its keyspace, {@code failed} if it cannot (refused, crashed,
     * no answer within {@code timeoutUnits}). Both run as events of their own, never inside the node's Raft step.
     */
    void linearizableRead(long nodeId, int timeoutUnits, Runnable ready, Runnable failed) {
        Node n = nodes.get(nodeId);
        if (n == null || !n.acceptsCalls()) {
            schedule(1, failed);
            return;
        }
        byte[] context = newReadContext();
        long rid = ByteBuffer.wrap(context).getLong();
        recipeReads.put(rid, new RecipeRead(nodeId, n.epoch, ready, failed));
        if (!n.readIndex(context)) {
            recipeReads.remove(rid);
            schedule(1, failed);
            return;
        }
        schedule(timeoutUnits, () -> {
            RecipeRead r = recipeReads.remove(rid);
            if (r != null) {
                r.failed().run();
            }
        });
    }

    /** Serves recipe read {@code rid} once its node applied {@code index} (checked every unit until it times out). */
    private void serveRecipeRead(long rid, long index) {
        RecipeRead r = recipeReads.get(rid);
        if (r == null) {
            return; // timed out
        }
        Node n = nodes.get(r.nodeId());
        if (!n.alive || n.epoch != r.epoch()) {
            return; // the timeout reports it
        }
        if (n.replica.appliedIndex() >= index) {
            recipeReads.remove(rid);
            r.ready().run();
        } else {
            schedule(1, () -> serveRecipeRead(rid, index));
        }
    }

    /** A leader's lease driver proposes the revocation of expired lease {@code leaseId}. */
    void proposeExpiry(KeyspaceReplica replica, long leaseId) {
        if (bug == PlantedBug.NO_LEASE_EXPIRY) {
            return;
        }
        Node n = nodes.get(replica.nodeId());
        long opId = ++opSeq;
        mayFailOps.add(opId); // revoked meanwhile (a retry, another leader's revoke): "lease not found"
        expiryRevokeOps.add(opId);
        byte[] command = CommandCodec.encode(new LeaseRevokeRequest(leaseId));
        proposeQueued(n, n.epoch, ByteBuffer.allocate(8 + command.length).putLong(opId).put(command).array());
        log("node " + n.id + " revokes expired lease " + leaseId);
    }

    /**
     * Proposes {@code data} on {@code n} as the node's bounded command queue would: if the Raft thread is busy (waiting
     * for a sync) it is proposed as soon as it is free, unless the node crashed meanwhile.
     */
    private void proposeQueued(Node n, int epoch, byte[] data) {
        if (!n.alive || n.epoch != epoch) {
            return;
        }
        if (n.acceptsCalls()) {
            n.propose(data);
        } else {
            schedule(1, () -> proposeQueued(n, epoch, data));
        }
    }

    /** A leader's lease driver proposes the checkpoint of remaining TTLs. */
    void proposeLeaseCheckpoint(KeyspaceReplica replica, LeaseCheckpointRequest request) {
        Node n = nodes.get(replica.nodeId());
        long opId = ++opSeq;
        mayFailOps.add(opId);
        byte[] command = CommandCodec.encode(request);
        proposeQueued(n, n.epoch, ByteBuffer.allocate(8 + command.length).putLong(opId).put(command).array());
    }

    /** Runs until the leader's whole log is applied by every member (fails after 600 ticks). */
    void awaitQuiescent() {
        Node leader = leader();
        for (int ticks = 0; !quiescent(leader); ticks++) {
            if (ticks == 600) {
                fail("after healing, the members did not all apply the leader's log within 600 ticks");
            }
            runFor(TICK);
            leader = leader();
        }
    }

    long nowNanos() {
        return now * MS_PER_UNIT * 1_000_000L;
    }

    long nowMs() {
        return now * MS_PER_UNIT;
    }

    SplittableRandom extraRnd() {
        return extraRnd;
    }

    WatchHubConfig watchHubConfig() {
        return watchHubConfig;
    }

    void later(long delayUnits, Runnable r) {
        schedule(delayUnits, r);
    }

    int chaosUnits() {
        return chaosTimeUnits;
    }

    boolean chaosOver() {
        return now >= chaosTimeUnits;
    }

    void trace(String s) {
        log(s);
    }

    void failRun(String what) {
        fail(what);
    }

    /**
     * Fails the run from inside a watch listener: the hub catches what a listener throws (and carries on), so the
     * failure is kept and thrown again once the hub's round returns ({@link #rethrowListenerFailure}).
     */
    void failFromListener(String what) {
        try {
            fail(what);
        } catch (AssertionError e) {
            if (listenerFailure == null) {
                listenerFailure = e;
            }
            throw e;
        }
    }

    /** Throws the first failure a watch listener hit, if any. */
    void rethrowListenerFailure() {
        if (listenerFailure != null) {
            throw listenerFailure;
        }
    }

    void runUnits(long units) {
        runFor(units);
    }

    /** A random alive node's replica (in node order, so the choice depends on the seed only), or null. */
    KeyspaceReplica randomOpenReplica(SplittableRandom r) {
        List<KeyspaceReplica> open = new ArrayList<>();
        for (Node n : nodes.values()) {
            KeyspaceReplica replica = replicas.get(n.id);
            if (n.alive && replica != null && replica.isOpen()) {
                open.add(replica);
            }
        }
        return open.isEmpty() ? null : open.get(r.nextInt(open.size()));
    }

    /** Every alive node's watch hub delivers everything it has. */
    void drainHubs() {
        for (Node n : nodes.values()) {
            KeyspaceReplica replica = replicas.get(n.id);
            if (n.alive && replica != null && replica.isOpen()) {
                replica.drainHub();
            }
        }
    }

    // ------------------------------------------------------------------ the node side

    @Override
    protected Replica openReplica(Node n) {
        KeyspaceReplica r = new KeyspaceReplica(this, n.id, n.epoch, root.resolve("node-" + n.id), keyspaceConfig,
                n.durableSnapshot, bug == PlantedBug.TRUST_KEYSPACE_AFTER_MACHINE_CRASH);
        replicas.put(n.id, r);
        return r;
    }

    @Override
    protected RaftConfig.Builder tuneConfig(RaftConfig.Builder builder) {
        // A keyspace snapshot is a compacted LMDB file of tens of KiB: chunks of a few KiB. Writing one
        // takes milliseconds, so they are taken less often than the hash chain's.
        // A quarter of the nodes let the snapshot interval grow with the keyspace's size (the default); the rest keep
        // it fixed, so snapshots and their installs stay frequent.
        return builder.snapshotChunkBytes(2048 + rnd.nextInt(8192)).snapshotIntervalEntries(15 + rnd.nextInt(45))
                .maxSnapshotIntervalFactor(rnd.nextInt(4) == 0 ? 64 : 1);
    }

    @Override
    protected boolean nextCrashLosesPower() {
        return rnd.nextBoolean();
    }

    /** At a machine crash: did the kernel write LMDB's dirty pages out before the power went? */
    boolean pageCacheFlushedBeforePowerLoss() {
        return rnd.nextInt(4) == 0;
    }

    /**
     * A duplicated PROPOSE would append its commands twice (the core does not deduplicate forwarded
     * proposals; the TCP transport never duplicates). Everything else may be duplicated.
     */
    @Override
    protected boolean mayDuplicate(Message m) {
        return m.type() != MessageType.PROPOSE || bug == PlantedBug.DUPLICATED_PROPOSALS;
    }

    void onCommandApplied(KeyspaceReplica replica, long nodeId, long opId, WriteRequest request, ApplyResult result) {
        Long first = opAppliedAt.putIfAbsent(opId, result.appliedIndex());
        if (first != null && first != result.appliedIndex()) {
            fail("op " + opId + " applied twice: at index " + first + " and again at " + result.appliedIndex());
        }
        if (result.status() == ApplyResult.Status.APPLIED && result.response() instanceof CompactResponse) {
            compactionsApplied++;
            writeHistory.compacted(compactionRevisionOf.get(opId));
        }
        boolean compactionRefused = compactionOps.contains(opId) && result.status() == ApplyResult.Status.FAILED
                && result.error() instanceof RevisionException;
        if (result.status() != ApplyResult.Status.APPLIED && !compactionRefused && !mayFailOps.contains(opId)) {
            fail("node " + nodeId + " could not apply op " + opId + " at " + result.appliedIndex() + ": "
                    + result.status() + " " + result.error());
        }
        List<Event> seen = eventsAtIndex.putIfAbsent(result.appliedIndex(), result.events());
        if (seen == null) {
            List<Bytes> keysBound = request instanceof LeaseRevokeRequest r ? writeHistory.keysBoundTo(r.id()) : List.of();
            writeHistory.record(result.events());
            leaseClients.firstApplied(request, result, keysBound, expiryRevokeOps.contains(opId));
            for (Event e : result.events()) {
                String value = e.type() == Event.Type.PUT ? e.kv().value().toStringUtf8() : KvModel.ABSENT;
                valueAtRevision.computeIfAbsent(e.kv().key().toStringUtf8(), k -> new TreeMap<>())
                        .put(e.kv().modRevision(), value);
                latestRevision = Math.max(latestRevision, e.kv().modRevision());
            }
        } else if (!seen.equals(result.events())) {
            fail("node " + nodeId + " diverged: other events at index " + result.appliedIndex() + ": "
                    + result.events() + " vs " + seen);
        }
        Submitted s = submitted.get(opId);
        if (s != null && s.nodeId() == nodeId && s.epoch() == replica.epoch()) {
            submitted.remove(opId);
            s.outcome().accept(result);
        }
        PendingOp op = pendingWrites.get(opId);
        if (op == null || op.nodeId() != nodeId || op.epoch() != replica.epoch()) {
            return; // another node's client, or one that already gave up
        }
        pendingWrites.remove(opId);
        complete(op, outputOf(op.input(), result.response()));
    }

    void onApplied(long nodeId, long applied) {
        TreeMap<Long, List<PendingRead>> waiting = readsAwaitingApply.get(nodeId);
        while (waiting != null && !waiting.isEmpty() && waiting.firstKey() <= applied) {
            for (PendingRead r : waiting.pollFirstEntry().getValue()) {
                serveLinearizableRead(r.op());
            }
        }
    }

    void onCrash(long nodeId) {
        readsAwaitingApply.remove(nodeId);
        watchClients.nodeCrashed(nodeId);
        election.nodeCrashed(nodeId);
        lock.nodeCrashed(nodeId);
        for (Map.Entry<Long, Submitted> e : new TreeMap<>(submitted).entrySet()) {
            if (e.getValue().nodeId() == nodeId) {
                submitted.remove(e.getKey());
                Consumer<ApplyResult> outcome = e.getValue().outcome();
                schedule(1, () -> outcome.accept(null)); // the connection dropped: outcome unknown
            }
        }
        // The clients connected to it lose the connection: their operations' outcomes are unknown.
        for (PendingOp op : new ArrayList<>(pendingWrites.values())) {
            if (op.nodeId() == nodeId) {
                giveUp(op);
            }
        }
        for (PendingOp op : new ArrayList<>(pendingReads.values())) {
            if (op.nodeId() == nodeId) {
                giveUp(op);
            }
        }
    }

    @Override
    protected void onReadState(Node n, ReadState r) {
        super.onReadState(n, r); // not stale
        long rid = ByteBuffer.wrap(r.context()).getLong();
        RecipeRead recipeRead = recipeReads.get(rid);
        if (recipeRead != null && recipeRead.nodeId() == n.id && recipeRead.epoch() == n.epoch) {
            schedule(1, () -> serveRecipeRead(rid, r.index()));
            return;
        }
        PendingOp op = pendingReads.get(rid);
        if (op == null || op.nodeId() != n.id || op.epoch() != n.epoch) {
            return;
        }
        if (n.replica.appliedIndex() >= r.index() || bug == PlantedBug.READ_BEFORE_APPLY) {
            serveLinearizableRead(op);
        } else {
            readsAwaitingApply.computeIfAbsent(n.id, k -> new TreeMap<>())
                    .computeIfAbsent(r.index(), k -> new ArrayList<>()).add(new PendingRead(op, r.index()));
        }
    }

    private void serveLinearizableRead(PendingOp op) {
        if (pendingReads.remove(op.id()) == null) {
            return; // timed out
        }
        readLocally(op);
    }

    private void readLocally(PendingOp op) {
        RangeResponse resp = replicas.get(op.nodeId()).keyspace().range(RangeRequest.key(bytes(op.input().key())));
        linearizableReads++;
        complete(op, Output.read(valueOf(resp)));
    }

    // ------------------------------------------------------------------ clients

    @Override
    protected void startWorkload() {
        for (int c = 0; c < clientCount; c++) {
            int client = c;
            schedule(1 + rnd.nextInt(20), () -> clientStep(client));
        }
        if (historyCompactions) {
            schedule(100 + rnd.nextInt(400), this::compactorStep);
        }
        watchClients.start();
        leaseClients.start();
        election.start();
        lock.start();
    }

    /**
     * Now and then compacts the keyspace's history (a Raft command, as etcd's): replicas compact
     * physically in small batches, whatever crashes and snapshots come between, and must still agree.
     */
    private void compactorStep() {
        if (now >= chaosTimeUnits) {
            return;
        }
        Node n = leader();
        if (n != null && n.acceptsCalls() && latestRevision > 1) {
            long revision = Math.max(1, latestRevision - rnd.nextInt(10));
            long opId = ++opSeq;
            compactionOps.add(opId);
            compactionRevisionOf.put(opId, revision);
            byte[] command = CommandCodec.encode(new CompactRequest(revision));
            n.propose(ByteBuffer.allocate(8 + command.length).putLong(opId).put(command).array());
            log("compactor -> node " + n.id + ": compact at revision " + revision);
        }
        schedule(100 + rnd.nextInt(400), this::compactorStep);
    }

    private void clientStep(int client) {
        if (now >= chaosTimeUnits || clientBusy[client]) {
            return;
        }
        Node n = rnd.nextBoolean() ? leader() : randomAlive();
        if (n == null) {
            n = randomAlive();
        }
        if (n == null || !n.acceptsCalls()) {
            schedule(1 + rnd.nextInt(5), () -> clientStep(client)); // the node's Raft thread is busy: wait
            return;
        }
        String key = keys[rnd.nextInt(keys.length)];
        int kind = rnd.nextInt(20);
        if (kind < 3) {
            serializableRead(client, n, key);
            nextStep(client);
            return;
        }
        Input input;
        if (kind < 8) {
            input = new Get(key);
        } else if (kind < 13) {
            input = new Put(key, "c" + client + "-" + ++clientSeq[client]);
        } else if (kind < 15) {
            input = new Delete(key);
        } else {
            String expected = switch (rnd.nextInt(3)) {
                case 0 -> KvModel.ABSENT;
                case 1 -> lastSeen.getOrDefault(key, KvModel.ABSENT);
                default -> {
                    TreeMap<Long, String> values = valueAtRevision.get(key);
                    yield values == null ? KvModel.ABSENT : values.lastEntry().getValue();
                }
            };
            input = new Cas(key, expected, "c" + client + "-" + ++clientSeq[client]);
        }
        PendingOp op = new PendingOp(++opSeq, client, n.id, n.epoch, now, input);
        clientBusy[client] = true;
        log("client " + client + " -> node " + n.id + ": " + input);
        if (input instanceof Get) {
            if (bug == PlantedBug.LEADER_LOCAL_READS && n.core.role() == Role.LEADER) {
                // The deliberate bug: a leader trusts that it still is one and that it applied everything.
                readLocally(op);
                return;
            }
            byte[] context = newReadContext();
            PendingOp read = new PendingOp(ByteBuffer.wrap(context).getLong(), client, n.id, n.epoch, now, input);
            pendingReads.put(read.id(), read);
            if (!n.readIndex(context)) {
                pendingReads.remove(read.id());
                failedDefinitely(read);
                return;
            }
            scheduleTimeout(read, pendingReads);
            return;
        }
        String written = input instanceof Put p ? p.value() : input instanceof Cas c ? c.value() : null;
        if (written != null) {
            valueWrittenBy.put(written, now);
        }
        byte[] command = CommandCodec.encode(request(input));
        byte[] data = ByteBuffer.allocate(8 + command.length).putLong(op.id()).put(command).array();
        pendingWrites.put(op.id(), op);
        if (!n.propose(data)) {
            pendingWrites.remove(op.id());
            failedDefinitely(op);
            return;
        }
        scheduleTimeout(op, pendingWrites);
    }

    private void scheduleTimeout(PendingOp op, Map<Long, PendingOp> pending) {
        schedule(opTimeoutUnits, () -> {
            if (pending.get(op.id()) == op) {
                giveUp(op);
            }
        });
    }

    private void nextStep(int client) {
        schedule(1 + rnd.nextInt(15), () -> clientStep(client));
    }

    private void complete(PendingOp op, Output output) {
        opsOk++;
        log("client " + op.client() + " <- node " + op.nodeId() + ": " + op.input() + " = " + output);
        history.add(Operation.completed(op.client(), op.callTime(), now, op.input(), output));
        if (output.value() != null) {
            lastSeen.put(op.input().key(), output.value());
        }
        clientBusy[op.client()] = false;
        nextStep(op.client());
    }

    /** The client timed out or lost its connection: the operation may or may not take effect. */
    private void giveUp(PendingOp op) {
        opsUnknown++;
        log("client " + op.client() + " gave up on node " + op.nodeId() + ": " + op.input());
        if (op.input() instanceof Get) {
            pendingReads.remove(op.id()); // a read with no answer constrains nothing
        } else {
            pendingWrites.remove(op.id());
            history.add(Operation.unknown(op.client(), op.callTime(), op.input()));
        }
        clientBusy[op.client()] = false;
        nextStep(op.client());
    }

    /** The node refused the operation: it never takes effect, so it is left out of the history. */
    private void failedDefinitely(PendingOp op) {
        opsFailed++;
        log("client " + op.client() + " refused by node " + op.nodeId() + ": " + op.input());
        clientBusy[op.client()] = false;
        nextStep(op.client());
    }

    private void serializableRead(int client, Node n, String key) {
        RangeResponse resp = replicas.get(n.id).keyspace().range(RangeRequest.key(bytes(key)));
        serializableReads++;
        String value = valueOf(resp);
        long revision = resp.revision();
        TreeMap<Long, String> values = valueAtRevision.get(key);
        Map.Entry<Long, String> atRevision = values == null ? null : values.floorEntry(revision);
        String expected = atRevision == null ? KvModel.ABSENT : atRevision.getValue();
        if (!expected.equals(value)) {
            fail("serializable read of " + key + " on node " + n.id + " at revision " + revision + " returned "
                    + value + " but the history of writes has " + expected + " there");
        }
        if (!value.equals(KvModel.ABSENT)) {
            Long writtenAt = valueWrittenBy.get(value);
            if (writtenAt == null || writtenAt > now) {
                fail("serializable read of " + key + " on node " + n.id + " returned " + value
                        + ", which no client had written");
            }
        }
        String session = client + "@" + n.id + "/" + n.epoch;
        Long previous = sessionRevision.put(session, revision);
        if (previous != null && previous > revision) {
            fail("serializable reads of client " + client + " on node " + n.id + " went back from revision "
                    + previous + " to " + revision);
        }
        // Across the node's restarts revisions may go back (LMDB rolled back, the log not replayed yet):
        // counted, not failed, so the node's authors know how often a reconnecting client sees it.
        Long previousAnyEpoch = sessionRevision.put(client + "@" + n.id, revision);
        if (previousAnyEpoch != null && previousAnyEpoch > revision) {
            serializableReadsBackAfterRestart++;
        }
    }

    // ------------------------------------------------------------------ final checks

    @Override
    protected void afterHealed(long markerIndex) {
        // Proposals still in flight may follow the marker: let every member apply the leader's whole log.
        awaitQuiescent();
        Node leader = leader();
        Membership members = leader.core.membership();
        Long hash = null;
        long revision = -1;
        long memberId = -1;
        for (Node n : nodes.values()) {
            if (!members.contains(n.id)) {
                continue;
            }
            Keyspace ks = replicas.get(n.id).keyspace();
            long h = ks.hash(0);
            if (hash == null) {
                hash = h;
                revision = ks.currentRevision();
                memberId = n.id;
            } else if (hash != h || revision != ks.currentRevision()) {
                fail("replicas diverged: after healing, node " + n.id + " has keyspace hash " + Long.toHexString(h)
                        + " at revision " + ks.currentRevision() + " but node " + memberId + " has "
                        + Long.toHexString(hash) + " at revision " + revision);
            }
            for (String key : keys) {
                TreeMap<Long, String> values = valueAtRevision.get(key);
                String last = values == null ? KvModel.ABSENT : values.lastEntry().getValue();
                String actual = valueOf(ks.range(RangeRequest.key(bytes(key))));
                if (!last.equals(actual)) {
                    fail("replica diverged: after healing, node " + n.id + " has " + key + "=" + actual
                            + " but the last write was " + last);
                }
            }
        }
        for (PendingOp op : new ArrayList<>(pendingWrites.values())) {
            giveUp(op);
        }
        for (PendingOp op : new ArrayList<>(pendingReads.values())) {
            giveUp(op);
        }
        historyOps = history.size();
        LinearizabilityChecker.Result result = LinearizabilityChecker.check(new KvModel(), history, CHECKER_STEPS);
        if (result.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
            fail("the history of " + history.size() + " client operations is not linearizable: "
                    + result.explanation());
        }
        if (result.verdict() == LinearizabilityChecker.Verdict.UNKNOWN) {
            fail("the checker gave up on the history of " + history.size() + " operations after " + CHECKER_STEPS
                    + " steps per key");
        }
        leaseClients.finish(writeHistory);
        election.finish();
        lock.finish();
        watchClients.finish(); // last: the streams must also have caught up with the expiries
    }

    private boolean quiescent(Node leader) {
        if (leader == null || leader.busy || leader.core.commitIndex() != leader.core.lastIndex()) {
            return false;
        }
        for (Node n : nodes.values()) {
            if (leader.core.membership().contains(n.id)
                    && (!n.alive || n.replica.appliedIndex() != leader.core.lastIndex())) {
                return false;
            }
        }
        return true;
    }

    /** Closes every keyspace and deletes the run's directory. */
    @Override
    public void close() {
        if (closedSummary == null) {
            closedSummary = allAlive() ? summary() : "seed=" + seed + " (ended with nodes down)";
        }
        for (KeyspaceReplica r : replicas.values()) {
            r.close();
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        rethrowListenerFailure();
    }

    // ------------------------------------------------------------------ requests and responses

    private static Bytes bytes(String s) {
        return Bytes.ofUtf8(s);
    }

    private static String valueOf(RangeResponse resp) {
        return resp.kvs().isEmpty() ? KvModel.ABSENT : resp.kvs().get(0).value().toStringUtf8();
    }

    private static WriteRequest request(Input input) {
        if (input instanceof Put p) {
            return PutRequest.of(bytes(p.key()), bytes(p.value()));
        }
        if (input instanceof Delete d) {
            return DeleteRangeRequest.of(bytes(d.key()));
        }
        Cas c = (Cas) input;
        Compare condition = c.expected().equals(KvModel.ABSENT)
                ? Compare.number(bytes(c.key()), Compare.Target.VERSION, Compare.Result.EQUAL, 0)
                : Compare.value(bytes(c.key()), Compare.Result.EQUAL, bytes(c.expected()));
        return new TxnRequest(List.of(condition), List.of(PutRequest.of(bytes(c.key()), bytes(c.value()))), List.of());
    }

    private static Output outputOf(Input input, Response response) {
        if (input instanceof Put) {
            return Output.OK;
        }
        if (input instanceof Delete) {
            return Output.flag(((DeleteRangeResponse) response).deleted() > 0);
        }
        return Output.flag(((TxnResponse) response).succeeded());
    }

    private boolean allAlive() {
        return nodes.values().stream().allMatch(n -> n.alive);
    }

    long watchEventsChecked() {
        return watchClients.eventsDelivered();
    }

    long watchResumes() {
        return watchClients.resumes();
    }

    long watchCompactedCancels() {
        return watchClients.compactedCancels();
    }

    long watchProgressNotifications() {
        return watchClients.progressNotifications();
    }

    long leaseExpiries() {
        return leaseClients.expiryRevokes;
    }

    long leaseRenewals() {
        return leaseClients.renewals;
    }

    long recipeWins() {
        return election.wins() + lock.wins();
    }

    /** A one-line summary of what the run exercised. */
    @Override
    public String summary() {
        if (closedSummary != null) {
            return closedSummary;
        }
        return super.summary() + " keys=" + keys.length + " clients=" + clientCount + " ops: ok=" + opsOk
                + " unknown=" + opsUnknown + " refused=" + opsFailed + " linearizableReads=" + linearizableReads
                + " serializableReads=" + serializableReads + " restartsFromSnapshot=" + restartsFromSnapshot
                + " machineCrashesKeepingKeyspace=" + machineCrashesKeepingKeyspace
                + " compactionsApplied=" + compactionsApplied
                + " serializableReadsBackAfterRestart=" + serializableReadsBackAfterRestart
                + " keyspaceSyncs=" + keyspaceSyncs + " snapshotBytes=" + snapshotBytes + " " + watchClients.summary() + " " + leaseClients.summary() + " " + election.summary() + " " + lock.summary();
    }
}
