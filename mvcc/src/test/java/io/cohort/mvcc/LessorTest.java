package io.cohort.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease clock: only the primary counts; leader changes neither expire early nor reset long TTLs. */
class LessorTest {
    static final long MINUTE_MS = 60_000;

    @TempDir
    Path dir;

    @Test
    void onlyThePrimaryExpiresAndRenewalsPostponeExpiry() {
        Lessor l = new Lessor(5 * MINUTE_MS, 3_000);
        l.granted(1, 10, 0);
        l.granted(2, 10, 0);
        assertThat(l.expired(1_000_000, 100)).as("a follower never expires leases").isEmpty();
        assertThatThrownBy(() -> l.renew(1, 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leader");
        l.promote(0, 1_000);
        assertThat(l.expired(10_999, 100)).isEmpty();
        assertThat(l.renew(1, 5_000)).isEqualTo(10);
        assertThat(l.remainingMs(1, 5_000)).isEqualTo(10_000);
        assertThat(l.expired(11_000, 100)).containsExactly(2L);
        assertThat(l.renew(2, 11_001)).as("an expired lease cannot be kept alive").isEqualTo(-1);
        assertThat(l.remainingMs(2, 11_001)).isZero();
        assertThat(l.expired(12_000, 100)).as("handed out once, retried only later").isEmpty();
        assertThat(l.expired(14_000, 100)).as("the revoke did not apply within the retry time").containsExactly(2L);
        l.revoked(2);
        assertThat(l.expired(100_000, 100)).containsExactly(1L);
        assertThat(l.renew(99, 0)).isEqualTo(-1);
        assertThat(l.remainingMs(99, 0)).isEqualTo(-1);
    }

    @Test
    void aNewLeaderStartsFromTheCheckpointedRemainingTtlPlusTheExtension() {
        Lessor leader = new Lessor(MINUTE_MS, 3_000);
        leader.promote(0, 0);
        leader.granted(7, 3_600, 0); // One hour.
        leader.granted(8, 30, 0); // Shorter than the checkpoint interval: never checkpointed.
        assertThat(leader.dueCheckpoints(MINUTE_MS - 1, 10)).isEmpty();
        List<LeaseCheckpointRequest.Checkpoint> due = leader.dueCheckpoints(20 * MINUTE_MS, 10);
        assertThat(due).containsExactly(new LeaseCheckpointRequest.Checkpoint(7, 3_600 - 20 * 60));
        assertThat(leader.dueCheckpoints(20 * MINUTE_MS, 10)).as("next one an interval later").isEmpty();

        // Every replica applied that checkpoint; another one becomes leader.
        Lessor next = new Lessor(MINUTE_MS, 3_000);
        next.load(List.of(new LeaseInfo(7, 3_600, 3_600 - 20 * 60), new LeaseInfo(8, 30, 0)));
        next.promote(0, 2_000);
        assertThat(next.remainingMs(7, 0)).as("not reset to the full hour").isEqualTo((3_600 - 20 * 60) * 1000L + 2_000);
        assertThat(next.remainingMs(8, 0)).as("never checkpointed: the full TTL, plus the extension")
                .isEqualTo(32_000);
        // A keep-alive on the new leader restores the full TTL and schedules a checkpoint to record that.
        assertThat(next.renew(7, 1_000)).isEqualTo(3_600);
        assertThat(next.dueCheckpoints(1_000, 10)).containsExactly(new LeaseCheckpointRequest.Checkpoint(7, 3_600));
    }

    /**
     * Regression (found by the keyspace simulation, seed 1437): a checkpoint rounds the remaining TTL up, so the next
     * leader never counts from less than what is left (rounding down cut up to a second, which with a deposed leader's
     * late renewals exceeded the election grace and expired a kept-alive lease early).
     */
    @Test
    void aCheckpointNeverShortensTheRemainingTtl() {
        Lessor leader = new Lessor(1_000, 3_000);
        leader.promote(0, 0);
        leader.granted(7, 3, 0);
        List<LeaseCheckpointRequest.Checkpoint> due = leader.dueCheckpoints(1_100, 10);
        assertThat(due).as("1.9 s left: recorded as 2 s, not 1 s").containsExactly(
                new LeaseCheckpointRequest.Checkpoint(7, 2));
    }

    @Test
    void demotionStopsCountingAndPromotionExtends() {
        Lessor l = new Lessor(5 * MINUTE_MS, 3_000);
        l.promote(0, 0);
        l.granted(1, 5, 0);
        l.demote();
        assertThat(l.isPrimary()).isFalse();
        assertThat(l.expired(60_000, 10)).isEmpty();
        l.promote(60_000, 1_500);
        assertThat(l.expired(66_499, 10)).isEmpty();
        assertThat(l.expired(66_500, 10)).containsExactly(1L);
    }

    @Test
    void manyLeasesExpireInDeadlineOrderAndBoundedBatches() {
        Lessor l = new Lessor(5 * MINUTE_MS, 3_000);
        l.promote(0, 0);
        int n = 100_000;
        for (int i = 1; i <= n; i++) {
            l.granted(i, 2 + (i * 7919L) % 60, 0);
        }
        for (int i = 1; i <= n; i += 2) {
            l.renew(i, 30_000); // Half are kept alive at 30 s (those with a shorter TTL had expired: refused).
        }
        assertThat(l.size()).isEqualTo(n);
        long lastDeadline = -1;
        int handedOut = 0;
        for (long t = 0; t <= 200_000; t += 1_000) {
            List<Long> batch = l.expired(t, 1_000);
            assertThat(batch.size()).isLessThanOrEqualTo(1_000);
            for (long id : batch) {
                long ttlMs = 1000 * (2 + (id * 7919L) % 60);
                long deadline = id % 2 == 1 && ttlMs > 30_000 ? 30_000 + ttlMs : ttlMs;
                assertThat(deadline).as("lease %d handed out at %d", id, t).isLessThanOrEqualTo(t);
                assertThat(t - deadline).as("handed out promptly when batches are not full").isLessThan(60_000);
                l.revoked(id);
                handedOut++;
                lastDeadline = Math.max(lastDeadline, deadline);
            }
        }
        assertThat(handedOut).isEqualTo(n);
        assertThat(l.size()).isZero();
    }

    @Test
    void checkpointsAreAppliedDurablyAndSurviveASnapshot() {
        Path snap = dir.resolve("snap");
        long id;
        try (Ks k = new Ks(dir.resolve("a"))) {
            id = k.grant(3_600);
            long other = k.grant(600);
            LeaseCheckpointResponse r = (LeaseCheckpointResponse) k.ok(new LeaseCheckpointRequest(List.of(
                    new LeaseCheckpointRequest.Checkpoint(id, 1_234),
                    new LeaseCheckpointRequest.Checkpoint(424242, 5))));
            assertThat(r.checkpointed()).as("a missing lease is skipped").isEqualTo(1);
            assertThat(r.revision()).as("no revision").isEqualTo(k.ks.currentRevision()).isEqualTo(1);
            assertThat(k.ks.leaseInfos()).containsExactlyInAnyOrder(new LeaseInfo(id, 3_600, 1_234),
                    new LeaseInfo(other, 600, 0));
            k.ks.writeSnapshot(snap);
        }
        try (Ks reopened = new Ks(dir.resolve("a"))) {
            assertThat(reopened.ks.leaseInfos()).contains(new LeaseInfo(id, 3_600, 1_234));
        }
        try (Ks b = new Ks(dir.resolve("b"))) {
            b.ks.restoreSnapshot(snap);
            assertThat(b.ks.leaseInfos()).contains(new LeaseInfo(id, 3_600, 1_234));
        }
        byte[] encoded = CommandCodec.encode(new LeaseCheckpointRequest(List.of(
                new LeaseCheckpointRequest.Checkpoint(-5, 1), new LeaseCheckpointRequest.Checkpoint(Long.MAX_VALUE, 9))));
        assertThat(Command.decode(3, encoded).request()).isEqualTo(new LeaseCheckpointRequest(List.of(
                new LeaseCheckpointRequest.Checkpoint(-5, 1), new LeaseCheckpointRequest.Checkpoint(Long.MAX_VALUE, 9))));
    }

    @Test
    void badCheckpointsAreRefused() {
        assertThatThrownBy(() -> new LeaseCheckpointRequest(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 10000");
        assertThatThrownBy(() -> new LeaseCheckpointRequest.Checkpoint(1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 1 s");
        assertThatThrownBy(() -> new Lessor(0, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
