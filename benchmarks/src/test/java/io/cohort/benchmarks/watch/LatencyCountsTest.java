package io.cohort.benchmarks.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyCountsTest {
    @Test
    void everyValueLandsInABucketThatHoldsIt() {
        Random random = new Random(42);
        int previousIndex = -1;
        for (long v = 0; v < 100_000; v++) {
            int i = LatencyCounts.index(v);
            assertThat(i).isGreaterThanOrEqualTo(previousIndex); // Buckets follow the values in order.
            assertThat(LatencyCounts.highestValue(i)).isGreaterThanOrEqualTo(v);
            previousIndex = i;
        }
        for (int k = 0; k < 100_000; k++) {
            long v = random.nextLong() & LatencyCounts.MAX_VALUE;
            long highest = LatencyCounts.highestValue(LatencyCounts.index(v));
            assertThat(highest).isGreaterThanOrEqualTo(v);
            assertThat(highest - v).isLessThanOrEqualTo(v / 512); // A bucket is at most 0.2% of its values wide.
        }
        assertThat(LatencyCounts.highestValue(LatencyCounts.index(LatencyCounts.MAX_VALUE)))
                .isEqualTo(LatencyCounts.MAX_VALUE);
    }

    @Test
    void percentilesMatchHdrHistogramWithinABucket() {
        Random random = new Random(7);
        LatencyCounts counts = new LatencyCounts();
        Histogram exact = new Histogram(3);
        for (int k = 0; k < 200_000; k++) {
            long v = (long) Math.exp(random.nextDouble() * 14); // 1 µs to 1.2 s, spread over the decades.
            counts.record(v);
            exact.recordValue(v);
        }
        counts.record(-5); // Counts as 0.
        exact.recordValue(0);
        Histogram fromCounts = new Histogram(3);
        counts.addTo(fromCounts);
        assertThat(fromCounts.getTotalCount()).isEqualTo(exact.getTotalCount());
        for (double p : new double[] {0, 10, 50, 90, 99, 99.9, 100}) {
            long want = exact.getValueAtPercentile(p);
            assertThat((double) fromCounts.getValueAtPercentile(p)).as("p%s", p)
                    .isCloseTo(want, org.assertj.core.data.Offset.offset(want * 0.004 + 1));
        }
        Histogram after = new Histogram(3);
        counts.addTo(after);
        assertThat(after.getTotalCount()).as("addTo starts the counts from zero").isZero();
    }
}
