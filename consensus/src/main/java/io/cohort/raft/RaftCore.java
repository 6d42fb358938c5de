package io.cohort.raft;

import io.cohort.raft.internal.Progress;
import io.cohort.raft.internal.RaftLog;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A single-threaded, deterministic Raft state machine in the style of etcd-io/raft's RawNode: no
 * clock, thread, socket or file inside. Feed it {@link #tick()}, {@link #step(Message)} and requests
 * ({@link #propose}, {@link #proposeConfigChange}, {@link #readIndex}, {@link #transferLeadership});
 * collect work with {@link #hasReady()}/{@link #ready()}, do it as {@link Ready} describes, then
 * {@link #advance(Ready)}. Not thread safe.
 */
public final class RaftCore {
    private static final byte[] CAMPAIGN_TRANSFER = {'T'};
    private static final byte[] EMPTY_BYTES = new byte[0];

    private final RaftConfig cfg;
    private final long id;
    private final RaftLog log;
    private final SplittableRandom random;

    private long term;
    private long votedFor;
    private long leaderId;
    private Role role = Role.FOLLOWER;

    private Membership membership;
    private long membershipIndex;
    private final TreeMap<Long, Progress> progress = new TreeMap<>();
    private final TreeMap<Long, Boolean> votes = new TreeMap<>();

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTicks;

    private long leadTransferee;
    private long pendingConfIndex;

    /** Latest state machine snapshot, sent to followers whose next entry is compacted. */
    private Snapshot latestSnapshot;
    /**
     * When {@link #latestSnapshot} is held by the state machine ({@link SnapshotData#writtenOnDemand()}): the bytes last
     * written for followers ({@link #snapshotToSendWritten}), usable while the log still holds what follows it.
     */
    private Snapshot writtenToSend;
    /** The held snapshot the application was asked to write for followers and has not reported on yet, or null. */
    private SnapshotMeta snapshotToSendAsked;
    /** {@link #snapshotToSendAsked} goes out in the next Ready. */
    private boolean snapshotToSendInNextReady;
    private long lastSnapshotRequestIndex;
    /**
     * Applied entries from one snapshot request to the next: {@code snapshotIntervalEntries}, or more once a snapshot
     * is larger than that many entries (see {@link #snapshotTaken}); at most
     * {@link RaftConfig#maxSnapshotIntervalFactor} times the configured interval.
     */
    private long snapshotIntervalEntries;
    /** Payload bytes and count of the committed entries handed out since the last snapshot request. */
    private long bytesSinceSnapshotRequest;
    private long entriesSinceSnapshotRequest;
    /** Mean payload bytes per entry between the last two snapshot requests (0: none yet). */
    private long meanEntryBytes;
    private long snapshotReadFailures;
    /** The snapshot being received from a leader: its chunks go out through {@link Ready#snapshotChunks()}. */
    private SnapshotReception reception;
    private List<SnapshotChunk> snapshotChunks = new ArrayList<>();
    /** A staged snapshot or a refusal the application reported while a Ready was outstanding. */
    private Snapshot receivedWhileOutstanding;
    private SnapshotMeta refusedWhileOutstanding;

    // ReadIndex: reads waiting for the leader to commit in its term, queued for the next round, in the round.
    private final ArrayDeque<PendingRead> readsAwaitingCommit = new ArrayDeque<>();
    private final ArrayDeque<PendingRead> readsQueued = new ArrayDeque<>();
    private final ArrayList<PendingRead> readsInRound = new ArrayList<>();
    private final TreeSet<Long> readRoundAcks = new TreeSet<>();
    private long readRoundSeq;
    private boolean readRoundActive;

    // Batching: proposals since the last ready() go out together.
    private boolean appendBroadcastPending;
    /** A leader's commit index that some follower has not been sent (cfg.deferCommitOnlyAppends). */
    private boolean commitDeferred;
    private final ArrayList<Entry> forwardQueue = new ArrayList<>();

    private List<Message> msgs = new ArrayList<>();
    /** Entry bytes in the append messages of {@link #msgs}: bounded, so catch-up never floods the heap. */
    private long msgsAppendBytes;
    private List<ReadState> readStates = new ArrayList<>();
    private HardState prevHardState;
    private long prevLeaderId;
    private Role prevRole = Role.FOLLOWER;
    private boolean readyOutstanding;
    /** Applied through {@link #takeStableCommitted} while a Ready was outstanding; counted at its advance. */
    private long stableAppliedPending;

    private record PendingRead(long from, long index, byte[] context) {
    }

    /**
     * Chunks received in order so far, handed to the application to stage; the bytes never stay here. Once all are
     * in, the reception waits for the application's verdict ({@link #snapshotReceived} or {@link #snapshotRefused}).
     */
    private static final class SnapshotReception {
        final SnapshotMeta meta;
        final long sizeBytes;
        final int checksum;
        long leader;
        long received;
        boolean complete;

        SnapshotReception(SnapshotMeta meta, long sizeBytes, int checksum, long leader) {
            this.meta = meta;
            this.sizeBytes = sizeBytes;
            this.checksum = checksum;
            this.leader = leader;
        }

        boolean same(SnapshotMeta m, long size, int crc) {
            return meta.equals(m) && sizeBytes == size && checksum == crc;
        }
    }

    /** Chunks received but not yet handed out in a Ready: the leader sends the next one only after an ack. */
    private static final int MAX_PENDING_SNAPSHOT_CHUNKS = 4;

    /**
     * Creates a core over {@code storage} (which may hold a previous run's state).
     * {@code snapshot} is the latest durable state machine snapshot (or null) and the state machine
     * has applied everything up to {@code appliedIndex}.
     */
    public RaftCore(RaftConfig cfg, LogStorage storage, Snapshot snapshot, long appliedIndex) {
        this.cfg = cfg;
        this.id = cfg.id;
        this.random = new SplittableRandom(cfg.randomSeed ^ (cfg.id * 0x9E3779B97F4A7C15L));
        HardState hs = storage.hardState();
        SnapshotMeta storedSnap = storage.snapshot();
        this.latestSnapshot = snapshot;
        long snapIndex = snapshot == null ? 0 : snapshot.meta().index();
        if (snapIndex < storedSnap.index()) {
            throw new IllegalArgumentException("snapshot " + snapIndex + " older than log compaction point "
                    + storedSnap.index());
        }
        this.log = new RaftLog(storage, Math.max(appliedIndex, snapIndex));
        this.term = hs.term();
        this.votedFor = hs.votedFor();
        boolean virgin = hs.equals(HardState.EMPTY) && storage.lastIndex() == 0 && storedSnap.index() == 0;
        if (virgin && !cfg.bootstrap.voters().isEmpty()) {
            if (!cfg.bootstrap.voters().contains(id)) {
                throw new IllegalArgumentException("bootstrapping member " + id + " must be a voter of " + cfg.bootstrap);
            }
            term = 1;
            log.append(List.of(new Entry(1, 1, EntryType.CONFIG_CHANGE, ConfChange.bootstrap(cfg.bootstrap).encode())));
            log.commitTo(1);
        }
        // Membership as of the commit index: the snapshot's, then every committed config entry after it.
        if (snapshot != null && snapIndex >= storedSnap.index()) {
            membership = snapshot.meta().membership();
            membershipIndex = snapIndex;
        } else {
            membership = storedSnap.membership();
            membershipIndex = storedSnap.index();
        }
        long from = Math.max(membershipIndex + 1, log.firstIndex());
        for (long i = from; i <= log.committed(); ) {
            List<Entry> batch = log.entries(i, log.committed() + 1, 1 << 20);
            for (Entry e : batch) {
                if (e.type() == EntryType.CONFIG_CHANGE) {
                    membership = ConfChange.decode(e.data()).applyTo(membership);
                }
            }
            i += batch.size();
        }
        membershipIndex = Math.max(membershipIndex, log.committed());
        lastSnapshotRequestIndex = Math.max(snapIndex, log.applied());
        snapshotIntervalEntries = cfg.snapshotIntervalEntries;
        prevHardState = virgin ? HardState.EMPTY : hs;
        becomeFollower(term, 0);
    }

    // ---------------------------------------------------------------- accessors

    /** This member's ID. */
    public long id() {
        return id;
    }

    /** The current term. */
    public long term() {
        return term;
    }

    /** The current role. */
    public Role role() {
        return role;
    }

    /** The known leader (0 if none). */
    public long leaderId() {
        return leaderId;
    }

    /** The applied membership. */
    public Membership membership() {
        return membership;
    }

    /** The commit index. */
    public long commitIndex() {
        return log.committed();
    }

    /** The index the application has applied (as acknowledged through {@link #advance}). */
    public long appliedIndex() {
        return log.applied();
    }

    /** Index of the last log entry. */
    public long lastIndex() {
        return log.lastIndex();
    }

    /** Term of the entry at {@code index} (0 if unknown or compacted). */
    public long termAt(long index) {
        return log.term(index);
    }

    /** The member leadership is being transferred to (0 if none). */
    public long leadTransferee() {
        return leadTransferee;
    }

    /** A copy of the leader's view of {@code member} for diagnostics, or null. */
    public String progressOf(long member) {
        Progress p = progress.get(member);
        return p == null ? null : p.toString();
    }

    /** The latest snapshot this core knows of (taken locally or installed), or null. */
    public Snapshot latestSnapshot() {
        return latestSnapshot;
    }

    // ---------------------------------------------------------------- inputs

    /** Advances logical time by one tick (election and heartbeat timers). */
    public void tick() {
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsed++;
            if (promotable() && electionElapsed >= randomizedElectionTicks) {
                electionElapsed = 0;
                hup(false);
            }
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= cfg.electionTicks) {
            electionElapsed = 0;
            if (cfg.checkQuorum) {
                if (!quorumActive()) {
                    becomeFollower(term, 0);
                    return;
                }
                for (Map.Entry<Long, Progress> e : progress.entrySet()) {
                    if (e.getKey() != id) {
                        e.getValue().recentActive = false;
                    }
                }
            }
            if (leadTransferee != 0) {
                leadTransferee = 0;
            }
        }
        if (heartbeatElapsed >= cfg.heartbeatTicks) {
            heartbeatElapsed = 0;
            bcastHeartbeat();
        }
    }

    /** Starts an election now (with pre-vote if enabled), as if the election timeout elapsed. */
    public void campaign() {
        hup(false);
    }

    /** Proposes a command; returns false if it was dropped (no leader, transfer, too many pending, too big). */
    public boolean propose(byte[] data) {
        if (data.length > cfg.maxEntryBytes) {
            return false;
        }
        if (role == Role.LEADER) {
            return appendProposals(List.of(data), EntryType.COMMAND);
        }
        if (leaderId == 0 || role != Role.FOLLOWER) {
            return false;
        }
        if (forwardQueue.size() >= cfg.maxUncommittedEntries) {
            return false;
        }
        forwardQueue.add(new Entry(1, 1, EntryType.COMMAND, data)); // forwarded in one message at the next ready()
        return true;
    }

    /**
     * Proposes one membership change (leader only); returns false if another change is pending,
     * the leader has not committed in its term, a transfer runs, or the change is invalid.
     */
    public boolean proposeConfigChange(ConfChange cc) {
        if (role != Role.LEADER || cc.type() == ConfChange.Type.BOOTSTRAP) {
            return false;
        }
        if (pendingConfIndex > log.applied() || !committedInCurrentTerm() || !cc.validFor(membership)) {
            return false;
        }
        if (cc.type() == ConfChange.Type.REMOVE_VOTER && membership.voters().size() <= 1) {
            return false;
        }
        if (!appendProposals(List.of(cc.encode()), EntryType.CONFIG_CHANGE)) {
            return false;
        }
        pendingConfIndex = log.lastIndex();
        return true;
    }

    /**
     * Requests a linearizable read identified by {@code context}; a {@link ReadState} with the same
     * context appears in a later Ready. Returns false if dropped (no leader, queue full).
     */
    public boolean readIndex(byte[] context) {
        if (role == Role.LEADER) {
            return leaderReadRequest(id, context);
        }
        if (leaderId == 0 || role != Role.FOLLOWER) {
            return false;
        }
        send(Message.builder(MessageType.READ_INDEX).to(leaderId).context(context).build());
        return true;
    }

    /** Starts handing leadership to {@code target} (leader only); returns false if not possible. */
    public boolean transferLeadership(long target) {
        if (role != Role.LEADER || target == id || !membership.voters().contains(target)) {
            return false;
        }
        if (leadTransferee == target) {
            return true;
        }
        leadTransferee = target;
        electionElapsed = 0;
        Progress pr = progress.get(target);
        if (pr.match == log.lastIndex()) {
            send(Message.builder(MessageType.TIMEOUT_NOW).to(target).build());
        } else {
            sendAppend(target, true);
        }
        return true;
    }

    /**
     * Records a state machine snapshot the application took (after a {@link Ready#snapshotRequest()}), or how the state
     * machine holds the latest snapshot after installing it (same meta, see {@link StateMachine#latestSnapshot()}).
     */
    public void snapshotTaken(Snapshot snapshot) {
        if (snapshot.meta().index() > log.committed()) {
            throw new IllegalArgumentException("snapshot at " + snapshot.meta().index() + " beyond committed "
                    + log.committed());
        }
        if (latestSnapshot == null || snapshot.meta().index() >= latestSnapshot.meta().index()) {
            boolean newer = latestSnapshot == null || snapshot.meta().index() > latestSnapshot.meta().index();
            latestSnapshot = snapshot;
            // A snapshot that copies the whole state costs ever more per entry as the state grows, with a fixed
            // interval. The next one waits until the log since this one holds about as many bytes as it does: the
            // copies then cost about one byte per byte logged, however large the state grows (as Redis rewrites
            // its AOF once it has doubled). Bounded: the log then holds at most about one snapshot's size more.
            // A snapshot the state machine holds in place copies nothing: its interval stays as configured.
            if (newer && !snapshot.data().writtenOnDemand() && cfg.snapshotIntervalEntries > 0
                    && meanEntryBytes > 0) {
                long bySize = (snapshot.data().sizeBytes() + meanEntryBytes - 1) / meanEntryBytes;
                snapshotIntervalEntries = Math.max(cfg.snapshotIntervalEntries,
                        Math.min(bySize, cfg.maxSnapshotIntervalFactor * cfg.snapshotIntervalEntries));
            }
        }
    }

    /**
     * The application staged and verified the snapshot whose last chunk a Ready handed out: installs it (the next
     * Ready carries it in {@link Ready#snapshot()}) unless a newer message superseded it meanwhile.
     */
    public void snapshotReceived(Snapshot snapshot) {
        if (readyOutstanding) {
            receivedWhileOutstanding = snapshot;
            return;
        }
        SnapshotReception r = reception;
        if (r == null || !r.complete || !r.same(snapshot.meta(), snapshot.data().sizeBytes(), snapshot.data().checksum())) {
            return; // superseded by a newer snapshot; the leader sends again if still needed
        }
        reception = null;
        if (role != Role.FOLLOWER) {
            return; // an election came between: whoever leads sends a snapshot again if still needed
        }
        boolean restored = restore(snapshot);
        send(Message.builder(MessageType.APPEND_RESPONSE).to(r.leader)
                .index(restored ? log.lastIndex() : log.committed()).build());
    }

    /**
     * The application wrote the held snapshot a Ready asked for ({@link Ready#snapshotToSend()}) as {@code written}:
     * a leader starts sending it to the followers that need it.
     */
    public void snapshotToSendWritten(Snapshot written) {
        if (written.data().writtenOnDemand()) {
            throw new IllegalArgumentException("the snapshot at " + written.meta().index() + " to send has no bytes");
        }
        if (written.meta().equals(snapshotToSendAsked)) {
            snapshotToSendAsked = null;
        }
        if (writtenToSend == null || written.meta().index() >= writtenToSend.meta().index()) {
            writtenToSend = written;
        }
        if (role == Role.LEADER) {
            for (Map.Entry<Long, Progress> e : progress.entrySet()) {
                Progress pr = e.getValue();
                if (e.getKey() != id && pr.state == Progress.State.PROBE && log.isCompacted(pr.next - 1)) {
                    sendAppend(e.getKey(), true);
                }
            }
        }
    }

    /** The application could not write the held snapshot at {@code meta} to send: asked again when next needed. */
    public void snapshotToSendFailed(SnapshotMeta meta) {
        if (meta.equals(snapshotToSendAsked)) {
            snapshotToSendAsked = null;
        }
    }

    /**
     * The application refused the snapshot at {@code meta} (its staged bytes did not match the size or checksum):
     * it is not installed, and the leader is told to start over.
     */
    public void snapshotRefused(SnapshotMeta meta) {
        if (readyOutstanding) {
            refusedWhileOutstanding = meta;
            return;
        }
        SnapshotReception r = reception;
        if (r == null || !r.meta.equals(meta)) {
            return;
        }
        reception = null;
        send(Message.builder(MessageType.SNAPSHOT_RESPONSE).to(r.leader).logTerm(meta.index()).reject(true).build());
    }

    /** Handles one message from a peer. */
    public void step(Message m) {
        if (m.to() != id || m.from() == id) {
            return;
        }
        if (m.term() > term) {
            if (m.type() == MessageType.VOTE || m.type() == MessageType.PRE_VOTE) {
                boolean force = java.util.Arrays.equals(m.context(), CAMPAIGN_TRANSFER);
                boolean inLease = cfg.checkQuorum && leaderId != 0 && electionElapsed < cfg.electionTicks;
                if (!force && inLease) {
                    return; // a leader is alive: ignore disruptive candidates
                }
            }
            if (m.type() == MessageType.PRE_VOTE) {
                // no state change for pre-votes
            } else if (m.type() == MessageType.PRE_VOTE_RESPONSE && !m.reject()) {
                // our pre-vote was granted in the future term; the real election raises the term
            } else if (m.type() == MessageType.APPEND || m.type() == MessageType.HEARTBEAT
                    || m.type() == MessageType.SNAPSHOT_CHUNK) {
                becomeFollower(m.term(), m.from());
            } else {
                becomeFollower(m.term(), 0);
            }
        } else if (m.term() < term) {
            if ((cfg.checkQuorum || cfg.preVote)
                    && (m.type() == MessageType.HEARTBEAT || m.type() == MessageType.APPEND)) {
                // tell a stale leader about the new term so it steps down
                send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).build());
            } else if (m.type() == MessageType.PRE_VOTE) {
                send(Message.builder(MessageType.PRE_VOTE_RESPONSE).to(m.from()).term(term).reject(true).build());
            }
            return;
        }

        switch (m.type()) {
            case VOTE:
            case PRE_VOTE:
                handleVoteRequest(m);
                return;
            default:
                break;
        }
        switch (role) {
            case LEADER:
                stepLeader(m);
                break;
            case CANDIDATE:
            case PRE_CANDIDATE:
                stepCandidate(m);
                break;
            default:
                stepFollower(m);
                break;
        }
    }

    private void handleVoteRequest(Message m) {
        boolean pre = m.type() == MessageType.PRE_VOTE;
        boolean canVote = votedFor == m.from()
                || (votedFor == HardState.NO_VOTE && leaderId == 0)
                || (pre && m.term() > term);
        MessageType respType = pre ? MessageType.PRE_VOTE_RESPONSE : MessageType.VOTE_RESPONSE;
        if (canVote && log.isUpToDate(m.index(), m.logTerm())) {
            send(Message.builder(respType).to(m.from()).term(m.term()).build());
            if (!pre) {
                if (votedFor != HardState.NO_VOTE && votedFor != m.from()) {
                    throw new IllegalStateException("second vote in term " + term + ": " + votedFor + " then " + m.from());
                }
                if (m.term() != term) {
                    throw new IllegalStateException("vote for term " + m.term() + " while in term " + term);
                }
                electionElapsed = 0;
                votedFor = m.from();
            }
        } else {
            send(Message.builder(respType).to(m.from()).term(term).reject(true).build());
        }
    }

    private void stepLeader(Message m) {
        switch (m.type()) {
            case PROPOSE: {
                List<byte[]> datas = new ArrayList<>();
                for (Entry e : m.entries()) {
                    if (e.type() != EntryType.COMMAND || e.sizeBytes() > cfg.maxEntryBytes) {
                        return;
                    }
                    datas.add(e.data());
                }
                appendProposals(datas, EntryType.COMMAND);
                return;
            }
            case READ_INDEX:
                leaderReadRequest(m.from(), m.context());
                return;
            default:
                break;
        }
        Progress pr = progress.get(m.from());
        if (pr == null) {
            return;
        }
        switch (m.type()) {
            case APPEND_RESPONSE:
                handleAppendResponse(m, pr);
                break;
            case HEARTBEAT_RESPONSE:
                pr.recentActive = true;
                pr.probeSent = false;
                if (pr.state == Progress.State.SNAPSHOT) {
                    sendSnapshotChunk(m.from(), pr, true);
                } else if (pr.match < log.lastIndex()) {
                    if (pr.state == Progress.State.REPLICATE && pr.inflights.full()) {
                        pr.inflights.freeFirstOne(); // an append may have been lost: let one more through
                    }
                    sendAppend(m.from(), true);
                }
                handleReadAck(m);
                break;
            case SNAPSHOT_RESPONSE:
                pr.recentActive = true;
                if (pr.state == Progress.State.SNAPSHOT && pr.pendingSnapshot != null
                        && m.logTerm() == pr.pendingSnapshot.meta().index()) {
                    if (m.reject()) {
                        pr.becomeProbe();
                        break;
                    }
                    boolean fresh = m.index() != pr.snapshotSentOffset;
                    pr.snapshotOffset = m.index();
                    if (fresh) {
                        sendSnapshotChunk(m.from(), pr, false);
                    }
                }
                break;
            default:
                break;
        }
    }

    private void handleAppendResponse(Message m, Progress pr) {
        pr.recentActive = true;
        if (m.reject()) {
            long hint = m.rejectHint();
            if (m.logTerm() > 0) {
                hint = log.findConflictByTerm(m.rejectHint(), m.logTerm());
            }
            if (pr.maybeDecrTo(m.index(), hint)) {
                if (pr.state == Progress.State.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(m.from(), false);
            }
            return;
        }
        Progress.State old = pr.state;
        boolean updated = pr.maybeUpdate(m.index());
        if (old == Progress.State.SNAPSHOT) {
            if (pr.match >= pr.pendingSnapshot.meta().index()) {
                pr.becomeReplicate();
            } else {
                return;
            }
        } else if (!updated) {
            return;
        } else if (old == Progress.State.PROBE) {
            pr.becomeReplicate();
        } else {
            pr.inflights.freeLE(m.index());
        }
        if (maybeCommit()) {
            sendCommit();
        } else {
            while (sendAppend(m.from(), false)) {
                // pipeline as far as flow control allows
            }
        }
        if (m.from() == leadTransferee && pr.match == log.lastIndex()) {
            send(Message.builder(MessageType.TIMEOUT_NOW).to(m.from()).build());
        }
    }

    private void stepCandidate(Message m) {
        MessageType myResp = role == Role.PRE_CANDIDATE ? MessageType.PRE_VOTE_RESPONSE : MessageType.VOTE_RESPONSE;
        switch (m.type()) {
            case APPEND:
                becomeFollower(m.term(), m.from());
                handleAppend(m);
                break;
            case HEARTBEAT:
                becomeFollower(m.term(), m.from());
                handleHeartbeat(m);
                break;
            case SNAPSHOT_CHUNK:
                becomeFollower(m.term(), m.from());
                handleSnapshotChunk(m);
                break;
            case VOTE_RESPONSE:
            case PRE_VOTE_RESPONSE:
                if (m.type() != myResp) {
                    return;
                }
                if (!membership.voters().contains(m.from())) {
                    return;
                }
                votes.putIfAbsent(m.from(), !m.reject());
                int granted = 0;
                int rejected = 0;
                for (Map.Entry<Long, Boolean> v : votes.entrySet()) {
                    if (membership.voters().contains(v.getKey())) {
                        if (v.getValue()) {
                            granted++;
                        } else {
                            rejected++;
                        }
                    }
                }
                int q = quorum();
                if (granted >= q) {
                    if (role == Role.PRE_CANDIDATE) {
                        campaign(false, false);
                    } else {
                        becomeLeader();
                        bcastAppend();
                    }
                } else if (rejected >= q) {
                    becomeFollower(term, 0);
                }
                break;
            default:
                break;
        }
    }

    private void stepFollower(Message m) {
        switch (m.type()) {
            case APPEND:
                electionElapsed = 0;
                leaderId = m.from();
                handleAppend(m);
                break;
            case HEARTBEAT:
                electionElapsed = 0;
                leaderId = m.from();
                handleHeartbeat(m);
                break;
            case SNAPSHOT_CHUNK:
                electionElapsed = 0;
                leaderId = m.from();
                handleSnapshotChunk(m);
                break;
            case TIMEOUT_NOW:
                if (promotable()) {
                    hup(true);
                }
                break;
            case READ_INDEX_RESPONSE:
                readStates.add(new ReadState(m.index(), m.context()));
                break;
            default:
                break;
        }
    }

    // ---------------------------------------------------------------- follower handlers

    private void handleAppend(Message m) {
        if (m.index() < log.committed()) {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).index(log.committed()).build());
            return;
        }
        long lastNew = log.maybeAppend(m.index(), m.logTerm(), m.commit(), m.entries());
        if (lastNew >= 0) {
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).index(lastNew).build());
        } else {
            long hintIndex = log.findConflictByTerm(Math.min(m.index(), log.lastIndex()), m.logTerm());
            long hintTerm = log.term(hintIndex);
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).index(m.index()).reject(true)
                    .rejectHint(hintIndex).logTerm(hintTerm).build());
        }
    }

    private void handleHeartbeat(Message m) {
        log.commitTo(Math.min(m.commit(), log.lastIndex()));
        send(Message.builder(MessageType.HEARTBEAT_RESPONSE).to(m.from()).context(m.context()).build());
    }

    private void handleSnapshotChunk(Message m) {
        SnapshotMeta meta = m.snapshot();
        if (meta == null) {
            return;
        }
        if (meta.index() <= log.committed()) {
            reception = null;
            send(Message.builder(MessageType.APPEND_RESPONSE).to(m.from()).index(log.committed()).build());
            return;
        }
        long size = m.snapshotSize();
        long off = m.snapshotOffset();
        byte[] chunk = m.chunk();
        if (reception != null && reception.complete && reception.same(meta, size, m.snapshotChecksum())) {
            reception.leader = m.from();
            return; // every byte is in; the application is verifying them
        }
        if (off == 0) {
            if (size < 0 || size > cfg.maxSnapshotBytes) {
                send(Message.builder(MessageType.SNAPSHOT_RESPONSE).to(m.from()).logTerm(meta.index())
                        .reject(true).build());
                return;
            }
            reception = new SnapshotReception(meta, size, m.snapshotChecksum(), m.from());
        }
        SnapshotReception r = reception;
        if (r == null || !r.same(meta, size, m.snapshotChecksum()) || off != r.received || r.complete
                || chunk.length > size - off || chunk.length == 0 && off < size) {
            long want = r != null && r.meta.equals(meta) ? r.received : 0;
            send(Message.builder(MessageType.SNAPSHOT_RESPONSE).to(m.from()).logTerm(meta.index()).index(want).build());
            return;
        }
        if (snapshotChunks.size() >= MAX_PENDING_SNAPSHOT_CHUNKS) {
            return; // not acked: the leader sends it again
        }
        snapshotChunks.add(new SnapshotChunk(meta, size, r.checksum, off, chunk));
        r.leader = m.from();
        r.received += chunk.length;
        r.complete = r.received == size;
        // Sent after the Ready holding the chunk is processed, so an ack means the chunk is staged.
        send(Message.builder(MessageType.SNAPSHOT_RESPONSE).to(m.from()).logTerm(meta.index()).index(r.received)
                .build());
    }

    private boolean restore(Snapshot snap) {
        SnapshotMeta meta = snap.meta();
        if (meta.index() <= log.committed()) {
            return false;
        }
        if (log.matchTerm(meta.index(), meta.term())) {
            // we already hold the snapshot's last entry: just fast-forward the commit index
            log.commitTo(meta.index());
            return false;
        }
        log.restore(snap);
        membership = meta.membership();
        membershipIndex = meta.index();
        rebuildProgress();
        if (latestSnapshot == null || meta.index() > latestSnapshot.meta().index()) {
            latestSnapshot = snap;
        }
        lastSnapshotRequestIndex = Math.max(lastSnapshotRequestIndex, meta.index());
        return true;
    }

    // ---------------------------------------------------------------- leader helpers

    private boolean appendProposals(List<byte[]> datas, EntryType type) {
        if (leadTransferee != 0) {
            return false;
        }
        if (log.lastIndex() - log.committed() + datas.size() > cfg.maxUncommittedEntries) {
            return false;
        }
        long li = log.lastIndex();
        List<Entry> ents = new ArrayList<>(datas.size());
        for (byte[] d : datas) {
            ents.add(new Entry(++li, term, type, d));
        }
        appendEntries(ents);
        appendBroadcastPending = true; // one append per follower at the next ready() carries the whole batch
        return true;
    }

    private void appendEntries(List<Entry> ents) {
        if (!(role == Role.LEADER)) {
            throw new IllegalStateException("invariant violated: role == Role.LEADER");
        }
        long before = log.lastIndex();
        if (!(ents.get(0).index() == before + 1)) {
            throw new IllegalStateException("leader never overwrites its own log");
        }
        log.append(ents);
    }

    private boolean maybeCommit() {
        int q = quorum();
        long[] matches = new long[membership.voters().size()];
        int n = 0;
        for (long v : membership.voters()) {
            Progress p = progress.get(v);
            matches[n++] = p == null ? 0 : p.match;
        }
        if (n == 0) {
            return false;
        }
        java.util.Arrays.sort(matches);
        long mci = matches[n - q];
        if (mci > log.committed() && log.term(mci) == term) {
            long before = log.committed();
            log.commitTo(mci);
            if (!(log.committed() > before)) {
                throw new IllegalStateException("invariant violated: log.committed() > before");
            }
            releaseReadsAwaitingCommit();
            return true;
        }
        return false;
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.committed()) == term;
    }

    /**
     * After the commit index advanced: every follower is sent it now, or (cfg.deferCommitOnlyAppends) only those with
     * entries to receive, which carry it; the others get it from the next append or heartbeat, or from
     * {@link #sendDeferredCommit}. At low load this saves an empty append, its apply and its ack per write: the next
     * write's append carries the commit index.
     */
    private void sendCommit() {
        if (!cfg.deferCommitOnlyAppends) {
            bcastAppend();
            return;
        }
        if (!appendToEveryFollower()) {
            commitDeferred = true;
        }
    }

    /** Sends each follower its unsent entries (and so the commit index); true if none was left without. */
    private boolean appendToEveryFollower() {
        boolean everyone = true;
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            long to = e.getKey();
            if (to != id && !sendAppend(to, false) && !e.getValue().isPaused()) {
                everyone = false; // Nothing to send it, or past this Ready's byte budget.
            }
        }
        return everyone;
    }

    /** True if this leader deferred sending its commit index to some follower (see {@link #sendDeferredCommit}). */
    public boolean commitDeferred() {
        return commitDeferred;
    }

    /**
     * Sends the deferred commit index to every follower (an empty append where nothing else is due); the application
     * calls it a bounded time after {@link #commitDeferred} turned true.
     */
    public void sendDeferredCommit() {
        if (commitDeferred && role == Role.LEADER) {
            bcastAppend();
        }
        commitDeferred = false;
    }

    private void bcastAppend() {
        commitDeferred = false;
        for (long to : progress.keySet()) {
            if (to != id) {
                sendAppend(to, true);
            }
        }
    }

    /** Sends one append (or starts a snapshot) to {@code to}; returns true if a message carrying entries went out. */
    private boolean sendAppend(long to, boolean sendIfEmpty) {
        Progress pr = progress.get(to);
        if (pr == null || pr.isPaused()) {
            return false;
        }
        if (msgsAppendBytes >= cfg.maxReadyAppendBytes) {
            return false; // Sent from a later Ready: acks and heartbeat responses ask again.
        }
        long prevIndex = pr.next - 1;
        if (log.isCompacted(prevIndex)) {
            return startSnapshot(to, pr);
        }
        long prevTerm = log.term(prevIndex);
        List<Entry> ents;
        try {
            if (prevIndex > 0 && prevTerm == 0) {
                throw new LogCompactedException(prevIndex, log.firstIndex());
            }
            if (pr.state == Progress.State.REPLICATE && pr.next > log.lastIndex()) {
                ents = List.of();
            } else {
                ents = log.entries(pr.next, log.lastIndex() + 1, cfg.maxAppendBytes);
            }
        } catch (LogCompactedException e) {
            // The application compacted the stable log meanwhile (it may do so from another thread).
            return startSnapshot(to, pr);
        }
        if (ents.isEmpty() && !sendIfEmpty) {
            return false;
        }
        long bytes = 0;
        for (Entry e : ents) {
            bytes += e.sizeBytes();
        }
        msgsAppendBytes += bytes;
        send(Message.builder(MessageType.APPEND).to(to).index(prevIndex).logTerm(prevTerm).entries(ents)
                .commit(log.committed()).build());
        if (pr.state == Progress.State.REPLICATE) {
            if (!ents.isEmpty()) {
                long last = ents.get(ents.size() - 1).index();
                pr.next = last + 1;
                pr.inflights.add(last, bytes);
            }
        } else if (pr.state == Progress.State.PROBE) {
            pr.probeSent = true;
        }
        return !ents.isEmpty();
    }

    private boolean startSnapshot(long to, Progress pr) {
        if (!pr.recentActive) {
            return false;
        }
        Snapshot snap = latestSnapshot;
        if (snap == null || snap.meta().index() < log.firstIndex() - 1) {
            throw new IllegalStateException("log compacted to " + (log.firstIndex() - 1)
                    + " without a snapshot to send (latest " + snap + ")");
        }
        if (snap.data().writtenOnDemand()) {
            snap = writtenToSend;
            if (snap == null || snap.meta().index() < log.firstIndex() - 1) {
                askSnapshotToSend();
                return false; // Started once the state machine has written it (snapshotToSendWritten).
            }
        }
        pr.becomeSnapshot(snap);
        sendSnapshotChunk(to, pr, true);
        return false;
    }

    /** Asks the application, through the next Ready, to write the latest (held) snapshot for followers. */
    private void askSnapshotToSend() {
        if (snapshotToSendAsked == null) {
            snapshotToSendAsked = latestSnapshot.meta();
            snapshotToSendInNextReady = true;
        }
    }

    private void sendSnapshotChunk(long to, Progress pr, boolean force) {
        Snapshot snap = pr.pendingSnapshot;
        if (snap == null) {
            return;
        }
        SnapshotData data = snap.data();
        long total = data.sizeBytes();
        long off = Math.min(pr.snapshotOffset, total);
        if (!force && off == pr.snapshotSentOffset) {
            return;
        }
        if (!force && off == total && total > 0) {
            return; // the member has every byte and is verifying them; a heartbeat's resend finds out if it restarted
        }
        // One chunk per message and one message in flight per member (the next goes on its ack): the leader
        // reads the snapshot lazily and never holds more than a chunk of it per member.
        byte[] chunk = new byte[(int) Math.min(cfg.snapshotChunkBytes, total - off)];
        try {
            data.read(off, chunk, 0, chunk.length);
        } catch (UncheckedIOException e) {
            // A newer snapshot replaced (and deleted) this one: start over with the latest, from a later heartbeat.
            snapshotReadFailures++;
            pr.becomeProbe();
            return;
        }
        pr.snapshotSentOffset = off;
        send(Message.builder(MessageType.SNAPSHOT_CHUNK).to(to).snapshot(snap.meta()).snapshotOffset(off)
                .snapshotSize(total).snapshotChecksum(data.checksum()).chunk(chunk).build());
    }

    /** How many times reading a snapshot to send failed (it was replaced by a newer one, or an I/O error). */
    public long snapshotReadFailures() {
        return snapshotReadFailures;
    }

    private void bcastHeartbeat() {
        byte[] ctx = readRoundActive ? longBytes(readRoundSeq) : EMPTY_BYTES;
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            if (e.getKey() != id) {
                long commit = Math.min(e.getValue().match, log.committed());
                send(Message.builder(MessageType.HEARTBEAT).to(e.getKey()).commit(commit).context(ctx).build());
            }
        }
    }

    private boolean quorumActive() {
        int active = 0;
        for (long v : membership.voters()) {
            Progress p = progress.get(v);
            if (v == id || (p != null && p.recentActive)) {
                active++;
            }
        }
        return active >= quorum();
    }

    private int quorum() {
        return membership.voters().size() / 2 + 1;
    }

    // ---------------------------------------------------------------- read index

    private int pendingReads() {
        return readsAwaitingCommit.size() + readsQueued.size() + readsInRound.size();
    }

    private boolean leaderReadRequest(long from, byte[] context) {
        if (pendingReads() >= cfg.maxPendingReads) {
            return false;
        }
        if (!committedInCurrentTerm()) {
            readsAwaitingCommit.add(new PendingRead(from, 0, context));
            return true;
        }
        PendingRead r = new PendingRead(from, log.committed(), context);
        if (membership.voters().size() == 1 && membership.voters().contains(id)) {
            releaseRead(r);
            return true;
        }
        readsQueued.add(r); // the round starts at the next ready(), batching every read queued until then
        return true;
    }

    private void releaseReadsAwaitingCommit() {
        if (readsAwaitingCommit.isEmpty() || !committedInCurrentTerm()) {
            return;
        }
        while (!readsAwaitingCommit.isEmpty()) {
            PendingRead r = readsAwaitingCommit.poll();
            readsQueued.add(new PendingRead(r.from, log.committed(), r.context));
        }
        if (membership.voters().size() == 1 && membership.voters().contains(id)) {
            while (!readsQueued.isEmpty()) {
                releaseRead(readsQueued.poll());
            }
        }
    }

    private void maybeStartReadRound() {
        if (readRoundActive || readsQueued.isEmpty()) {
            return;
        }
        readRoundActive = true;
        readRoundSeq++;
        readsInRound.addAll(readsQueued);
        readsQueued.clear();
        readRoundAcks.clear();
        readRoundAcks.add(id);
        if (!maybeFinishReadRound()) {
            bcastHeartbeat();
        }
    }

    private void handleReadAck(Message m) {
        if (!readRoundActive || m.context().length != 8 || bytesLong(m.context()) != readRoundSeq) {
            return;
        }
        if (!membership.voters().contains(m.from())) {
            return;
        }
        readRoundAcks.add(m.from());
        maybeFinishReadRound();
    }

    private boolean maybeFinishReadRound() {
        int acks = 0;
        for (long a : readRoundAcks) {
            if (membership.voters().contains(a)) {
                acks++;
            }
        }
        if (acks >= quorum()) {
            for (PendingRead r : readsInRound) {
                releaseRead(r);
            }
            readsInRound.clear();
            readRoundActive = false;
            return true;
        }
        return false;
    }

    private void releaseRead(PendingRead r) {
        if (r.from == id) {
            readStates.add(new ReadState(r.index, r.context));
        } else {
            send(Message.builder(MessageType.READ_INDEX_RESPONSE).to(r.from).index(r.index).context(r.context).build());
        }
    }

    private void clearReads() {
        readsAwaitingCommit.clear();
        readsQueued.clear();
        readsInRound.clear();
        readRoundAcks.clear();
        readRoundActive = false;
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static long bytesLong(byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }

    // ---------------------------------------------------------------- role changes

    private boolean promotable() {
        return membership.voters().contains(id) && log.unstableSnapshot() == null;
    }

    private void hup(boolean transfer) {
        if (role == Role.LEADER || !promotable()) {
            return;
        }
        if (hasUnappliedConfChange()) {
            return; // cannot campaign until config changes we know to be committed are applied
        }
        if (cfg.preVote && !transfer) {
            campaign(true, false);
        } else {
            campaign(false, transfer);
        }
    }

    private boolean hasUnappliedConfChange() {
        if (log.committed() <= log.applied() || membershipIndex >= log.committed()) {
            return false;
        }
        long lo = Math.max(log.applied() + 1, membershipIndex + 1);
        for (long i = lo; i <= log.committed(); ) {
            List<Entry> batch = log.entries(i, log.committed() + 1, 1 << 20);
            for (Entry e : batch) {
                if (e.type() == EntryType.CONFIG_CHANGE) {
                    return true;
                }
            }
            i += batch.size();
        }
        return false;
    }

    private void campaign(boolean pre, boolean transfer) {
        long voteTerm;
        if (pre) {
            becomePreCandidate();
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteTerm = term;
        }
        votes.put(id, true);
        if (quorum() <= 1) {
            if (pre) {
                campaign(false, false);
            } else {
                becomeLeader();
            }
            return;
        }
        MessageType type = pre ? MessageType.PRE_VOTE : MessageType.VOTE;
        for (long v : new TreeSet<>(membership.voters())) { // sorted: message order must be deterministic
            if (v == id) {
                continue;
            }
            send(Message.builder(type).to(v).term(voteTerm).index(log.lastIndex()).logTerm(log.lastTerm())
                    .context(transfer ? CAMPAIGN_TRANSFER : EMPTY_BYTES).build());
        }
    }

    private void reset(long newTerm) {
        if (newTerm != term) {
            if (!(newTerm > term)) {
                throw new IllegalStateException("term never decreases: " + term + " -> " + newTerm);
            }
            term = newTerm;
            votedFor = HardState.NO_VOTE;
        }
        leaderId = 0;
        commitDeferred = false;
        electionElapsed = 0;
        heartbeatElapsed = 0;
        randomizedElectionTicks = cfg.electionTicks + random.nextInt(cfg.electionTicks);
        leadTransferee = 0;
        votes.clear();
        pendingConfIndex = 0;
        clearReads();
        rebuildProgress();
    }

    private void rebuildProgress() {
        progress.clear();
        TreeSet<Long> all = new TreeSet<>(membership.voters());
        all.addAll(membership.learners());
        for (long m : all) {
            Progress p = new Progress(log.lastIndex() + 1, cfg.maxInflightAppends, cfg.maxInflightBytes,
                    membership.learners().contains(m));
            if (m == id) {
                p.match = log.persistedLastIndex();
            }
            progress.put(m, p);
        }
    }

    private void becomeFollower(long newTerm, long lead) {
        reset(newTerm);
        role = Role.FOLLOWER;
        leaderId = lead;
    }

    private void becomePreCandidate() {
        if (!(role != Role.LEADER)) {
            throw new IllegalStateException("leader cannot become pre-candidate");
        }
        votes.clear();
        leaderId = 0;
        role = Role.PRE_CANDIDATE;
    }

    private void becomeCandidate() {
        if (!(role != Role.LEADER)) {
            throw new IllegalStateException("leader cannot become candidate");
        }
        reset(term + 1);
        votedFor = id;
        role = Role.CANDIDATE;
    }

    private void becomeLeader() {
        if (!(role == Role.CANDIDATE || role == Role.PRE_CANDIDATE)) {
            throw new IllegalStateException("only candidates become leader");
        }
        reset(term);
        role = Role.LEADER;
        leaderId = id;
        Progress self = progress.get(id);
        self.becomeReplicate();
        self.match = log.persistedLastIndex();
        self.next = log.lastIndex() + 1;
        for (Progress p : progress.values()) {
            p.recentActive = true;
        }
        pendingConfIndex = log.lastIndex();
        appendEntries(List.of(new Entry(log.lastIndex() + 1, term, EntryType.EMPTY, EMPTY_BYTES)));
    }

    private void send(Message m) {
        Message.Builder b = m.toBuilder().from(id);
        MessageType t = m.type();
        boolean explicitTerm = t == MessageType.VOTE || t == MessageType.PRE_VOTE
                || t == MessageType.VOTE_RESPONSE || t == MessageType.PRE_VOTE_RESPONSE;
        if (!explicitTerm) {
            b.term(term);
        }
        msgs.add(b.build());
    }

    // ---------------------------------------------------------------- ready / advance

    private HardState hardState() {
        return new HardState(term, votedFor, log.committed());
    }

    /** True if {@link #ready()} has work (always false while a Ready awaits {@link #advance}). */
    public boolean hasReady() {
        if (readyOutstanding) {
            return false;
        }
        return leaderId != prevLeaderId || role != prevRole || !hardState().equals(prevHardState)
                || log.hasUnstableEntries() || log.unstableSnapshot() != null || log.hasNextCommitted()
                || !snapshotChunks.isEmpty() || snapshotToSendInNextReady
                || !msgs.isEmpty() || !readStates.isEmpty() || !forwardQueue.isEmpty() || (role == Role.LEADER && !readRoundActive
                && !readsQueued.isEmpty());
    }

    private void flushBatches() {
        if (role == Role.LEADER) {
            if (appendBroadcastPending && appendToEveryFollower()) {
                commitDeferred = false; // The new entries carried the commit index to every follower.
            }
            maybeStartReadRound();
        } else if (!forwardQueue.isEmpty() && role == Role.FOLLOWER && leaderId != 0) {
            send(Message.builder(MessageType.PROPOSE).to(leaderId).entries(forwardQueue).build());
        }
        appendBroadcastPending = false;
        forwardQueue.clear();
    }

    /**
     * Takes the messages that may be sent at once, while a Ready is outstanding, instead of waiting for
     * the next one: proposals and read-index requests forwarded to the leader (they depend on nothing
     * persisted), and, on a leader whose term and vote are durable (the last advanced hard state), all
     * of its messages (appends, heartbeats, read-index answers: see {@link Ready#messagesMayPrecedeSync};
     * its own entries count towards a commit only after {@link #advance}). This takes the sync in
     * progress off the path of new proposals.
     */
    public List<Message> takeEarlyMessages() {
        boolean durableLeader = role == Role.LEADER && log.unstableSnapshot() == null
                && term == prevHardState.term() && votedFor == prevHardState.votedFor();
        if (role == Role.LEADER && !durableLeader) {
            return List.of();
        }
        flushBatches();
        if (msgs.isEmpty()) {
            return List.of();
        }
        if (durableLeader) {
            List<Message> early = msgs;
            msgs = new ArrayList<>();
            msgsAppendBytes = 0;
            return early;
        }
        // Not a leader: only forwarded requests go now; acknowledgements wait for the sync.
        List<Message> early = List.of();
        for (int i = 0; i < msgs.size(); ) {
            MessageType t = msgs.get(i).type();
            if (t == MessageType.PROPOSE || t == MessageType.READ_INDEX) {
                if (early.isEmpty()) {
                    early = new ArrayList<>();
                }
                early.add(msgs.remove(i));
            } else {
                i++;
            }
        }
        return early;
    }

    /**
     * Hands out committed entries that are already durable on this member and in no Ready, for applying
     * while a Ready is outstanding (a member learns of commits while it syncs its next batch): the
     * application applies them after the committed entries of every earlier Ready and before those of
     * any later one, then calls {@link #stableCommittedApplied}. Stops before a configuration change
     * and before the next snapshot point: those come through a Ready.
     */
    public List<Entry> takeStableCommitted() {
        long limit = snapshotIntervalEntries > 0
                ? lastSnapshotRequestIndex + snapshotIntervalEntries - 1 : Long.MAX_VALUE;
        List<Entry> stable = log.takeStableCommitted(limit, cfg.maxApplyBytes);
        countHandedOut(stable);
        return stable;
    }

    /**
     * Acknowledges that entries from {@link #takeStableCommitted} are applied up to {@code index}. While
     * a Ready is outstanding this counts only from its {@link #advance}: the Ready may hold a
     * configuration change below {@code index} that the core interprets then.
     */
    public void stableCommittedApplied(long index) {
        if (index > log.applying()) {
            throw new IllegalStateException("applied " + index + " but only " + log.applying() + " was handed out");
        }
        if (readyOutstanding) {
            stableAppliedPending = Math.max(stableAppliedPending, index);
        } else {
            log.appliedTo(index);
        }
    }

    /** Adds {@code entries} to the payload handed out since the last snapshot request (for the mean entry size). */
    private void countHandedOut(List<Entry> entries) {
        for (int i = 0, n = entries.size(); i < n; i++) {
            bytesSinceSnapshotRequest += entries.get(i).data().length;
        }
        entriesSinceSnapshotRequest += entries.size();
    }

    /** Collects the pending work; must be followed by {@link #advance(Ready)} before the next call. */
    public Ready ready() {
        if (readyOutstanding) {
            throw new IllegalStateException("ready() called twice without advance()");
        }
        readyOutstanding = true;
        flushBatches();
        HardState hs = hardState();
        List<Entry> committed = log.nextCommitted(cfg.maxApplyBytes);
        countHandedOut(committed);
        SnapshotMeta snapReq = null;
        if (!committed.isEmpty() && snapshotIntervalEntries > 0) {
            Entry last = committed.get(committed.size() - 1);
            if (last.index() - lastSnapshotRequestIndex >= snapshotIntervalEntries
                    && last.index() >= membershipIndex) {
                Membership m = membership;
                for (Entry e : committed) {
                    if (e.type() == EntryType.CONFIG_CHANGE && e.index() > membershipIndex) {
                        m = ConfChange.decode(e.data()).applyTo(m);
                    }
                }
                snapReq = new SnapshotMeta(last.index(), last.term(), m);
                lastSnapshotRequestIndex = last.index();
                meanEntryBytes = Math.max(1, bytesSinceSnapshotRequest / Math.max(1, entriesSinceSnapshotRequest));
                bytesSinceSnapshotRequest = 0;
                entriesSinceSnapshotRequest = 0;
            }
        }
        Ready rd = new Ready(leaderId, role, hs.equals(prevHardState) ? null : hs, log.unstableEntries(),
                log.unstableSnapshot(), snapshotChunks, committed, msgs, readStates, snapReq,
                snapshotToSendInNextReady ? snapshotToSendAsked : null);
        snapshotToSendInNextReady = false;
        snapshotChunks = snapshotChunks.isEmpty() ? snapshotChunks : new ArrayList<>();
        msgs = new ArrayList<>();
        msgsAppendBytes = 0;
        readStates = new ArrayList<>();
        prevLeaderId = leaderId;
        prevRole = role;
        return rd;
    }

    /** Acknowledges that {@code rd} was persisted, sent and applied as {@link Ready} describes. */
    public void advance(Ready rd) {
        if (!readyOutstanding) {
            throw new IllegalStateException("advance() without ready()");
        }
        readyOutstanding = false;
        if (rd.hardState() != null) {
            if (prevHardState != null && (rd.hardState().term() < prevHardState.term()
                    || rd.hardState().commitIndex() < prevHardState.commitIndex())) {
                throw new IllegalStateException("term and commit never decrease: " + prevHardState + " -> "
                        + rd.hardState());
            }
            prevHardState = rd.hardState();
        }
        if (rd.snapshot() != null) {
            log.stableSnapTo(rd.snapshot().meta().index());
        }
        if (!rd.entries().isEmpty()) {
            Entry last = rd.entries().get(rd.entries().size() - 1);
            log.stableTo(last.index(), last.term());
        }
        if (!rd.committedEntries().isEmpty()) {
            Entry last = rd.committedEntries().get(rd.committedEntries().size() - 1);
            for (Entry e : rd.committedEntries()) {
                if (e.type() == EntryType.CONFIG_CHANGE && e.index() > membershipIndex) {
                    applyConfChange(e);
                }
            }
            log.appliedTo(last.index());
        }
        if (stableAppliedPending > 0) {
            log.appliedTo(stableAppliedPending);
            stableAppliedPending = 0;
        }
        if (role == Role.LEADER) {
            Progress self = progress.get(id);
            if (self != null && self.maybeUpdate(log.persistedLastIndex())) {
                if (maybeCommit()) {
                    sendCommit();
                }
            }
        }
        // A staged snapshot's verdict that came while this Ready was outstanding.
        if (receivedWhileOutstanding != null) {
            Snapshot received = receivedWhileOutstanding;
            receivedWhileOutstanding = null;
            snapshotReceived(received);
        }
        if (refusedWhileOutstanding != null) {
            SnapshotMeta refused = refusedWhileOutstanding;
            refusedWhileOutstanding = null;
            snapshotRefused(refused);
        }
    }

    private void applyConfChange(Entry e) {
        ConfChange cc = ConfChange.decode(e.data());
        Membership before = membership;
        membership = cc.applyTo(membership);
        membershipIndex = e.index();
        if (membership.equals(before)) {
            return;
        }
        // Update progress: keep existing trackers, add new members, drop removed ones.
        TreeSet<Long> all = new TreeSet<>(membership.voters());
        all.addAll(membership.learners());
        progress.keySet().retainAll(all);
        for (long m : all) {
            Progress p = progress.get(m);
            if (p == null) {
                p = new Progress(log.lastIndex() + 1, cfg.maxInflightAppends, cfg.maxInflightBytes, false);
                p.recentActive = true;
                if (m == id) {
                    p.match = log.persistedLastIndex();
                }
                progress.put(m, p);
            }
            p.learner = membership.learners().contains(m);
        }
        if (role == Role.LEADER) {
            if (!membership.voters().contains(id)) {
                becomeFollower(term, 0);
                return;
            }
            if (leadTransferee != 0 && !membership.voters().contains(leadTransferee)) {
                leadTransferee = 0;
            }
            if (maybeCommit()) {
                bcastAppend();
            } else {
                for (long m : all) {
                    if (m != id && progress.get(m).match == 0) {
                        sendAppend(m, true);
                    }
                }
            }
        } else if (role != Role.FOLLOWER && !membership.voters().contains(id)) {
            becomeFollower(term, 0);
        }
    }

    @Override
    public String toString() {
        return "RaftCore{id=" + id + " " + role + " term=" + term + " lead=" + leaderId + " vote=" + votedFor + " "
                + log + " members=" + membership + "}";
    }
}
