package io.cohort.benchmarks.mvcc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The keyspace benchmarks' temporary directories. */
final class BenchDirs {
    private BenchDirs() {
    }

    /** Deletes {@code dir} and everything under it, deepest first (best effort: a benchmark's scratch space). */
    static void delete(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
