package io.cohort.internal;

import io.cohort.TransportFactory;
import io.cohort.mvcc.WatchHubConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Everything a node is started with (validated by the public builder).
 *
 * @param memberId this member's ID
 * @param dataDir the data directory (keyspace, raft log and snapshot subdirectories)
 * @param members the initial members' addresses by ID
 * @param joinExisting true to start without bootstrapping (the member is added by the running group)
 * @param transport creates this member's transport
 * @param tickMs the Raft tick
 * @param electionTicks the election timeout in ticks
 * @param requestTimeoutMs how long a request may wait for a leader and the commit
 * @param maxRequestBytes the largest write request (etcd's max-request-bytes)
 * @param quotaBytes the keyspace size above which writes are refused
 * @param snapshotIntervalEntries applied entries between Raft snapshots (0: never)
 * @param maxPendingRequests the most requests in flight on this member
 * @param callbackExecutor where futures complete
 * @param watchHubConfig the bounds of watches (how many, how far a listener may fall behind)
 */
public record NodeSettings(long memberId, Path dataDir, Map<Long, String> members, boolean joinExisting,
                           TransportFactory transport, long tickMs, int electionTicks, long requestTimeoutMs,
                           long maxRequestBytes, long quotaBytes, long snapshotIntervalEntries, int maxPendingRequests,
                           Executor callbackExecutor, WatchHubConfig watchHubConfig) {
}
