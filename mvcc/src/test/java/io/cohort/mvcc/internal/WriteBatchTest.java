package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.WriteRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches of many commands in one LMDB txn: puts and deletes rewrite keys' latest values across page splits, values
 * that grow and shrink, and values on LMDB overflow pages; every key's create revision, mod revision, version and value
 * against a model, now, in the past and after a reopen.
 */
class WriteBatchTest {
    private static final Bytes ALL = Bytes.wrap(new byte[] {0});
    private static final int KEY_COUNT = 300;

    @TempDir
    Path dir;
    long index;
    /** Per revision, the model keyspace after it: key -> "create/mod/version/value". */
    final TreeMap<Long, TreeMap<String, String>> model = new TreeMap<>();
    final TreeMap<String, long[]> live = new TreeMap<>(); // key -> {create, mod, version}
    final TreeMap<String, String> values = new TreeMap<>();

    @Test
    void batchesOfPutsAndDeletesMatchTheModelNowInThePastAndAfterReopen() {
        Random rnd = new Random(42);
        model.put(1L, new TreeMap<>()); // a new keyspace is at revision 1, empty
        try (Engine e = Engine.open(dir, KeyspaceConfig.builder().build())) {
            for (int b = 0; b < 50; b++) {
                applyBatch(e, rnd, 1 + rnd.nextInt(150));
            }
            long cur = e.state().revision();
            assertThat(model.lastKey()).isEqualTo(cur);
            assertThat(cur).as("revisions written").isGreaterThan(3_000);
            for (long r = 1; r <= cur; r += 1 + rnd.nextInt(12)) {
                checkAt(e, r);
            }
            checkAt(e, cur);
        }
        try (Engine e = Engine.open(dir, KeyspaceConfig.builder().build())) {
            checkAt(e, e.state().revision());
            applyBatch(e, rnd, 100); // and the reopened keyspace goes on from the same chains
            checkAt(e, e.state().revision());
            checkAt(e, e.state().revision() - 50);
        }
    }

    /** One batch: puts (small, large and overflow-page values), deletes of one key, and deletes of a key range. */
    private void applyBatch(Engine e, Random rnd, int commands) {
        List<Command> batch = new ArrayList<>();
        List<Runnable> onApplied = new ArrayList<>();
        for (int i = 0; i < commands; i++) {
            int pick = rnd.nextInt(20);
            String k = key(rnd.nextInt(KEY_COUNT));
            WriteRequest r;
            if (pick == 0) {
                String end = key(Math.min(KEY_COUNT, Integer.parseInt(k.substring(1)) + 1 + rnd.nextInt(8)));
                r = new DeleteRangeRequest(Bytes.ofUtf8(k), Bytes.ofUtf8(end), false);
                onApplied.add(() -> deleteRange(k, end));
            } else if (pick < 3) {
                r = DeleteRangeRequest.of(Bytes.ofUtf8(k));
                onApplied.add(() -> deleteRange(k, k + "\0"));
            } else {
                String v = value(rnd, k);
                r = PutRequest.of(Bytes.ofUtf8(k), Bytes.ofUtf8(v));
                onApplied.add(() -> put(k, v));
            }
            batch.add(new Command(++index, r));
        }
        List<ApplyResult> results = e.apply(batch);
        assertThat(results).hasSize(commands);
        for (int i = 0; i < commands; i++) {
            ApplyResult res = results.get(i);
            assertThat(res.status()).isEqualTo(ApplyResult.Status.APPLIED);
            long before = revision();
            onApplied.get(i).run();
            long rev = res.response().revision();
            if (changed) {
                assertThat(rev).as("command %d of the batch", i).isEqualTo(before + 1);
                TreeMap<String, String> snapshot = new TreeMap<>();
                for (Map.Entry<String, long[]> en : live.entrySet()) {
                    long[] m = en.getValue();
                    snapshot.put(en.getKey(), m[0] + "/" + m[1] + "/" + m[2] + "/" + values.get(en.getKey()));
                }
                model.put(rev, snapshot);
            } else {
                assertThat(rev).isEqualTo(before);
            }
        }
    }

    private boolean changed;

    private long revision() {
        return model.lastKey();
    }

    private void put(String k, String v) {
        long rev = revision() + 1;
        long[] m = live.get(k);
        live.put(k, m == null ? new long[] {rev, rev, 1} : new long[] {m[0], rev, m[2] + 1});
        values.put(k, v);
        changed = true;
    }

    private void deleteRange(String from, String to) {
        List<String> gone = new ArrayList<>(live.subMap(from, to).keySet());
        gone.forEach(live::remove);
        gone.forEach(values::remove);
        changed = !gone.isEmpty();
    }

    /** Mostly short values; one in eight a few hundred bytes; one in twenty-five past LMDB's overflow threshold. */
    private static String value(Random rnd, String k) {
        int pick = rnd.nextInt(200);
        int size = pick < 8 ? 2_100 + rnd.nextInt(3_000) : pick < 33 ? 200 + rnd.nextInt(600) : rnd.nextInt(40);
        StringBuilder sb = new StringBuilder(k).append(':');
        while (sb.length() < size) {
            sb.append((char) ('a' + rnd.nextInt(26)));
        }
        return sb.toString();
    }

    private static String key(int i) {
        return String.format("k%03d", i);
    }

    /** Every key, one by one and as one range, at revision {@code r}, against the model. */
    private void checkAt(Engine e, long r) {
        Map<String, String> expected = model.floorEntry(r).getValue();
        TreeMap<String, String> ranged = new TreeMap<>();
        for (KeyValue kv : e.range(RangeRequest.of(ALL, ALL).atRevision(r)).kvs()) {
            assertThat(kv.lease()).isZero();
            ranged.put(kv.key().toStringUtf8(), describe(kv));
        }
        assertThat(ranged).as("all keys at revision %d", r).isEqualTo(expected);
        for (int i = 0; i < KEY_COUNT; i += 7) {
            String k = key(i);
            List<KeyValue> kvs = e.range(RangeRequest.key(Bytes.ofUtf8(k)).atRevision(r)).kvs();
            assertThat(kvs.isEmpty() ? null : describe(kvs.get(0))).as("%s at revision %d", k, r)
                    .isEqualTo(expected.get(k));
        }
    }

    private static String describe(KeyValue kv) {
        return kv.createRevision() + "/" + kv.modRevision() + "/" + kv.version() + "/" + kv.value().toStringUtf8();
    }
}
