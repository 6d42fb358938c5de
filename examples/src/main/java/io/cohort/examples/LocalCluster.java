package io.cohort.examples;

import io.cohort.CohortNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Three members over TCP on 127.0.0.1 in one JVM, in a temporary directory deleted on close: what the examples run on
 * to stay self-contained. In a real service each replica starts one member with {@link ClusterMember#startMember}.
 */
final class LocalCluster implements AutoCloseable {
    final List<CohortNode> members = new ArrayList<>();
    private final Path root;

    LocalCluster(int size) throws IOException {
        root = Files.createTempDirectory("cohort-example");
        Map<Long, String> addresses = new LinkedHashMap<>();
        for (long id = 1; id <= size; id++) {
            try (ServerSocket s = new ServerSocket(0)) {
                addresses.put(id, "127.0.0.1:" + s.getLocalPort());
            }
        }
        for (long id : addresses.keySet()) {
            members.add(ClusterMember.startMember(id, root.resolve("member-" + id), addresses));
        }
    }

    CohortNode member(int i) {
        return members.get(i);
    }

    @Override
    public void close() {
        members.forEach(CohortNode::close);
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
