package io.cohort.benchmarks.mvcc;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.DirectBufferProxy;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MVCC keyspace against raw LMDB doing the least work that answers the same request through lmdbjava:
 * one random put per put (batches of 1000 in one write txn), one lookup per get, one cursor pass per range.
 * Both stores hold the same 1M random 16-byte keys with 256-byte values; the keyspace also has 200k
 * overwrites in its history (for reads in the past).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MvccKeyspaceBenchmark {
    static final int KEYS = 1_000_000;
    static final int OVERWRITES = 200_000;
    static final int BATCH = 1000;
    static final int VALUE_BYTES = 256;
    static final int RANGE = 100;
    static final Bytes ALL = Bytes.wrap(new byte[] {0});

    /** Both stores, loaded with the same data. */
    @State(Scope.Benchmark)
    public static class Stores {
        Path dir;
        Keyspace ks;
        Env<DirectBuffer> env;
        Dbi<DirectBuffer> raw;
        byte[][] keys;
        /** keys sorted by unsigned bytes, for range starts. */
        byte[][] sorted;
        Bytes[] keyBytes;
        Bytes value;
        MutableDirectBuffer rawValue;
        long index;
        long revisionAfterLoad;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            dir = Files.createTempDirectory("mvcc-bench");
            SplittableRandom rnd = new SplittableRandom(42);
            keys = new byte[KEYS][];
            keyBytes = new Bytes[KEYS];
            for (int i = 0; i < KEYS; i++) {
                byte[] k = new byte[16];
                for (int j = 0; j < 16; j++) {
                    k[j] = (byte) rnd.nextInt(256);
                }
                keys[i] = k;
                keyBytes[i] = Bytes.wrap(k);
            }
            sorted = keys.clone();
            Arrays.sort(sorted, Arrays::compareUnsigned);
            byte[] v = new byte[VALUE_BYTES];
            Arrays.fill(v, (byte) 'v');
            value = Bytes.wrap(v);
            rawValue = new UnsafeBuffer(ByteBuffer.allocateDirect(VALUE_BYTES));
            rawValue.putBytes(0, v);

            KeyspaceConfig cfg = KeyspaceConfig.builder().quotaBytes(24L << 30).mapSizeBytes(32L << 30).build();
            ks = Keyspace.open(dir.resolve("keyspace"), cfg);
            for (int i = 0; i < KEYS; i += BATCH) {
                List<Command> batch = new ArrayList<>(BATCH);
                for (int j = i; j < i + BATCH; j++) {
                    batch.add(new Command(++index, PutRequest.of(keyBytes[j], value)));
                }
                ks.apply(batch);
            }
            revisionAfterLoad = ks.currentRevision();
            for (int i = 0; i < OVERWRITES; i += BATCH) {
                List<Command> batch = new ArrayList<>(BATCH);
                for (int j = 0; j < BATCH; j++) {
                    batch.add(new Command(++index, PutRequest.of(keyBytes[rnd.nextInt(KEYS)], value)));
                }
                ks.apply(batch);
            }

            Path rawDir = dir.resolve("raw");
            Files.createDirectories(rawDir);
            env = Env.create(DirectBufferProxy.PROXY_DB).setMapSize(32L << 30).setMaxDbs(1)
                    .open(rawDir.toFile(), EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC);
            raw = env.openDbi("raw", DbiFlags.MDB_CREATE);
            MutableDirectBuffer kb = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
            for (int i = 0; i < KEYS; i += BATCH) {
                try (Txn<DirectBuffer> txn = env.txnWrite()) {
                    for (int j = i; j < i + BATCH; j++) {
                        kb.putBytes(0, keys[j]);
                        raw.put(txn, kb, rawValue);
                    }
                    txn.commit();
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            ks.close();
            env.close();
            BenchDirs.delete(dir);
        }
    }

    /** Per-thread random source and buffers. */
    @State(Scope.Thread)
    public static class Local {
        final SplittableRandom rnd = new SplittableRandom(7);
        final MutableDirectBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final MutableDirectBuffer key2 = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final List<Command> batch = new ArrayList<>(BATCH);
    }

    // ------------------------------------------------------------------ puts

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<ApplyResult> putBatchKeyspace(Stores s, Local l) {
        l.batch.clear();
        for (int i = 0; i < BATCH; i++) {
            l.batch.add(new Command(++s.index, PutRequest.of(s.keyBytes[l.rnd.nextInt(KEYS)], s.value)));
        }
        return s.ks.apply(l.batch);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void putBatchRaw(Stores s, Local l) {
        try (Txn<DirectBuffer> txn = s.env.txnWrite()) {
            for (int i = 0; i < BATCH; i++) {
                l.key.putBytes(0, s.keys[l.rnd.nextInt(KEYS)]);
                s.raw.put(txn, l.key, s.rawValue);
            }
            txn.commit();
        }
    }

    // ------------------------------------------------------------------ point get

    @Benchmark
    public KeyValue getKeyspace(Stores s, Local l) {
        return s.ks.range(RangeRequest.key(s.keyBytes[l.rnd.nextInt(KEYS)])).kvs().get(0);
    }

    @Benchmark
    public byte[] getRaw(Stores s, Local l) {
        l.key.putBytes(0, s.keys[l.rnd.nextInt(KEYS)]);
        try (Txn<DirectBuffer> txn = s.env.txnRead()) {
            DirectBuffer v = s.raw.get(txn, l.key);
            byte[] out = new byte[v.capacity()];
            v.getBytes(0, out);
            return out;
        }
    }

    // ------------------------------------------------------------------ range of 100

    @Benchmark
    @OperationsPerInvocation(RANGE)
    public RangeResponse range100Keyspace(Stores s, Local l) {
        int i = l.rnd.nextInt(KEYS - RANGE);
        return s.ks.range(RangeRequest.of(Bytes.wrap(s.sorted[i]), Bytes.wrap(s.sorted[i + RANGE])));
    }

    @Benchmark
    @OperationsPerInvocation(RANGE)
    public List<byte[][]> range100Raw(Stores s, Local l) {
        int i = l.rnd.nextInt(KEYS - RANGE);
        l.key.putBytes(0, s.sorted[i]);
        l.key2.putBytes(0, s.sorted[i + RANGE]);
        List<byte[][]> out = new ArrayList<>(RANGE);
        try (Txn<DirectBuffer> txn = s.env.txnRead(); Cursor<DirectBuffer> c = s.raw.openCursor(txn)) {
            for (boolean ok = c.get(l.key, GetOp.MDB_SET_RANGE); ok; ok = c.next()) {
                DirectBuffer k = c.key();
                if (DirectBufferProxy.compareBuff(k, l.key2) >= 0) {
                    break;
                }
                byte[] kb = new byte[k.capacity()];
                k.getBytes(0, kb);
                DirectBuffer v = c.val();
                byte[] vb = new byte[v.capacity()];
                v.getBytes(0, vb);
                out.add(new byte[][] {kb, vb});
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ the past (reported only)

    @Benchmark
    public RangeResponse getPastRevisionKeyspace(Stores s, Local l) {
        return s.ks.range(RangeRequest.key(s.keyBytes[l.rnd.nextInt(KEYS)]).atRevision(s.revisionAfterLoad));
    }

    @Benchmark
    @OperationsPerInvocation(RANGE)
    public RangeResponse range100PastRevisionKeyspace(Stores s, Local l) {
        int i = l.rnd.nextInt(KEYS - RANGE);
        return s.ks.range(RangeRequest.of(Bytes.wrap(s.sorted[i]), Bytes.wrap(s.sorted[i + RANGE]))
                .atRevision(s.revisionAfterLoad));
    }

    @Benchmark
    @OperationsPerInvocation(RANGE)
    public List<Event> history100EventsKeyspace(Stores s, Local l) {
        long from = 2 + l.rnd.nextLong(s.revisionAfterLoad - 2 * RANGE);
        return s.ks.history(from, ALL, ALL, false, RANGE);
    }
}
