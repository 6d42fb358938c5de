package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.INF;
import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revisions, versions, tombstones, ranges at current and past revisions. */
class KeyspaceBasicsTest {
    @TempDir
    Path dir;

    @Test
    void revisionsVersionsAndTombstones() {
        try (Ks k = new Ks(dir)) {
            assertThat(k.ks.currentRevision()).isEqualTo(1);
            assertThat(k.put("a", "1").revision()).isEqualTo(2);
            assertThat(k.put("a", "2").revision()).isEqualTo(3);
            KeyValue a = k.get("a");
            assertThat(a).isEqualTo(new KeyValue(b("a"), 2, 3, 2, b("2"), 0));
            assertThat(k.del("a").revision()).isEqualTo(4);
            assertThat(k.get("a")).isNull();
            // a no-op delete keeps the revision
            DeleteRangeResponse none = k.del("a");
            assertThat(none.deleted()).isZero();
            assertThat(none.revision()).isEqualTo(4);
            assertThat(k.ks.currentRevision()).isEqualTo(4);
            // recreate: version restarts, create revision is new
            k.put("a", "3");
            assertThat(k.get("a")).isEqualTo(new KeyValue(b("a"), 5, 5, 1, b("3"), 0));
            // history stays readable
            assertThat(k.get("a", 2).value()).isEqualTo(b("1"));
            assertThat(k.get("a", 3).version()).isEqualTo(2);
            assertThat(k.get("a", 4)).isNull();
            assertThat(k.get("a", 1)).isNull();
            RangeResponse past = k.ks.range(RangeRequest.key(b("a")).atRevision(2));
            assertThat(past.revision()).as("header is the current revision").isEqualTo(5);
        }
    }

    @Test
    void prefixKeysKeepByteOrder() {
        try (Ks k = new Ks(dir)) {
            for (String key : List.of("ab", "a", "a\0", "a\u00ff", "b", "aa")) {
                k.put(key, "v");
            }
            assertThat(k.keys("a", "b", 0)).containsExactly("a", "a\0", "aa", "ab", "a\u00ff");
            assertThat(k.keys("a", "\0", 0)).containsExactly("a", "a\0", "aa", "ab", "a\u00ff", "b");
            assertThat(k.keys("\0", "\0", 0)).hasSize(6);
            assertThat(k.keys("b", "a", 0)).as("end <= key is empty").isEmpty();
            long rev = k.ks.currentRevision();
            k.del("a", "b");
            assertThat(k.keys("a", "\0", 0)).containsExactly("b");
            assertThat(k.keys("a", "b", rev)).containsExactly("a", "a\0", "aa", "ab", "a\u00ff");
        }
    }

    @Test
    void limitCountMoreAndCountOnly() {
        try (Ks k = new Ks(dir)) {
            for (int i = 0; i < 10; i++) {
                k.put("k" + i, "v" + (9 - i));
            }
            RangeResponse r = k.ks.range(RangeRequest.of(b("k"), b("l")).withLimit(3));
            assertThat(r.kvs()).hasSize(3);
            assertThat(r.count()).isEqualTo(10);
            assertThat(r.more()).isTrue();
            RangeResponse all = k.ks.range(RangeRequest.of(b("k"), b("l")).withLimit(-1));
            assertThat(all.kvs()).hasSize(10);
            assertThat(all.more()).isFalse();
            RangeResponse count = k.ks.range(new RangeRequest(b("k"), b("l"), 2, 0, RangeRequest.SortOrder.NONE,
                    RangeRequest.SortTarget.KEY, false, true, 0, 0, 0, 0));
            assertThat(count.kvs()).isEmpty();
            assertThat(count.count()).isEqualTo(10);
            assertThat(count.more()).isFalse();
            RangeResponse byValue = k.ks.range(new RangeRequest(b("k"), b("l"), 2, 0, RangeRequest.SortOrder.ASCEND,
                    RangeRequest.SortTarget.VALUE, true, false, 0, 0, 0, 0));
            assertThat(byValue.kvs()).extracting(kv -> kv.key().toStringUtf8()).containsExactly("k9", "k8");
            assertThat(byValue.kvs()).allMatch(kv -> kv.value().isEmpty());
            RangeResponse filtered = k.ks.range(new RangeRequest(b("k"), b("l"), 0, 0, RangeRequest.SortOrder.NONE,
                    RangeRequest.SortTarget.KEY, false, false, 5, 7, 0, 0));
            assertThat(filtered.kvs()).extracting(KeyValue::modRevision).containsExactly(5L, 6L, 7L);
            assertThat(filtered.count()).isEqualTo(10);
        }
    }

