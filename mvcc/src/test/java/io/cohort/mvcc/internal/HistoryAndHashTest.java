package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RevisionException;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.WriteRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Events from apply equal history read back; hashes agree between replicas. */
class HistoryAndHashTest {
    private static final Bytes ALL = Bytes.wrap(new byte[] {0});

    @TempDir
    Path dir;

    static Bytes b(String s) {
        return Bytes.ofUtf8(s);
    }

    static List<WriteRequest> workload(long seed, int n) {
        Random rnd = new Random(seed);
        List<WriteRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String k = "k" + rnd.nextInt(10);
            switch (rnd.nextInt(5)) {
                case 0:
                    out.add(DeleteRangeRequest.of(b(k)));
                    break;
                case 1:
                    out.add(new TxnRequest(List.of(), List.<TxnOp>of(PutRequest.of(b(k), b("t" + i)),
                            new DeleteRangeRequest(b("k" + rnd.nextInt(10) + "x"), ALL, false)), List.of()));
                    break;
                default:
                    out.add(PutRequest.of(b(k), b("v" + i)));
            }
        }
        return out;
    }

    static List<ApplyResult> applyInBatches(Engine e, List<WriteRequest> reqs, int batch) {
        List<ApplyResult> results = new ArrayList<>();
        List<Command> cmds = new ArrayList<>();
        for (int i = 0; i < reqs.size(); i++) {
            cmds.add(new Command(i + 1, reqs.get(i)));
            if (cmds.size() == batch || i == reqs.size() - 1) {
                results.addAll(e.apply(cmds));
                cmds.clear();
            }
        }
        return results;
    }

    @Test
    void liveEventsEqualHistoryAndNeverSplitRevisions() {
        try (Engine e = Engine.open(dir, KeyspaceConfig.defaults())) {
            List<Event> live = new ArrayList<>();
            applyInBatches(e, workload(7, 200), 16).forEach(r -> live.addAll(r.events()));
            long lastRev = 0;
            for (Event ev : live) {
                assertThat(ev.revision()).isGreaterThanOrEqualTo(lastRev);
                lastRev = ev.revision();
            }
            assertThat(e.history(1, ALL, ALL, false, Integer.MAX_VALUE)).isEqualTo(live);
            // paging with a small page size reads the same events and never splits a revision
            List<Event> paged = new ArrayList<>();
            long from = 1;
            while (true) {
                List<Event> page = e.history(from, ALL, ALL, false, 3);
                if (page.isEmpty()) {
                    break;
                }
                paged.addAll(page);
                from = page.get(page.size() - 1).revision() + 1;
            }
            assertThat(paged).isEqualTo(live);
            // prev kv by etcd's watch rule
            List<Event> withPrev = e.history(1, ALL, ALL, true, Integer.MAX_VALUE);
            for (Event ev : withPrev) {
                if (ev.isCreate()) {
                    assertThat(ev.prevKv()).isNull();
                } else if (ev.prevKv() != null) {
                    assertThat(ev.prevKv().modRevision()).isLessThan(ev.revision());
                    assertThat(ev.prevKv().key()).isEqualTo(ev.kv().key());
                }
            }
            // a DELETE's prev kv is the key at mod_revision - 1 (none if the txn itself created the key)
            for (Event ev : withPrev) {
                if (ev.type() == Event.Type.DELETE) {
                    List<io.cohort.mvcc.KeyValue> at = e.range(io.cohort.mvcc.RangeRequest.key(ev.kv().key())
                            .atRevision(ev.revision() - 1)).kvs();
                    assertThat(ev.prevKv()).isEqualTo(at.isEmpty() ? null : at.get(0));
                }
            }
            assertThat(withPrev).filteredOn(ev -> ev.type() == Event.Type.DELETE && ev.prevKv() != null).isNotEmpty();
            // a single key's history
            assertThat(e.history(1, b("k3"), Bytes.EMPTY, false, 1000))
                    .allSatisfy(ev -> assertThat(ev.kv().key()).isEqualTo(b("k3")))
                    .isEqualTo(live.stream().filter(ev -> ev.kv().key().equals(b("k3"))).toList());
            e.apply(List.of(new Command(10_000, new CompactRequest(50))));
            assertThatThrownBy(() -> e.history(49, ALL, ALL, false, 10)).isInstanceOf(RevisionException.class);
        }
    }

    @Test
    void hashesAgreeForTheSameCommandsAndDifferOtherwise() {
        List<WriteRequest> w = new ArrayList<>(workload(3, 150));
        w.add(new LeaseGrantRequest(100, 0));
        w.add(new CompactRequest(60));
        w.addAll(workload(4, 50));
        KeyspaceConfig slow = KeyspaceConfig.builder().compactionBatchRevisions(1).build();
        try (Engine a = Engine.open(dir.resolve("a"), KeyspaceConfig.defaults());
             Engine b = Engine.open(dir.resolve("b"), slow);
             Engine c = Engine.open(dir.resolve("c"), KeyspaceConfig.defaults())) {
            List<ApplyResult> resultsA = applyInBatches(a, w, 1000);
            applyInBatches(b, w, 7);
            List<WriteRequest> different = new ArrayList<>(w);
            different.set(170, PutRequest.of(b("k1"), b("other")));
            applyInBatches(c, different, 1000);
            assertThat(b.state().compactionPending()).as("b's physical compaction lags").isTrue();
            assertThat(a.state().revision()).isEqualTo(b.state().revision());
            long rev = a.state().revision();
            assertThat(a.hash(rev)).isEqualTo(b.hash(rev));
            assertThat(a.hash(100)).isEqualTo(b.hash(100)).isNotEqualTo(a.hash(101));
            assertThat(a.hash(rev)).isNotEqualTo(c.hash(rev));
            long beforeDivergence = resultsA.get(169).response().revision();
            assertThat(a.hash(beforeDivergence)).isEqualTo(c.hash(beforeDivergence));
        }
    }
}
