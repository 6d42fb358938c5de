package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceException;
import io.cohort.testkit.TestCluster;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public KvStore API against a 3-member group: every request served by any member. */
class KvStoreTest {
    private static TestCluster cluster;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start(3);
        cluster.awaitLeader();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static KvStore follower() {
        return cluster.followers().get(0).kv();
    }

    @Test
    void aWriteOnAFollowerIsReadLinearizablyOnEveryMember() {
        PutResult put = follower().put("a/write", "on-a-follower");
        assertThat(put.revision()).isGreaterThan(1);
        for (CohortNode n : cluster.running()) {
            GetResult r = n.kv().get("a/write");
            assertThat(r.valueUtf8()).as("member %d", n.memberId()).contains("on-a-follower");
            assertThat(r.revision()).isGreaterThanOrEqualTo(put.revision());
            assertThat(r.kvs().get(0).modRevision()).isEqualTo(put.revision());
        }
    }

    @Test
    void putReturnsThePreviousValueAndKeepsVersions() {
        KvStore kv = cluster.leader().kv();
        kv.put("pv/k", "one");
        PutResult second = kv.put(Bytes.ofUtf8("pv/k"), Bytes.ofUtf8("two"), PutOptions.defaults().withPrevKv());
        assertThat(second.previous()).map(p -> p.value().toStringUtf8()).contains("one");
        KeyValue now = follower().get("pv/k").first().orElseThrow();
        assertThat(now.version()).isEqualTo(2);
        assertThat(now.value().toStringUtf8()).isEqualTo("two");
        // ignoreValue keeps the value and bumps the version.
        follower().put(Bytes.ofUtf8("pv/k"), Bytes.EMPTY, PutOptions.defaults().withIgnoreValue());
        KeyValue kept = kv.get("pv/k").first().orElseThrow();
        assertThat(kept.value().toStringUtf8()).isEqualTo("two");
        assertThat(kept.version()).isEqualTo(3);
    }

    @Test
    void rangeOptionsReachTheKeyspace() {
        KvStore kv = follower();
        for (int i = 0; i < 5; i++) {
            kv.put("ro/" + i, "v" + (4 - i));
        }
        kv.put("ro0", "outside the prefix");
        GetResult all = kv.get(KeyRange.prefix("ro/"));
        assertThat(all.kvs()).extracting(k -> k.key().toStringUtf8())
                .containsExactly("ro/0", "ro/1", "ro/2", "ro/3", "ro/4");
        assertThat(all.count()).isEqualTo(5);

        GetResult limited = kv.get(KeyRange.prefix("ro/"), GetOptions.defaults().withLimit(2)
                .withSort(GetOptions.SortTarget.VALUE, GetOptions.SortOrder.ASCEND));
        assertThat(limited.kvs()).extracting(k -> k.key().toStringUtf8()).containsExactly("ro/4", "ro/3");
        assertThat(limited.more()).isTrue();
        assertThat(limited.count()).isEqualTo(5);

        GetResult counted = kv.get(KeyRange.prefix("ro/"), GetOptions.defaults().withCountOnly());
        assertThat(counted.kvs()).isEmpty();
        assertThat(counted.count()).isEqualTo(5);

        GetResult keysOnly = kv.get(KeyRange.range("ro/1", "ro/3"), GetOptions.defaults().withKeysOnly());
        assertThat(keysOnly.kvs()).extracting(k -> k.key().toStringUtf8()).containsExactly("ro/1", "ro/2");
        assertThat(keysOnly.kvs()).allMatch(k -> k.value().isEmpty());

        long rev2 = kv.get("ro/2").kvs().get(0).modRevision();
        GetResult newer = kv.get(KeyRange.prefix("ro/"), GetOptions.defaults().withModRevisions(rev2 + 1, 0));
        assertThat(newer.kvs()).extracting(k -> k.key().toStringUtf8()).containsExactly("ro/3", "ro/4");

        GetResult fromKey = kv.get(KeyRange.fromKey("ro/4"), GetOptions.defaults().withKeysOnly());
        assertThat(fromKey.kvs()).extracting(k -> k.key().toStringUtf8()).contains("ro/4", "ro0");

        // A read in the past sees the old value; its header revision is the current one.
        kv.put("ro/2", "changed");
        GetResult past = kv.get(KeyRange.key("ro/2"), GetOptions.defaults().withRevision(rev2));
        assertThat(past.valueUtf8()).contains("v2");
        assertThat(past.revision()).isGreaterThan(rev2);
    }