    @Test
    void readsRunOnOtherThreadsWhileOneWriterApplies() throws Exception {
        try (Ks k = new Ks(dir)) {
            k.put("c", "0");
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<Integer>> readers = new ArrayList<>();
            // The writer starts only once both readers are reading, so reads and writes overlap.
            java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(2);
            for (int t = 0; t < 2; t++) {
                readers.add(pool.submit(() -> {
                    int reads = 0;
                    long last = 0;
                    while (!stop.get()) {
                        RangeResponse r = k.ks.range(RangeRequest.key(b("c")));
                        long v = Long.parseLong(r.kvs().get(0).value().toStringUtf8());
                        assertThat(v).isGreaterThanOrEqualTo(last);
                        assertThat(r.kvs().get(0).modRevision()).isLessThanOrEqualTo(r.revision());
                        last = v;
                        if (reads++ == 0) {
                            reading.countDown();
                        }
                    }
                    return reads;
                }));
            }
            assertThat(reading.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("both readers started").isTrue();
            for (int i = 1; i <= 300; i++) {
                k.put("c", Long.toString(i));
            }
            stop.set(true);
            for (Future<Integer> f : readers) {
                assertThat(f.get()).isPositive();
            }
            pool.shutdown();
        }
    }

    @Test
    void longKeysAreRejectedWithTheLimitButReadsOfThemAreEmpty() {
        try (Ks k = new Ks(dir)) {
            String longKey = "x".repeat(k.ks.maxKeyBytes() + 1);
            assertThat(k.ks.maxKeyBytes()).isEqualTo(511);
            ApplyResult r = k.apply(PutRequest.of(b(longKey), b("v")));
            assertThat(r.status()).isEqualTo(ApplyResult.Status.FAILED);
            assertThat(r.error()).isInstanceOf(InvalidRequestException.class);
            assertThat(r.error().code()).isEqualTo(ErrorCode.KEY_TOO_LONG);
            assertThat(r.error().getMessage()).contains("512 bytes").contains("511 bytes");
            k.put("x".repeat(511), "max");
            assertThat(k.get("x".repeat(511)).value()).isEqualTo(b("max"));
            assertThat(k.get(longKey)).isNull();
            assertThat(k.keys("x".repeat(511), "\0", 0)).hasSize(1);
            assertThat(k.keys(longKey, "\0", 0)).isEmpty();
        }
    }

    @Test
    void rangeErrors() {
        try (Ks k = new Ks(dir)) {
            k.put("a", "1");
            assertThatThrownBy(() -> k.ks.range(RangeRequest.key(Bytes.EMPTY)))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.grpcCode()).isEqualTo(3);
                        assertThat(e.etcdMessage()).isEqualTo("etcdserver: key is not provided");
                    });
            assertThatThrownBy(() -> k.ks.range(RangeRequest.of(Bytes.EMPTY, INF)))
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> k.ks.range(RangeRequest.key(b("a")).atRevision(3)))
                    .isInstanceOfSatisfying(RevisionException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.FUTURE_REVISION);
                        assertThat(e.getMessage()).contains("current revision 2");
                    });
        }
    }
}
