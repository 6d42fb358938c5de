package io.cohort.benchmarks.load;

import io.cohort.CohortNode;
import io.cohort.MemberStatus;
import io.cohort.transport.tcp.TcpTransport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts one Cohort member over TCP on loopback, with the defaults a service gets (fsync on). */
final class CohortMembers {
    static final String CLUSTER_ID = "bench-vs-etcd";
    /** The TCP transport of the member this JVM started last, for its metrics (dropped frames, reconnects). */
    static final java.util.concurrent.atomic.AtomicReference<TcpTransport> LAST_TRANSPORT =
            new java.util.concurrent.atomic.AtomicReference<>();

    private CohortMembers() {
    }

    /** Parses {@code 1=127.0.0.1:7401,2=...} into member ID → address. */
    static Map<Long, String> parseMembers(String spec) {
        Map<Long, String> members = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("members: expected id=host:port, got '" + part + "'");
            }
            members.put(Long.parseLong(kv[0].trim()), kv[1].trim());
        }
        return members;
    }

    static CohortNode start(long memberId, Path dataDir, Map<Long, String> members) {
        return start(memberId, dataDir, members, 0);
    }

    /**
     * Starts a member; {@code callbackThreads} > 0 gives it a fixed pool of that many callback threads instead of
     * the default executor (an experiment knob, off by default).
     */
    static CohortNode start(long memberId, Path dataDir, Map<Long, String> members, int callbackThreads) {
        CohortNode.Builder builder = CohortNode.builder();
        if (callbackThreads > 0) {
            java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
            builder.callbackExecutor(java.util.concurrent.Executors.newFixedThreadPool(callbackThreads, r -> {
                Thread t = new Thread(r, "bench-callback-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }));
        }
        // -Dbench.tickMs: an experiment knob for the Raft tick (the node's default when unset).
        String tickMs = System.getProperty("bench.tickMs");
        if (tickMs != null) {
            builder.tickMs(Long.parseLong(tickMs));
        }
        // -Dbench.snapshotIntervalEntries: an experiment knob (0 = no snapshots; the node's default when unset).
        String snapshotInterval = System.getProperty("bench.snapshotIntervalEntries");
        if (snapshotInterval != null) {
            builder.snapshotIntervalEntries(Long.parseLong(snapshotInterval));
        }
        return builder.memberId(memberId).dataDir(dataDir).members(members)
                .transport((self, addresses) -> {
                    // -Dbench.tcpSenderWrites=false: an experiment knob (every frame through the peer's writer thread).
                    TcpTransport.Builder b = TcpTransport.builder().clusterId(CLUSTER_ID).memberId(self)
                            .listen(address(addresses.get(self)))
                            .writeOnSenderThread(!"false".equals(System.getProperty("bench.tcpSenderWrites")));
                    addresses.forEach((id, a) -> {
                        if (id != self) {
                            b.peer(id, address(a));
                        }
                    });
                    TcpTransport transport = b.build();
                    LAST_TRANSPORT.set(transport);
                    return transport;
                })
                .maxPendingRequests(4_096)
                .start();
    }

    /** Waits until {@code node} sees {@code leaderId} as leader; false after {@code timeoutMs}. */
    static boolean awaitLeader(CohortNode node, long leaderId, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            MemberStatus s = node.maintenance().status();
            if (s.leaderId() == leaderId) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("address: expected host:port, got '" + hostPort + "'");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