    @Test
    void serializableReadsServeLocalState() throws Exception {
        CohortNode f = cluster.followers().get(0);
        long rev = cluster.leader().kv().put("ser/k", "v").revision();
        // A serializable read on a follower may lag; it converges without a Raft round.
        long deadline = System.nanoTime() + 5_000_000_000L;
        GetResult r;
        do {
            r = f.kv().get(KeyRange.key("ser/k"), GetOptions.serializableRead());
            if (r.revision() >= rev) {
                break;
            }
            Thread.sleep(2);
        } while (System.nanoTime() < deadline);
        assertThat(r.valueUtf8()).contains("v");
        assertThat(f.kv().getAsync(KeyRange.key("ser/k"), GetOptions.serializableRead())).isCompleted();
    }

    @Test
    void deleteReturnsPrevKvs() {
        KvStore kv = follower();
        kv.put("del/a", "1");
        kv.put("del/b", "2");
        DeleteResult d = kv.delete(KeyRange.prefix("del/"), DeleteOptions.defaults().withPrevKv());
        assertThat(d.deleted()).isEqualTo(2);
        assertThat(d.prevKvs()).extracting(k -> k.value().toStringUtf8()).containsExactly("1", "2");
        assertThat(cluster.leader().kv().get(KeyRange.prefix("del/")).kvs()).isEmpty();
        assertThat(kv.delete("del/a").deleted()).isZero();
    }

    @Test
    void txnCompareAndSwapWithNestedTxn() {
        KvStore kv = follower();
        TxnResult created = kv.txn()
                .when(Compare.createRevision("jobs/42").eq(0))
                .then(Op.put("jobs/42", "owner=1"))
                .otherwise(Op.get("jobs/42"))
                .commit();
        assertThat(created.succeeded()).isTrue();
        TxnResult lost = cluster.leader().kv().txn()
                .when(Compare.createRevision("jobs/42").eq(0))
                .then(Op.put("jobs/42", "owner=2"))
                .otherwise(Op.get("jobs/42"), Op.txn(List.of(Compare.value("jobs/42").eq("owner=1")),
                        List.of(Op.put("jobs/42/seen", "yes")), List.of()))
                .commit();
        assertThat(lost.succeeded()).isFalse();
        assertThat(lost.result(0, GetResult.class).valueUtf8()).contains("owner=1");
        TxnResult nested = lost.result(1, TxnResult.class);
        assertThat(nested.succeeded()).isTrue();
        assertThat(nested.revision()).isZero(); // Nested txns carry no header revision, as etcd.
        assertThat(kv.get("jobs/42/seen").valueUtf8()).contains("yes");
        assertThat(kv.get("jobs/42").valueUtf8()).contains("owner=1");
    }

