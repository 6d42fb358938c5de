package io.cohort.raft;

/**
 * Settings of one {@link RaftCore}. Built with {@link #builder(long)}; every bound has its unit in
 * its name. Times are in ticks of the caller's clock.
 */
public final class RaftConfig {
    /** This member's ID (> 0). */
    public final long id;
    /** Founding members if this node bootstraps a new group, {@link Membership#EMPTY} to join one. */
    public final Membership bootstrap;
    /** Ticks without hearing from a leader before a follower campaigns (randomized in [n, 2n)). */
    public final int electionTicks;
    /** Ticks between leader heartbeats. */
    public final int heartbeatTicks;
    /** Seed of the election-timeout randomness. */
    public final long randomSeed;
    /** Run a pre-vote round before raising the term. */
    public final boolean preVote;
    /** Leader steps down if it has not heard from a quorum within an election timeout. */
    public final boolean checkQuorum;
    /** Upper bound on entry payload bytes per append message. */
    public final long maxAppendBytes;
    /** Upper bound on append messages in flight per follower. */
    public final int maxInflightAppends;
    /** Upper bound on entry payload bytes in flight per follower. */
    public final long maxInflightBytes;
    /**
     * Max entry bytes in the append messages of one {@link Ready} (all followers together): what a leader
     * materialises at once to catch followers up, whatever the in-flight allowance.
     */
    public final long maxReadyAppendBytes;
    /** Upper bound on uncommitted entries a leader accepts before refusing proposals. */
    public final int maxUncommittedEntries;
    /** Upper bound on one proposal's payload bytes. */
    public final int maxEntryBytes;
    /** Upper bound on queued read-index requests. */
    public final int maxPendingReads;
    /** Upper bound on committed-entry payload bytes handed out per {@link Ready}. */
    public final long maxApplyBytes;
    /**
     * Ask for a state machine snapshot after at least this many applied entries (0 disables); after more once a
     * snapshot holds more bytes than that many entries: the next waits until the log since the last one holds about
     * as many bytes as it (at most {@link #maxSnapshotIntervalFactor} times this interval), so copying snapshots costs
     * about a byte per byte logged.
     */
    public final long snapshotIntervalEntries;
    /** The snapshot interval grows with the snapshot's size to at most this many times the configured one (1: fixed). */
    public final long maxSnapshotIntervalFactor;
    /** Bytes of snapshot data per chunk message. */
    public final int snapshotChunkBytes;
    /** Largest snapshot a follower accepts (staged chunk by chunk, never whole in memory). */
    public final long maxSnapshotBytes;
    /**
     * When a leader's commit index advances, followers with nothing new to receive get no empty append at once: they
     * learn it from the next append or heartbeat, or when the application calls {@link RaftCore#sendDeferredCommit}
     * (see {@link RaftCore#commitDeferred}). Off by default: the commit index goes to every follower at once, as in
     * etcd's raft.
     */
    public final boolean deferCommitOnlyAppends;

    private RaftConfig(Builder b) {
        if (b.id <= 0) {
            throw new IllegalArgumentException("id must be > 0");
        }
        if (b.heartbeatTicks < 1 || b.electionTicks <= b.heartbeatTicks) {
            throw new IllegalArgumentException("need 1 <= heartbeatTicks < electionTicks");
        }
        id = b.id;
        bootstrap = b.bootstrap;
        electionTicks = b.electionTicks;
        heartbeatTicks = b.heartbeatTicks;
        randomSeed = b.randomSeed;
        preVote = b.preVote;
        checkQuorum = b.checkQuorum;
        maxAppendBytes = b.maxAppendBytes;
        maxInflightAppends = b.maxInflightAppends;
        maxInflightBytes = b.maxInflightBytes;
        if (b.maxReadyAppendBytes < b.maxAppendBytes) {
            throw new IllegalArgumentException("maxReadyAppendBytes (" + b.maxReadyAppendBytes
                    + ") must be at least maxAppendBytes (" + b.maxAppendBytes + ")");
        }
        maxReadyAppendBytes = b.maxReadyAppendBytes;
        maxUncommittedEntries = b.maxUncommittedEntries;
        maxEntryBytes = b.maxEntryBytes;
        maxPendingReads = b.maxPendingReads;
        maxApplyBytes = b.maxApplyBytes;
        snapshotIntervalEntries = b.snapshotIntervalEntries;
        if (b.maxSnapshotIntervalFactor < 1) {
            throw new IllegalArgumentException("maxSnapshotIntervalFactor must be >= 1, was " + b.maxSnapshotIntervalFactor);
        }
        maxSnapshotIntervalFactor = b.maxSnapshotIntervalFactor;
        snapshotChunkBytes = b.snapshotChunkBytes;
        maxSnapshotBytes = b.maxSnapshotBytes;
        deferCommitOnlyAppends = b.deferCommitOnlyAppends;
    }

