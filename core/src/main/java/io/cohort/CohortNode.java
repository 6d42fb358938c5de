package io.cohort;

import io.cohort.internal.ClusterImpl;
import io.cohort.internal.KvStoreImpl;
import io.cohort.internal.LeasesImpl;
import io.cohort.internal.MaintenanceImpl;
import io.cohort.internal.NodeCore;
import io.cohort.internal.NodeSettings;
import io.cohort.internal.WatcherImpl;
import io.cohort.mvcc.WatchHubConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * One member of a Cohort group, running in this JVM: a Raft node replicating an MVCC keyspace with etcd v3
 * semantics. Build with {@link #builder()}; restart on the same data directory to rejoin with all the data.
 *
 * <pre>{@code
 * try (CohortNode node = CohortNode.builder().memberId(1).dataDir(dir)
 *         .members(Map.of(1L, "10.0.0.1:7400", 2L, "10.0.0.2:7400", 3L, "10.0.0.3:7400"))
 *         .transport(transportFactory).start()) {
 *     node.kv().put("config/timeout-ms", "2500");
 * }
 * }</pre>
 *
 * <p>{@link #close()} fails every request in flight with {@link CohortException.Closed}; none hangs.
 */
public final class CohortNode implements AutoCloseable {
    private final NodeCore core;
    private final KvStore kv;
    private final Cluster cluster;
    private final Maintenance maintenance;
    private final Leases leases;
    private final Watcher watcher;

    private CohortNode(NodeCore core) {
        this.core = core;
        this.kv = new KvStoreImpl(core);
        this.cluster = new ClusterImpl(core);
        this.maintenance = new MaintenanceImpl(core);
        this.leases = new LeasesImpl(core);
        this.watcher = new WatcherImpl(core);
    }

    /** A builder with production defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** This member's ID. */
    public long memberId() {
        return core.settings().memberId();
    }

    /** The key-value store (served by this member). */
    public KvStore kv() {
        return kv;
    }

    /** Leases (granted and revoked through Raft; no expiry yet, see {@link Leases}). */
    public Leases leases() {
        return leases;
    }

    /** Membership and leadership. */
    public Cluster cluster() {
        return cluster;
    }

    /** Where this node completes futures and runs recipe callbacks by default. */
    java.util.concurrent.Executor callbackExecutor() {
        return core.settings().callbackExecutor();
    }

    /** Opens a {@link Session}: a lease of {@code ttl} kept alive in the background, for elections and locks. */
    public Session newSession(java.time.Duration ttl) {
        return Session.open(this, ttl);
    }

    /** Watches on the keyspace this member serves. */
    public Watcher watcher() {
        return watcher;
    }

    /** Status, hashes, consistency check, defragmentation. */
    public Maintenance maintenance() {
        return maintenance;
    }

    /** True once closed. */
    public boolean isClosed() {
        return core.isClosed();
    }

    /** Stops the node: fails pending requests, stops Raft, closes the keyspace. Idempotent. */
    @Override
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return "CohortNode{" + memberId() + " in " + core.settings().dataDir() + "}";
    }

    /** Settings of a {@link CohortNode}; every time has its unit in its name. */
    public static final class Builder {
        private long memberId;
        private Path dataDir;
        private final Map<Long, String> members = new LinkedHashMap<>();
        private boolean joinExisting;
        private TransportFactory transport;
        private long tickMs = 100;
        private long electionTimeoutMs = 1_000;
        private long requestTimeoutMs = 5_000;
        private long maxRequestBytes = 1_572_864;
        private long quotaBytes = 2L << 30;
        private long snapshotIntervalEntries = 100_000;
        private long leaseCheckpointIntervalMs = 5 * 60_000;
        private int maxPendingRequests = 16_384;
        private Executor callbackExecutor = ForkJoinPool.commonPool();
        private int maxWatches = WatchHubConfig.defaults().maxWatchers();
        private int maxWatchLagEvents = WatchHubConfig.defaults().maxPendingEventsPerWatcher();
        private long watchProgressIntervalMs = WatchHubConfig.defaults().progressIntervalMs();

        private Builder() {
        }

        /** This member's ID (> 0, one of {@link #members}). */
        public Builder memberId(long v) {
            memberId = v;
            return this;
        }

        /** The data directory: {@code keyspace/} and {@code raft/} live under it. */
        public Builder dataDir(Path v) {
            dataDir = Objects.requireNonNull(v, "dataDir");
            return this;
        }

        /** The initial members' addresses by ID, this member's included. */
        public Builder members(Map<Long, String> v) {
            members.clear();
            members.putAll(v);
            return this;
        }

        /** Adds one initial member. */
        public Builder member(long id, String address) {
            members.put(id, address);
            return this;
        }

        /**
         * Starts without founding a group: this member waits to be added (as a learner) by the running group.
         * {@link #members} then lists the members it can reach.
         */
        public Builder joinExisting() {
            joinExisting = true;
            return this;
        }

        /** Creates this member's Raft transport (started and closed by the node). */
        public Builder transport(TransportFactory v) {
            transport = Objects.requireNonNull(v, "transport");
            return this;
        }

        /** The Raft tick (default 100 ms); heartbeats go every tick. */
        public Builder tickMs(long v) {
            tickMs = v;
            return this;
        }

        /** The election timeout (default 1000 ms), a multiple of the tick of at least 2 ticks. */
        public Builder electionTimeoutMs(long v) {
            electionTimeoutMs = v;
            return this;
        }

        /** How long a request may wait for a leader and its commit before failing (default 5000 ms). */
        public Builder requestTimeoutMs(long v) {
            requestTimeoutMs = v;
            return this;
        }

        /** The largest write request in etcd's encoding (default 1.5 MiB, etcd's). */
        public Builder maxRequestBytes(long v) {
            maxRequestBytes = v;
            return this;
        }

        /** The keyspace size above which writes are refused (default 2 GiB, etcd's). */
        public Builder quotaBytes(long v) {
            quotaBytes = v;
            return this;
        }

        /**
         * Applied entries between snapshots, after which the log behind is discarded (default 100,000, etcd's
         * snapshot count; 0: never). A snapshot copies nothing: it syncs the keyspace's LMDB file (on a snapshot
         * thread), which then holds it; a copy of the keyspace is written only when a member far behind needs one.
         */
        public Builder snapshotIntervalEntries(long v) {
            snapshotIntervalEntries = v;
            return this;
        }

        /** The most requests in flight on this member; more fail at once with {@link CohortException.Overloaded}. */
        public Builder maxPendingRequests(int v) {
            maxPendingRequests = v;
            return this;
        }

        /**
         * Where request futures complete and linearizable reads run their local read (default: the common fork-join
         * pool, which has one thread on a 2-core machine: pass an executor of your own for heavy read loads or
         * callbacks that block). Never a Raft thread.
         */
        public Builder callbackExecutor(Executor v) {
            callbackExecutor = Objects.requireNonNull(v, "callbackExecutor");
            return this;
        }

        /**
         * How often the leader records the remaining TTL of each lease longer than this through Raft, so that a new
         * leader resumes from it instead of the full TTL (default 5 minutes, as etcd).
         */
        public Builder leaseCheckpointIntervalMs(long v) {
            leaseCheckpointIntervalMs = v;
            return this;
        }

        /** Most watches open at once on this member (default 100,000). */
        public Builder maxWatches(int v) {
            maxWatches = v;
            return this;
        }

        /**
         * How many events a watch's listener may fall behind before the watch is cancelled as a slow consumer, with
         * the revision to resume from (default 10,000).
         */
        public Builder maxWatchLagEvents(int v) {
            maxWatchLagEvents = v;
            return this;
        }

        /** The period of progress notifications for watches that ask for them (default 10 minutes, as etcd). */
        public Builder watchProgressIntervalMs(long v) {
            watchProgressIntervalMs = v;
            return this;
        }

        /** Validates the settings, opens the data directory and starts the node. */
        public CohortNode start() {
            require(memberId > 0, "memberId must be > 0, was " + memberId);
            require(dataDir != null, "dataDir is required");
            require(transport != null, "transport is required");
            require(!members.isEmpty(), "members is required (the initial members and their addresses)");
            require(joinExisting || members.containsKey(memberId),
                    "members " + members.keySet() + " must include this member " + memberId);
            for (long id : members.keySet()) {
                require(id > 0, "member IDs must be > 0, was " + id);
            }
            require(tickMs >= 1, "tickMs must be >= 1, was " + tickMs);
            require(electionTimeoutMs >= 2 * tickMs, "electionTimeoutMs (" + electionTimeoutMs
                    + ") must be at least 2 ticks of " + tickMs + " ms");
            require(requestTimeoutMs >= 1, "requestTimeoutMs must be >= 1, was " + requestTimeoutMs);
            require(maxRequestBytes >= 1 && maxRequestBytes <= 64L << 20,
                    "maxRequestBytes must be in [1, 64 MiB], was " + maxRequestBytes);
            require(quotaBytes >= 1 << 20, "quotaBytes must be >= 1 MiB, was " + quotaBytes);
            require(snapshotIntervalEntries >= 0, "snapshotIntervalEntries must be >= 0");
            require(maxPendingRequests >= 1 && maxPendingRequests <= 1 << 20,
                    "maxPendingRequests must be in [1, 2^20], was " + maxPendingRequests);
            require(leaseCheckpointIntervalMs >= 1, "leaseCheckpointIntervalMs must be >= 1, was "
                    + leaseCheckpointIntervalMs);
            require(maxWatches >= 1, "maxWatches must be >= 1, was " + maxWatches);
            require(maxWatchLagEvents >= 1, "maxWatchLagEvents must be >= 1, was " + maxWatchLagEvents);
            require(watchProgressIntervalMs >= 1, "watchProgressIntervalMs must be >= 1, was " + watchProgressIntervalMs);
            WatchHubConfig watchConfig = WatchHubConfig.defaults().withMaxWatchers(maxWatches)
                    .withMaxPendingEventsPerWatcher(maxWatchLagEvents).withProgressIntervalMs(watchProgressIntervalMs);
            int electionTicks = (int) Math.min(Integer.MAX_VALUE, electionTimeoutMs / tickMs);
            NodeSettings s = new NodeSettings(memberId, dataDir, Map.copyOf(members), joinExisting, transport, tickMs,
                    electionTicks, requestTimeoutMs, maxRequestBytes, quotaBytes, snapshotIntervalEntries,
                    maxPendingRequests, callbackExecutor, watchConfig, leaseCheckpointIntervalMs);
            return new CohortNode(NodeCore.start(s));
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
