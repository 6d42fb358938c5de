package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Grant, revoke, time-to-live, list, attach/detach/move. */
class LeaseTableTest {
    @TempDir
    Path dir;

    @Test
    void grantClampsTtlAndAcceptsExplicitIds() {
        try (Ks k = new Ks(dir, KeyspaceConfig.builder().minLeaseTtlSeconds(5).build())) {
            LeaseGrantResponse g = (LeaseGrantResponse) k.ok(new LeaseGrantRequest(1, 0));
            assertThat(g.ttlSeconds()).isEqualTo(5);
            assertThat(g.id()).isPositive();
            assertThat(g.revision()).isEqualTo(1);
            LeaseGrantResponse neg = (LeaseGrantResponse) k.ok(new LeaseGrantRequest(600, -5));
            assertThat(neg.id()).isEqualTo(-5);
            ApplyResult again = k.apply(new LeaseGrantRequest(600, -5));
            assertThat(again.error()).isInstanceOf(LeaseExistsException.class);
            assertThat(again.error().grpcCode()).isEqualTo(9);
            ApplyResult tooLong = k.apply(new LeaseGrantRequest(9_000_000_001L, 0));
            assertThat(tooLong.error().code()).isEqualTo(ErrorCode.LEASE_TTL_TOO_LARGE);
            assertThat(tooLong.error().getMessage()).contains("9000000000");
            assertThat(k.ks.leaseList().ids()).containsExactlyInAnyOrder(g.id(), -5L);
            assertThat(k.ks.currentRevision()).isEqualTo(1);
        }
    }

    @Test
    void revokeDeletesAttachedKeysAtOneRevisionInKeyOrder() {
        try (Ks k = new Ks(dir)) {
            long l1 = k.grant(300);
            long l2 = k.grant(300);
            k.put("b", "1", l1);
            k.put("a", "1", l1);
            k.put("c", "1", l1);
            k.put("c", "2");            // detached by a put without lease
            k.put("d", "1", l1);
            k.put("d", "2", l2);        // moved to l2
            k.ok(new PutRequest(b("a"), b("3"), 0, false, false, true)); // ignore_lease keeps l1
            assertThat(k.get("a").lease()).isEqualTo(l1);
            LeaseTimeToLive ttl = k.ks.leaseTimeToLive(l1, true);
            assertThat(ttl.keys()).containsExactly(b("a"), b("b"));
            assertThat(ttl.grantedTtlSeconds()).isEqualTo(300);
            long rev = k.ks.currentRevision();
            ApplyResult r = k.apply(new LeaseRevokeRequest(l1));
            assertThat(r.response().revision()).isEqualTo(rev + 1);
            assertThat(r.events()).extracting(e -> e.kv().key().toStringUtf8()).containsExactly("a", "b");
            assertThat(r.events()).allMatch(e -> e.type() == Event.Type.DELETE && e.revision() == rev + 1);
            assertThat(k.get("a")).isNull();
            assertThat(k.get("c").value()).isEqualTo(b("2"));
            assertThat(k.ks.leaseTimeToLive(l1, true).ttlSeconds()).isEqualTo(-1);
            assertThat(k.ks.leaseTimeToLive(l1, true).keys()).isEmpty();
            ApplyResult twice = k.apply(new LeaseRevokeRequest(l1));
            assertThat(twice.error().etcdMessage()).isEqualTo("etcdserver: requested lease not found");
            // a lease without keys: revoke keeps the revision
            long l3 = k.grant(300);
            long before = k.ks.currentRevision();
            assertThat(k.ok(new LeaseRevokeRequest(l3)).revision()).isEqualTo(before);
            assertThat(k.ks.leaseList().ids()).containsExactly(l2);
        }
    }

    @Test
    void remainingTtlFollowsTheClock() {
        AtomicLong now = new AtomicLong(1_000_000);
        try (Ks k = new Ks(dir, KeyspaceConfig.builder().clockMillis(now::get).build())) {
            long id = k.grant(10);
            assertThat(k.ks.leaseTimeToLive(id, false).ttlSeconds()).isEqualTo(10);
            now.addAndGet(3_500);
            assertThat(k.ks.leaseTimeToLive(id, false).ttlSeconds()).isEqualTo(7);
            assertThat(k.ks.leaseTimeToLive(12345, false)).isEqualTo(new LeaseTimeToLive(1, 12345, -1, 0, List.of()));
        }
    }

    @Test
    void generatedIdsAreDeterministicAcrossReplicas() {
        try (Ks a = new Ks(dir.resolve("a")); Ks b = new Ks(dir.resolve("b"))) {
            for (int i = 0; i < 5; i++) {
                assertThat(a.grant(100)).isEqualTo(b.grant(100));
            }
        }
    }
}