    @Test
    void badRequestsFailWithTheKeyspaceErrorOfEtcd() {
        KvStore kv = follower();
        assertThatThrownBy(() -> kv.put("", "v"))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.EMPTY_KEY);
                    assertThat(e.grpcCode()).isEqualTo(3);
                    assertThat(e.etcdMessage()).isEqualTo("etcdserver: key is not provided");
                });
        assertThatThrownBy(() -> kv.put(Bytes.ofUtf8("missing/k"), Bytes.EMPTY, PutOptions.defaults().withIgnoreValue()))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_NOT_FOUND));
        assertThatThrownBy(() -> kv.get(KeyRange.key("k"), GetOptions.defaults().withRevision(1_000_000)))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FUTURE_REVISION));
        byte[] big = new byte[1_600_000];
        assertThatThrownBy(() -> kv.put("big".getBytes(), big))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
                    assertThat(e.getMessage()).contains("1572864");
                });
        // The async form fails its future with the same exception, unwrapped.
        assertThat(kv.putAsync("", "v")).failsWithin(java.time.Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(KeyspaceException.class);
    }

    @Test
    void compactionMakesOldRevisionsUnreadable() {
        KvStore kv = follower();
        long first = kv.put("cmp/k", "1").revision();
        long second = kv.put("cmp/k", "2").revision();
        kv.compact(second);
        assertThatThrownBy(() -> kv.get(KeyRange.key("cmp/k"), GetOptions.defaults().withRevision(first)))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.COMPACTED));
        assertThat(cluster.leader().kv().get(KeyRange.key("cmp/k"), GetOptions.defaults().withRevision(second))
                .valueUtf8()).contains("2");
        assertThatThrownBy(() -> kv.compact(first))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.COMPACTED));
    }

    @Test
    void concurrentWritesOnEveryMemberEachGetTheirOwnRevisionAndAllLand() {
        List<CohortNode> members = cluster.running();
        List<java.util.concurrent.CompletableFuture<PutResult>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            futures.add(members.get(i % members.size()).kv().putAsync("conc/" + i, "v" + i));
        }
        java.util.Set<Long> revisions = new java.util.HashSet<>();
        for (var f : futures) {
            revisions.add(f.join().revision());
        }
        assertThat(revisions).as("one revision per put").hasSize(300);
        GetResult all = members.get(2).kv().get(KeyRange.prefix("conc/"));
        assertThat(all.count()).isEqualTo(300);
        for (KeyValue kv : all.kvs()) {
            String i = kv.key().toStringUtf8().substring("conc/".length());
            assertThat(kv.value().toStringUtf8()).isEqualTo("v" + i);
            assertThat(revisions).contains(kv.modRevision());
        }
    }

    @Test
    void aLeasedKeyIsDeletedWhenTheLeaseIsRevoked() {
        CohortNode f = cluster.followers().get(0);
        Leases.Grant lease = f.leases().grant(java.time.Duration.ofMillis(10_500));
        assertThat(lease.ttlSeconds()).isEqualTo(11);
        f.kv().put(Bytes.ofUtf8("lease/k"), Bytes.ofUtf8("v"), PutOptions.defaults().withLease(lease.id()));
        Leases.Info info = cluster.leader().leases().timeToLive(lease.id(), true);
        assertThat(info.exists()).isTrue();
        assertThat(info.keys()).containsExactly(Bytes.ofUtf8("lease/k"));
        assertThat(f.leases().list().ids()).contains(lease.id());
        cluster.leader().leases().revoke(lease.id());
        assertThat(f.kv().get("lease/k").kvs()).isEmpty();
        assertThat(f.leases().timeToLive(lease.id(), false).exists()).isFalse();
        assertThatThrownBy(() -> f.leases().revoke(lease.id()))
                .isInstanceOfSatisfying(KeyspaceException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LEASE_NOT_FOUND));
    }

    @Test
    void keyRangePrefixFollowsEtcd() {
        assertThat(KeyRange.prefix("a").rangeEnd().toStringUtf8()).isEqualTo("b");
        assertThat(KeyRange.prefix(Bytes.wrap(new byte[] {'a', (byte) 0xff})).rangeEnd())
                .isEqualTo(Bytes.ofUtf8("b"));
        assertThat(KeyRange.prefix(Bytes.wrap(new byte[] {(byte) 0xff})).rangeEnd())
                .isEqualTo(Bytes.wrap(new byte[] {0}));
        assertThat(KeyRange.all()).isEqualTo(new KeyRange(Bytes.wrap(new byte[] {0}), Bytes.wrap(new byte[] {0})));
    }
}
