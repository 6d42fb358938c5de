package io.cohort.benchmarks;

import io.cohort.CohortNode;
import io.cohort.TransportFactory;
import io.cohort.raft.transport.InMemoryNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Three members in this JVM on the in-memory transport, each with real disks (Chronicle log with fsync, LMDB) in a
 * temporary directory deleted on close: the group the in-process benchmarks run on. Members tick every 20 ms, elect
 * within a second and give requests 30 s; {@code tuning} adjusts each member's builder further.
 */
public final class InProcessGroup implements AutoCloseable {
    /** The members, 1 to 3. */
    public final List<CohortNode> members = new ArrayList<>();
    private final Path dir;
    private final InMemoryNetwork network;

    /** Starts the group in a new temporary directory named after {@code name}. */
    public InProcessGroup(String name, Consumer<CohortNode.Builder> tuning) throws IOException {
        dir = Files.createTempDirectory(name);
        network = InMemoryNetwork.builder().seed(1).linkCapacityMessages(65_536).build();
        Map<Long, String> addresses = new LinkedHashMap<>();
        for (long id = 1; id <= 3; id++) {
            addresses.put(id, "in-memory:" + id);
        }
        for (long id = 1; id <= 3; id++) {
            CohortNode.Builder b = CohortNode.builder().memberId(id).dataDir(dir.resolve("member-" + id))
                    .members(addresses).transport(TransportFactory.of(network::transport))
                    .tickMs(20).electionTimeoutMs(1_000).requestTimeoutMs(30_000);
            tuning.accept(b);
            members.add(b.start());
        }
    }

    /** The leader, once there is one (at most 10 s). */
    public CohortNode awaitLeader() throws InterruptedException {
        for (int i = 0; i < 1_000; i++) {
            for (CohortNode n : members) {
                if (n.maintenance().status().isLeader()) {
                    return n;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("no leader within 10 s");
    }

    /** Closes the members and the network and deletes the data. */
    @Override
    public void close() throws IOException {
        members.forEach(CohortNode::close);
        network.close();
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
