package io.cohort.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadGeneratorTest {
    private static final byte[] VALUE = new byte[16];

    @Test
    void keepsAtMostTheWindowInFlightAndRecordsOnlyTheMeasuredPeriod() throws Exception {
        try (FakeTarget target = new FakeTarget(2_000, false)) {
            PointResult r = new LoadGenerator(100, VALUE, 0.3, 0.5, 1).run(target, Workload.PUT, 8);
            assertThat(target.maxInFlight.get()).isLessThanOrEqualTo(8);
            assertThat(target.inFlight.get()).isZero();
            assertThat(r.errors()).isZero();
            // Every request takes >= 2 ms, so the recorded latencies are >= 2 ms and the rate is at most 8 / 2 ms.
            assertThat(r.p50Micros()).isGreaterThanOrEqualTo(2_000);
            assertThat(r.opsPerSecond()).isLessThanOrEqualTo(8 / 0.002 * 1.01);
            // Warm-up requests are not counted.
            assertThat(r.operations()).isPositive().isLessThan(target.requests.get());
            assertThat(r.system()).isEqualTo("fake");
            assertThat(r.workload()).isEqualTo("put");
        }
    }

    @Test
    void linearizableAndSerializableRangesReachTheTargetAsSuch() throws Exception {
        try (FakeTarget target = new FakeTarget(100, false)) {
            LoadGenerator g = new LoadGenerator(100, VALUE, 0, 0.2, 1);
            g.run(target, Workload.RANGE_SERIALIZABLE, 4);
            assertThat(target.linearizableReads.get()).isZero();
            g.run(target, Workload.RANGE_LINEARIZABLE, 4);
            assertThat(target.linearizableReads.get()).isPositive();
        }
    }

    @Test
    void aCasWhoseCompareFailsCountsAsAnError() throws Exception {
        try (FakeTarget target = new FakeTarget(100, true)) {
            PointResult r = new LoadGenerator(100, VALUE, 0, 0.2, 1).run(target, Workload.TXN_CAS, 4);
            assertThat(r.errors()).isPositive();
            assertThat(r.operations()).isZero();
        }
    }

    @Test
    void watchCountsEveryDeliveredEventPerWatcher() throws Exception {
        try (FakeTarget target = new FakeTarget(500, false)) {
            PointResult r = new LoadGenerator(100, VALUE, 0.1, 0.4, 3).run(target, Workload.WATCH, 4);
            assertThat(target.sinks).isEmpty(); // Closed at the end.
            assertThat(r.operations()).isPositive();
            // Three watchers: each put sent in the measured period is delivered three times.
            assertThat(r.operations() % 3).isZero();
            assertThat(r.p50Micros()).isGreaterThanOrEqualTo(500);
        }
    }

    @Test
    void rejectsParametersOutOfRange() {
        assertThatThrownBy(() -> new LoadGenerator(0, VALUE, 0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyCount");
        assertThatThrownBy(() -> new LoadGenerator(10, new byte[4], 0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("valueBytes=4");
        assertThatThrownBy(() -> new LoadGenerator(10, VALUE, 0, 1, 1).run(new FakeTarget(1, false), Workload.PUT, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inFlight");
        assertThatThrownBy(() -> Workload.of("scan")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("put, lrange, srange, cas, watch");
    }
}
