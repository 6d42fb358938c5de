package io.cohort.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RepeatFilterTest {

    @Test
    void aLineIsNewsOncePerIntervalAndOnlyTheMostRecentLinesAreRemembered() {
        RepeatFilter filter = new RepeatFilter(2, 1_000);
        long ms = 1_000_000L;
        assertThat(filter.isNews("a", 0)).isTrue();
        assertThat(filter.isNews("a", 500 * ms)).isFalse();
        assertThat(filter.isNews("b", 500 * ms)).isTrue();
        assertThat(filter.isNews("a", 1_000 * ms)).isTrue();
        // Remembering "a" and "b"; "c" pushes out the least recently used ("b").
        assertThat(filter.isNews("c", 1_100 * ms)).isTrue();
        assertThat(filter.isNews("b", 1_200 * ms)).isTrue();
        assertThat(filter.isNews("c", 1_300 * ms)).isFalse();
    }
}
