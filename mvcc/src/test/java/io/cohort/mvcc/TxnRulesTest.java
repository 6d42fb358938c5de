package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.INF;
import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Txn compares, branches, own-write visibility, duplicate and op-limit rules, atomic failure. */
class TxnRulesTest {
    @TempDir
    Path dir;

    static TxnRequest txn(List<Compare> cmp, List<TxnOp> then, List<TxnOp> otherwise) {
        return new TxnRequest(cmp, then, otherwise);
    }

    @Test
    void comparesPickTheBranchAndOpsSeeEarlierWrites() {
        try (Ks k = new Ks(dir)) {
            k.put("a", "1");
            TxnResponse r = (TxnResponse) k.ok(txn(
                    List.of(Compare.number(b("a"), Compare.Target.VERSION, Compare.Result.EQUAL, 1)),
                    List.of(RangeRequest.key(b("a")), PutRequest.of(b("a"), b("2")), RangeRequest.key(b("a")),
                            new DeleteRangeRequest(b("a"), INF, true)), // "\0" escapes the duplicate check
                    List.of()));
            assertThat(r.succeeded()).isTrue();
            assertThat(r.revision()).isEqualTo(3);
            RangeResponse before = (RangeResponse) r.responses().get(0);
            assertThat(before.revision()).isEqualTo(2);
            assertThat(before.kvs().get(0).value()).isEqualTo(b("1"));
            RangeResponse after = (RangeResponse) r.responses().get(2);
            assertThat(after.revision()).isEqualTo(3);
            assertThat(after.kvs().get(0).value()).isEqualTo(b("2"));
            DeleteRangeResponse d = (DeleteRangeResponse) r.responses().get(3);
            assertThat(d.prevKvs()).extracting(KeyValue::value).containsExactly(b("2"));
            assertThat(k.get("a")).isNull();
            assertThat(k.ks.currentRevision()).isEqualTo(3);
        }
    }

    @Test
    void missingKeysValueCompareIsFalseOthersCompareAsZero() {
        try (Ks k = new Ks(dir)) {
            assertThat(succeeded(k, Compare.value(b("nope"), Compare.Result.NOT_EQUAL, b("x")))).isFalse();
            assertThat(succeeded(k, Compare.value(b("nope"), Compare.Result.EQUAL, Bytes.EMPTY))).isFalse();
            assertThat(succeeded(k, Compare.number(b("nope"), Compare.Target.CREATE, Compare.Result.EQUAL, 0))).isTrue();
            // operand field not matching the target compares against 0
            assertThat(succeeded(k, new Compare(b("nope"), Bytes.EMPTY, Compare.Target.MOD, Compare.Result.EQUAL,
                    Compare.Target.VERSION, 5, Bytes.EMPTY))).isTrue();
            k.put("r/1", "a");
            k.put("r/2", "b");
            Compare allOld = new Compare(b("r/"), b("r0"), Compare.Target.MOD, Compare.Result.LESS, Compare.Target.MOD,
                    3, Bytes.EMPTY);
            assertThat(succeeded(k, allOld)).as("r/2 has mod 3").isFalse();
        }
    }

    private static boolean succeeded(Ks k, Compare c) {
        return ((TxnResponse) k.ok(txn(List.of(c), List.of(), List.of()))).succeeded();
    }

    @Test
    void readOnlyAndNoopTxnsKeepTheRevision() {
        try (Ks k = new Ks(dir)) {
            k.put("a", "1");
            TxnResponse r = (TxnResponse) k.ok(txn(List.of(), List.of(RangeRequest.key(b("a")),
                    DeleteRangeRequest.of(b("zz"))), List.of()));
            assertThat(r.revision()).isEqualTo(2);
            assertThat(k.ks.currentRevision()).isEqualTo(2);
            assertThat(k.apply(txn(List.of(), List.of(), List.of())).events()).isEmpty();
        }
    }

