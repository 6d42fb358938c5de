package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.WriteRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A key's version chain: skew-binary jump links, reads in the past against a model, and their O(log n) cost. */
class VersionChainTest {
    private static final Bytes ALL = Bytes.wrap(new byte[] {0});
    private static final String[] KEYS = {"hot", "warm", "cold"};

    @TempDir
    Path dir;
    long index;
    /** Per revision, the model keyspace after it (key -> value), for every revision written so far. */
    final TreeMap<Long, Map<String, String>> model = new TreeMap<>();

    @Test
    void jumpLengthsAreThoseOfTheSkewBinaryRule() {
        // The rule as Myers states it: jump(d) = jump(jump(d - 1)) if the last two jumps are as long, else d - 1.
        int n = 200_000;
        long[] jump = new long[n + 1];
        for (int d = 1; d <= n; d++) {
            int p = d - 1;
            long pj = jump[p];
            jump[d] = p - pj == pj - jump[(int) pj] ? jump[(int) pj] : p;
            assertThat(VersionChain.jumpLength(d)).as("depth %d", d).isEqualTo(d - jump[d]);
        }
        assertThat(VersionChain.jumpLength((1L << 40) - 1)).isEqualTo((1L << 40) - 1);
        assertThatThrownBy(() -> VersionChain.jumpLength(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("depth must be in [1,");
    }

    @Test
    void everyJumpLandsWhereTheRuleSaysAndPastReadsTakeLogarithmicLookups() {
        try (Engine e = Engine.open(dir, KeyspaceConfig.builder().build())) {
            Random rnd = new Random(7);
            workload(e, rnd, 6_000);
            long cur = e.state().revision();
            // Walk the hot key's chain from its latest version by previous links: every jump lands at the depth the
            // rule gives, and depths count down to 0.
            e.withView(v -> {
                DirectBuffer latest = v.store.latest.get(v.txn, direct("hot"));
                long depth = Record.depth(latest, Revision.BYTES);
                long pm = Record.prevMain(latest, Revision.BYTES);
                long ps = Record.prevSub(latest, Revision.BYTES);
                Map<Long, Long> depthOfMain = new HashMap<>();
                Map<Long, Long> jumpOfDepth = new HashMap<>();
                depthOfMain.put(Revision.main(latest, 0), depth);
                jumpOfDepth.put(depth, Record.jumpMain(latest, Revision.BYTES));
                MutableDirectBuffer rev = Store.allocate(Revision.BYTES);
                while (pm != 0) {
                    Revision.put(rev, 0, pm, ps);
                    DirectBuffer r = v.store.revs.get(v.txn, rev);
                    long d = Record.depth(r, 0);
                    assertThat(d).isEqualTo(depth - depthOfMain.size());
                    depthOfMain.put(pm, d);
                    jumpOfDepth.put(d, Record.jumpMain(r, 0));
                    pm = Record.prevMain(r, 0);
                    ps = Record.prevSub(r, 0);
                }
                assertThat(depth).as("the hot key has thousands of versions").isGreaterThan(2_000);
                assertThat(jumpOfDepth.get(0L)).isZero();
                for (long d = 1; d <= depth; d++) {
                    assertThat(depthOfMain.get(jumpOfDepth.get(d))).as("jump of depth %d", d)
                            .isEqualTo(d - VersionChain.jumpLength(d));
                }
                // The latest value's spine: jump after jump from the latest version down to depth 0.
                latest = v.store.latest.get(v.txn, direct("hot"));
                List<Long> spineDepths = new ArrayList<>();
                for (int i = 0; i < Record.spineLength(latest); i++) {
                    spineDepths.add(depthOfMain.get(Revision.main(latest, Record.LATEST_SPINE + 1 + i * Revision.BYTES)));
                }
                List<Long> expected = new ArrayList<>();
                for (long d = depth; d > 0; d -= VersionChain.jumpLength(d)) {
                    expected.add(d - VersionChain.jumpLength(d));
                }
                assertThat(spineDepths).isEqualTo(expected).hasSizeLessThan(2 * 12);
                return null;
            });
            long maxLookups = 0;
            for (long r = 1; r <= cur; r++) {
                long lookups = checkReadsAt(e, r);
                maxLookups = Math.max(maxLookups, lookups);
            }
            // Three keys of up to ~3,000 versions each: a walk by previous links alone would take thousands.
            assertThat(maxLookups).as("most chain lookups of one past read of three keys").isLessThan(3 * 40);
        }
    }

    @Test
    void pastReadsStayExactWhileAndAfterPhysicalCompactionRemovesRecordsThatJumpsName() {
        try (Engine e = Engine.open(dir, KeyspaceConfig.builder().compactionBatchRevisions(50).build())) {
            Random rnd = new Random(11);
            workload(e, rnd, 2_000);
            long c = e.state().revision() - 7;
            apply(e, new CompactRequest(c));
            while (e.compactStep()) {
                // Writes between steps link new versions while records their spines name are being removed.
                workload(e, rnd, 3);
            }
            workload(e, rnd, 2_000); // Jumps and spines from here on often name records below c, removed.
            long c2 = e.state().revision() - 500;
            apply(e, new CompactRequest(c2));
            for (int i = 0; i < 3 && e.compactStep(); i++) {
                workload(e, rnd, 5); // Leave the second compaction half done: reads must not care.
            }
            long cur = e.state().revision();
            long maxLookups = 0;
            for (long r = c2; r <= cur; r++) {
                maxLookups = Math.max(maxLookups, checkReadsAt(e, r));
            }
            assertThat(maxLookups).as("most chain lookups of one past read of three keys").isLessThan(3 * 40);
            while (e.compactStep()) {
                workload(e, rnd, 2);
            }
            for (long r = c2; r <= e.state().revision(); r++) {
                checkReadsAt(e, r);
            }
        }
    }

    /** Checks every key, one by one and as one range, at revision {@code r}; returns the chain lookups it took. */
    private long checkReadsAt(Engine e, long r) {
        Map<String, String> expected = model.floorEntry(r).getValue();
        for (String k : KEYS) {
            List<KeyValue> kvs = e.range(RangeRequest.key(Bytes.ofUtf8(k)).atRevision(r)).kvs();
            String got = kvs.isEmpty() ? null : kvs.get(0).value().toStringUtf8();
            assertThat(got).as("%s at revision %d", k, r).isEqualTo(expected.get(k));
        }
        Map<String, String> ranged = new HashMap<>();
        for (KeyValue kv : e.range(RangeRequest.of(ALL, ALL).atRevision(r)).kvs()) {
            ranged.put(kv.key().toStringUtf8(), kv.value().toStringUtf8());
        }
        assertThat(ranged).as("all keys at revision %d", r).isEqualTo(expected);
        return e.withView(v -> {
            long before = v.chainLookups;
            List<KeyValue> out = new ArrayList<>();
            v.range(ALL, ALL, r, 0, false, false, out);
            return v.chainLookups - before;
        });
    }

    /** Puts (mostly to "hot") and some deletes, recording the model after every revision. */
    private void workload(Engine e, Random rnd, int n) {
        for (int i = 0; i < n; i++) {
            int pick = rnd.nextInt(10);
            String k = pick < 7 ? "hot" : pick < 9 ? "warm" : "cold";
            Map<String, String> next = new HashMap<>(model.isEmpty() ? Map.of() : model.lastEntry().getValue());
            if (rnd.nextInt(12) == 0) {
                boolean existed = next.remove(k) != null;
                ApplyResult res = apply(e, DeleteRangeRequest.of(Bytes.ofUtf8(k)));
                if (existed) {
                    model.put(res.response().revision(), next);
                }
            } else {
                String value = k + "-" + index;
                next.put(k, value);
                ApplyResult res = apply(e, PutRequest.of(Bytes.ofUtf8(k), Bytes.ofUtf8(value)));
                model.put(res.response().revision(), next);
            }
        }
        model.putIfAbsent(1L, Map.of());
    }

    private ApplyResult apply(Engine e, WriteRequest r) {
        return e.apply(List.of(new Command(++index, r))).get(0);
    }

    private static DirectBuffer direct(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        MutableDirectBuffer buf = Store.allocate(b.length);
        buf.putBytes(0, b);
        return new org.agrona.concurrent.UnsafeBuffer(buf, 0, b.length);
    }
}
