package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.RevisionException;
import io.cohort.mvcc.WriteRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logical compaction at apply, batched physical removal, and what stays readable. */
class CompactionTest {
    private static final Bytes ALL = Bytes.wrap(new byte[] {0});

    @TempDir
    Path dir;
    long index;

    ApplyResult apply(Engine e, WriteRequest r) {
        return e.apply(List.of(new Command(++index, r))).get(0);
    }

    static Bytes b(String s) {
        return Bytes.ofUtf8(s);
    }

    /** A random workload of puts and deletes over 20 keys. */
    void workload(Engine e, Random rnd, int n) {
        for (int i = 0; i < n; i++) {
            String k = "k" + rnd.nextInt(20);
            if (rnd.nextInt(4) == 0) {
                apply(e, DeleteRangeRequest.of(b(k)));
            } else {
                apply(e, PutRequest.of(b(k), b("v" + i)));
            }
        }
    }

    static List<KeyValue> all(Engine e, long rev) {
        return e.range(RangeRequest.of(ALL, ALL).atRevision(rev)).kvs();
    }

    @Test
    void physicalCompactionRunsInBatchesAndKeepsEveryReadableRevision() {
        KeyspaceConfig cfg = KeyspaceConfig.builder().compactionBatchRevisions(5).build();
        try (Engine e = Engine.open(dir, cfg)) {
            Random rnd = new Random(42);
            workload(e, rnd, 300);
            long cur = e.state().revision();
            long c = cur - 40;
            List<List<KeyValue>> snapshots = new ArrayList<>();
            for (long r = c; r <= cur; r++) {
                snapshots.add(all(e, r));
            }
            List<Event> historyBefore = e.history(c + 1, ALL, ALL, true, 10_000);
            List<Event> atCBefore = e.history(c, ALL, ALL, false, 1).stream().filter(ev -> ev.revision() == c)
                    .filter(ev -> ev.type() == Event.Type.PUT).toList();
            long recordsBefore = e.recordCount();

            ApplyResult res = apply(e, new CompactRequest(c));
            assertThat(res.response().revision()).isEqualTo(cur);
            assertThat(e.state().compactedRevision()).isEqualTo(c);
            long hashBefore = e.hash(cur); // the hash must not depend on physical compaction progress
            // logically compacted at once: below c fails even though records are still there
            assertThatThrownBy(() -> e.range(RangeRequest.of(ALL, ALL).atRevision(c - 1)))
                    .isInstanceOfSatisfying(RevisionException.class,
                            x -> assertThat(x.code()).isEqualTo(ErrorCode.COMPACTED));
            assertThat(e.state().compactionPending()).as("one batch of 5 cannot finish 260 revisions").isTrue();
            int steps = 0;
            while (e.compactStep()) {
                steps++;
                // reads at c stay identical mid-compaction
                assertThat(all(e, c)).isEqualTo(snapshots.get(0));
            }
            assertThat(steps).isGreaterThan(10);
            assertThat(e.recordCount()).isLessThan(recordsBefore);
            for (long r = c; r <= cur; r++) {
                assertThat(all(e, r)).as("rev %d", r).isEqualTo(snapshots.get((int) (r - c)));
            }
            assertThat(e.history(c + 1, ALL, ALL, true, 10_000)).isEqualTo(historyBefore);
            // the puts at c stay (the keep set) but their prev kv (at c - 1) is compacted away
            List<Event> atCAfter = e.history(c, ALL, ALL, true, 1).stream().filter(ev -> ev.revision() == c).toList();
            assertThat(atCAfter).isEqualTo(atCBefore);
            assertThat(e.hash(cur)).isEqualTo(hashBefore);
            // what remains at or below c is exactly the keep set: one live version per key alive at c
            long atOrBelow = e.withView(v -> {
                List<Event> evs = History.read(v, -1, 1, c, ALL, ALL, false, 1_000_000);
                return (long) evs.size();
            });
            assertThat(atOrBelow).isEqualTo(snapshots.get(0).size());

            // writes continue; a second compaction works from where the first stopped
            workload(e, rnd, 50);
            long cur2 = e.state().revision();
            List<KeyValue> at = all(e, cur2 - 5);
            apply(e, new CompactRequest(cur2 - 5));
            while (e.compactStep()) {
                assertThat(all(e, cur2 - 5)).isEqualTo(at);
            }
            assertThat(all(e, cur2 - 5)).isEqualTo(at);
        }
    }