    /** A builder with production defaults for member {@code id}. */
    public static Builder builder(long id) {
        return new Builder(id);
    }

    /** Mutable builder for {@link RaftConfig}. */
    public static final class Builder {
        private final long id;
        private Membership bootstrap = Membership.EMPTY;
        private int electionTicks = 10;
        private int heartbeatTicks = 1;
        private long randomSeed = 1;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private long maxAppendBytes = 1 << 20;
        private int maxInflightAppends = 256;
        private long maxInflightBytes = 64L << 20;
        private long maxReadyAppendBytes = 8L << 20;
        private int maxUncommittedEntries = 10_000;
        private int maxEntryBytes = 8 << 20;
        private int maxPendingReads = 10_000;
        private long maxApplyBytes = 64L << 20;
        private long snapshotIntervalEntries = 10_000;
        private long maxSnapshotIntervalFactor = 64;
        private int snapshotChunkBytes = 1 << 20;
        private long maxSnapshotBytes = 1L << 30;
        private boolean deferCommitOnlyAppends;

        private Builder(long id) {
            this.id = id;
        }

        /** Founding members (bootstrap a new group). */
        public Builder bootstrap(Membership v) {
            bootstrap = v;
            return this;
        }

        /** Election timeout base in ticks. */
        public Builder electionTicks(int v) {
            electionTicks = v;
            return this;
        }

        /** Heartbeat interval in ticks. */
        public Builder heartbeatTicks(int v) {
            heartbeatTicks = v;
            return this;
        }

        /** Seed for randomized election timeouts. */
        public Builder randomSeed(long v) {
            randomSeed = v;
            return this;
        }

        /** Enables pre-vote. */
        public Builder preVote(boolean v) {
            preVote = v;
            return this;
        }

        /** Enables check-quorum. */
        public Builder checkQuorum(boolean v) {
            checkQuorum = v;
            return this;
        }

        /** Max payload bytes per append. */
        public Builder maxAppendBytes(long v) {
            maxAppendBytes = v;
            return this;
        }

        /** Max appends in flight per follower. */
        public Builder maxInflightAppends(int v) {
            maxInflightAppends = v;
            return this;
        }

        /** Max bytes in flight per follower. */
        public Builder maxInflightBytes(long v) {
            maxInflightBytes = v;
            return this;
        }

        /** Max entry bytes in the append messages of one Ready, all followers together (default 8 MiB). */
        public Builder maxReadyAppendBytes(long v) {
            maxReadyAppendBytes = v;
            return this;
        }

        /** Max uncommitted entries on the leader. */
        public Builder maxUncommittedEntries(int v) {
            maxUncommittedEntries = v;
            return this;
        }

        /** Max bytes of one proposal. */
        public Builder maxEntryBytes(int v) {
            maxEntryBytes = v;
            return this;
        }

        /** Max queued read-index requests. */
        public Builder maxPendingReads(int v) {
            maxPendingReads = v;
            return this;
        }

        /** Max committed bytes per Ready. */
        public Builder maxApplyBytes(long v) {
            maxApplyBytes = v;
            return this;
        }

        /** Snapshot interval in applied entries (0 = never). */
        public Builder snapshotIntervalEntries(long v) {
            snapshotIntervalEntries = v;
            return this;
        }

        /** How many times the snapshot interval may grow with the snapshot's size (default 64; 1 keeps it fixed). */
        public Builder maxSnapshotIntervalFactor(long v) {
            maxSnapshotIntervalFactor = v;
            return this;
        }

        /** Snapshot chunk size in bytes. */
        public Builder snapshotChunkBytes(int v) {
            snapshotChunkBytes = v;
            return this;
        }

        /** Largest snapshot accepted from a leader. */
        public Builder maxSnapshotBytes(long v) {
            maxSnapshotBytes = v;
            return this;
        }

        /** Whether a leader defers commit-only appends (default false); see {@link RaftConfig#deferCommitOnlyAppends}. */
        public Builder deferCommitOnlyAppends(boolean v) {
            deferCommitOnlyAppends = v;
            return this;
        }

        /** Builds the immutable config. */
        public RaftConfig build() {
            return new RaftConfig(this);
        }
    }
}