    @Test
    void duplicateKeyRules() {
        try (Ks k = new Ks(dir)) {
            assertDuplicate(k, txn(List.of(), List.of(PutRequest.of(b("a"), b("1")), PutRequest.of(b("a"), b("2"))),
                    List.of()));
            assertDuplicate(k, txn(List.of(), List.of(new DeleteRangeRequest(b("a"), b("b"), false),
                    PutRequest.of(b("a1"), b("1"))), List.of()));
            TxnRequest nestedPut = txn(List.of(), List.of(PutRequest.of(b("z"), b("1"))), List.of());
            assertDuplicate(k, txn(List.of(), List.of(nestedPut, nestedPut), List.of()));
            assertDuplicate(k, txn(List.of(), List.of(PutRequest.of(b("z"), b("1")),
                    txn(List.of(), List.of(DeleteRangeRequest.of(b("z"))), List.of())), List.of()));
            // allowed: same key in success and failure, then/else of one nested txn, overlapping deletes, "\0" gap
            k.ok(txn(List.of(), List.of(PutRequest.of(b("a"), b("1"))), List.of(PutRequest.of(b("a"), b("2")))));
            k.ok(txn(List.of(), List.of(txn(List.of(), List.of(PutRequest.of(b("a"), b("1"))),
                    List.of(PutRequest.of(b("a"), b("2"))))), List.of()));
            k.ok(txn(List.of(), List.of(DeleteRangeRequest.of(b("a")), new DeleteRangeRequest(b("a"), b("b"), false)),
                    List.of()));
            k.put("t/b", "old");
            TxnResponse gap = (TxnResponse) k.ok(txn(List.of(), List.of(new DeleteRangeRequest(b("t/"), INF, false),
                    PutRequest.of(b("t/b"), b("new"))), List.of()));
            KeyValue tb = k.get("t/b");
            assertThat(tb.version()).isEqualTo(1);
            assertThat(tb.createRevision()).isEqualTo(gap.revision());
        }
    }

    private static void assertDuplicate(Ks k, TxnRequest t) {
        ApplyResult r = k.apply(t);
        assertThat(r.status()).isEqualTo(ApplyResult.Status.FAILED);
        assertThat(r.error().code()).isEqualTo(ErrorCode.DUPLICATE_KEY);
        assertThat(r.error().etcdMessage()).isEqualTo("etcdserver: duplicate key given in txn request");
    }

    @Test
    void opLimitIsPerListAndConfigurable() {
        try (Ks k = new Ks(dir, KeyspaceConfig.builder().maxTxnOps(4).build())) {
            List<TxnOp> four = new ArrayList<>();
            List<Compare> fiveCompares = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                if (i < 4) {
                    four.add(PutRequest.of(b("k" + i), b("v")));
                }
                fiveCompares.add(Compare.number(b("k" + i), Compare.Target.VERSION, Compare.Result.EQUAL, 0));
            }
            k.ok(txn(List.of(), four, four));
            ApplyResult r = k.apply(txn(fiveCompares, List.of(), List.of()));
            assertThat(r.error().code()).isEqualTo(ErrorCode.TOO_MANY_OPS);
            assertThat(r.error().getMessage()).contains("limit is 4");
            // a nested txn may use only what its parent leaves: 3 outer + 2 nested > 4 - 3
            List<TxnOp> nested = new ArrayList<>(four.subList(0, 2));
            nested.add(txn(List.of(), List.of(PutRequest.of(b("n1"), b("v")), PutRequest.of(b("n2"), b("v"))),
                    List.of()));
            assertThat(k.apply(txn(List.of(), nested, List.of())).error().code()).isEqualTo(ErrorCode.TOO_MANY_OPS);
        }
    }

    @Test
    void aFailingBranchCheckWritesNothing() {
        try (Ks k = new Ks(dir)) {
            k.put("a", "1");
            long rev = k.ks.currentRevision();
            ApplyResult r = k.apply(txn(List.of(), List.of(PutRequest.of(b("q"), b("1")),
                    RangeRequest.key(b("a")).atRevision(1000)), List.of()));
            assertThat(r.error().code()).isEqualTo(ErrorCode.FUTURE_REVISION);
            assertThat(r.events()).isEmpty();
            ApplyResult lease = k.apply(txn(List.of(), List.of(PutRequest.of(b("q"), b("1")),
                    new PutRequest(b("w"), b("1"), 777, false, false, false)), List.of()));
            assertThat(lease.error()).isInstanceOf(LeaseNotFoundException.class);
            assertThat(lease.error().grpcCode()).isEqualTo(5);
            ApplyResult ignore = k.apply(txn(List.of(), List.of(PutRequest.of(b("q"), b("1")),
                    new PutRequest(b("q2"), Bytes.EMPTY, 0, false, true, false)), List.of()));
            assertThat(ignore.error().code()).isEqualTo(ErrorCode.KEY_NOT_FOUND);
            assertThat(k.get("q")).isNull();
            assertThat(k.ks.currentRevision()).isEqualTo(rev);
            // checks apply only to the branch that runs
            k.ok(txn(List.of(Compare.number(b("a"), Compare.Target.VERSION, Compare.Result.EQUAL, 9)),
                    List.of(new PutRequest(b("w"), b("1"), 777, false, false, false)),
                    List.of(PutRequest.of(b("q"), b("ok")))));
            assertThat(k.get("q").value()).isEqualTo(b("ok"));
        }
    }
}
