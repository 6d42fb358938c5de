package io.cohort.benchmarks.watch;

import org.HdrHistogram.Histogram;

/**
 * A single-writer latency histogram that costs a few nanoseconds per value: log-linear buckets of plain counts (1,024
 * exact values below 1,024, then 512 buckets per power of two, so a bucket is at most 0.2% of its values wide), no
 * total, no min or max, nothing volatile. HdrHistogram's {@code recordValue} cost the watch benchmark's two listener
 * threads some 30 ns per event (its min/max and total upkeep), more than the watch path itself spent per event;
 * {@link #addTo} hands the counts over to a {@link Histogram} for the percentiles, each bucket as its highest value.
 *
 * <p>Not thread-safe: one writer, and the reader takes its counts under the same lock as the writer.
 */
final class LatencyCounts {
    private static final int EXACT = 1024;
    private static final int HALF = EXACT / 2;
    /** Values up to 2^40 - 1 (12.7 days in microseconds); larger ones count as that. */
    private static final int MAX_SHIFT = 40 - 10;
    static final long MAX_VALUE = (1L << 40) - 1;

    private final long[] counts = new long[EXACT + MAX_SHIFT * HALF];

    /** Counts one value (negative values count as 0, values above {@link #MAX_VALUE} as that). */
    void record(long value) {
        counts[index(Math.min(Math.max(value, 0), MAX_VALUE))]++;
    }

    static int index(long value) {
        int shift = 54 - Long.numberOfLeadingZeros(value); // 64 - nlz = bit length; buckets above 10 bits shift.
        if (shift <= 0) {
            return (int) value;
        }
        return EXACT + (shift - 1) * HALF + (int) (value >>> shift) - HALF;
    }

    /** The highest value that counts in bucket {@code index}. */
    static long highestValue(int index) {
        if (index < EXACT) {
            return index;
        }
        int shift = (index - EXACT) / HALF + 1;
        long lowest = (long) ((index - EXACT) % HALF + HALF) << shift;
        return lowest + (1L << shift) - 1;
    }

    /** Adds every count to {@code h} (each bucket at its highest value) and starts from zero. */
    void addTo(Histogram h) {
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] != 0) {
                h.recordValueWithCount(highestValue(i), counts[i]);
                counts[i] = 0;
            }
        }
    }
}
