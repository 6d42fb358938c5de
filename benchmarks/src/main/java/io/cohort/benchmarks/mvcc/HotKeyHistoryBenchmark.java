package io.cohort.benchmarks.mvcc;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A read in the past of a key with a long history: one key written {@code versions} times (a leader key renewed,
 * a config key edited, a counter; etcd keeps every version until compaction), then a get at a random revision of its
 * history. The cost grows with how far back the read goes along the key's chain of versions.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HotKeyHistoryBenchmark {
    static final int BATCH = 1000;
    static final int VALUE_BYTES = 256;

    /** One key with a long history. */
    @State(Scope.Benchmark)
    public static class HotKey {
        @Param({"1000", "100000"})
        int versions;

        Path dir;
        Keyspace ks;
        final Bytes key = Bytes.ofUtf8("/registry/leases/kube-system/kube-scheduler");
        long firstRevision;
        long lastRevision;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("hot-key-bench");
            ks = Keyspace.open(dir, KeyspaceConfig.builder().quotaBytes(8L << 30).mapSizeBytes(16L << 30).build());
            byte[] v = new byte[VALUE_BYTES];
            Arrays.fill(v, (byte) 'v');
            Bytes value = Bytes.wrap(v);
            long index = 0;
            for (int i = 0; i < versions; i += BATCH) {
                List<Command> batch = new ArrayList<>(BATCH);
                for (int j = i; j < Math.min(versions, i + BATCH); j++) {
                    batch.add(new Command(++index, PutRequest.of(key, value)));
                }
                ks.apply(batch);
            }
            lastRevision = ks.currentRevision();
            firstRevision = lastRevision - versions + 1;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            ks.close();
            BenchDirs.delete(dir);
        }
    }

    /** Per-thread random source. */
    @State(Scope.Thread)
    public static class Local {
        final SplittableRandom rnd = new SplittableRandom(7);
    }

    /** A get of the key at a revision drawn uniformly from its history. */
    @Benchmark
    public RangeResponse getAtRandomPastRevision(HotKey h, Local l) {
        long rev = h.firstRevision + l.rnd.nextLong(h.lastRevision - h.firstRevision + 1);
        return h.ks.range(RangeRequest.key(h.key).atRevision(rev));
    }
}