    @Test
    void compactionErrorsAndRules() {
        try (Engine e = Engine.open(dir, KeyspaceConfig.defaults())) {
            assertThat(apply(e, new CompactRequest(0)).status()).isEqualTo(ApplyResult.Status.APPLIED);
            assertThat(apply(e, new CompactRequest(1)).status()).isEqualTo(ApplyResult.Status.APPLIED);
            ApplyResult again = apply(e, new CompactRequest(1));
            assertThat(again.error().code()).isEqualTo(ErrorCode.COMPACTED);
            assertThat(again.error().getMessage()).contains("compacted revision 1");
            ApplyResult future = apply(e, new CompactRequest(2));
            assertThat(future.error().code()).isEqualTo(ErrorCode.FUTURE_REVISION);
            apply(e, PutRequest.of(b("a"), b("1")));
            apply(e, PutRequest.of(b("a"), b("2")));
            apply(e, DeleteRangeRequest.of(b("a")));
            apply(e, new CompactRequest(4));
            while (e.compactStep()) {
                // drain
            }
            assertThatThrownBy(() -> e.range(RangeRequest.key(b("a")).atRevision(3)))
                    .isInstanceOfSatisfying(RevisionException.class,
                            x -> assertThat(x.code()).isEqualTo(ErrorCode.COMPACTED));
            RangeResponse atCompacted = e.range(RangeRequest.key(b("a")).atRevision(4));
            assertThat(atCompacted.kvs()).isEmpty();
            assertThat(atCompacted.revision()).isEqualTo(4);
        }
    }

    @Test
    void tombstonesAtOrBelowTheCompactedRevisionDisappear() {
        try (Engine e = Engine.open(dir, KeyspaceConfig.defaults())) {
            apply(e, PutRequest.of(b("a"), b("1")));
            apply(e, PutRequest.of(b("b"), b("1")));
            apply(e, DeleteRangeRequest.of(b("a")));
            long c = e.state().revision();
            apply(e, new CompactRequest(c));
            while (e.compactStep()) {
                // drain
            }
            assertThat(e.latestCount()).as("a's tombstone is gone from the latest table").isEqualTo(1);
            assertThat(e.recordCount()).as("only b's put remains").isEqualTo(1);
            assertThat(e.range(RangeRequest.key(b("a")).atRevision(c)).kvs()).isEmpty();
            assertThat(e.range(RangeRequest.key(b("b")).atRevision(c)).kvs()).hasSize(1);
            // re-creating a compacted-away key starts afresh
            apply(e, PutRequest.of(b("a"), b("2")));
            KeyValue a = e.range(RangeRequest.key(b("a"))).kvs().get(0);
            assertThat(a.version()).isEqualTo(1);
            assertThat(e.history(c, b("a"), Bytes.EMPTY, true, 10)).singleElement()
                    .satisfies(ev -> assertThat(ev.prevKv()).isNull());
        }
    }

    @Test
    void physicalCompactionProgressSurvivesAReopen() {
        KeyspaceConfig cfg = KeyspaceConfig.builder().compactionBatchRevisions(2).build();
        long c;
        List<KeyValue> atC;
        try (Engine e = Engine.open(dir, cfg)) {
            workload(e, new Random(5), 100);
            c = e.state().revision() - 10;
            atC = all(e, c);
            apply(e, new CompactRequest(c));
            e.compactStep();
            assertThat(e.state().compactionPending()).isTrue();
            assertThat(e.state().physicalMain()).isPositive().isLessThan(c);
        }
        try (Engine e = Engine.open(dir, cfg)) {
            assertThat(e.state().compactedRevision()).isEqualTo(c);
            assertThat(e.state().compactionPending()).isTrue();
            assertThatThrownBy(() -> all(e, c - 1)).isInstanceOf(RevisionException.class);
            long before = e.recordCount();
            while (e.compactStep()) {
                // drain
            }
            assertThat(e.recordCount()).isLessThan(before);
            assertThat(all(e, c)).isEqualTo(atC);
        }
    }
}
