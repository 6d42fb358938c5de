package io.cohort.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void delaysDoubleUpToTheMaximumWithJitterInTheUpperHalfAndResetAfterSuccess() {
        Backoff backoff = new Backoff(10, 1_000);
        long ceiling = 10;
        for (int attempt = 0; attempt < 100; attempt++) {
            long d = backoff.nextDelayMs();
            assertThat(d).as("attempt %d", attempt).isBetween(ceiling / 2, ceiling);
            ceiling = Math.min(1_000, ceiling * 2);
        }
        Set<Long> atMax = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            atMax.add(backoff.nextDelayMs());
        }
        assertThat(atMax).as("jitter").hasSizeGreaterThan(10).allSatisfy(d -> assertThat(d).isBetween(500L, 1_000L));
        backoff.reset();
        assertThat(backoff.nextDelayMs()).isBetween(5L, 10L);
        assertThatThrownBy(() -> new Backoff(0, 10)).hasMessageContaining("1 <= minMs <= maxMs");
        assertThatThrownBy(() -> new Backoff(20, 10)).hasMessageContaining("1 <= minMs <= maxMs");
    }
}
