package io.cohort.transport.tcp.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential reconnect delays with jitter: attempt {@code n} waits a random time in
 * {@code [d/2, d]} where {@code d = min(max, min * 2^n)}, so peers that lost each other at the same
 * moment do not redial in lockstep. Used by one thread.
 */
public final class Backoff {
    private final long minMs;
    private final long maxMs;
    private int attempts;

    /** Delays from {@code minMs} doubling up to {@code maxMs}. */
    public Backoff(long minMs, long maxMs) {
        if (minMs < 1 || maxMs < minMs) {
            throw new IllegalArgumentException("need 1 <= minMs <= maxMs, was " + minMs + ", " + maxMs);
        }
        this.minMs = minMs;
        this.maxMs = maxMs;
    }

    /** The delay before the next attempt, in milliseconds. */
    public long nextDelayMs() {
        long ceiling = attempts >= 62 ? maxMs : Math.min(maxMs, minMs << Math.min(attempts, 30));
        attempts++;
        long half = ceiling / 2;
        return half + ThreadLocalRandom.current().nextLong(ceiling - half + 1);
    }

    /** Starts over from the shortest delay (after a successful connection). */
    public void reset() {
        attempts = 0;
    }
}
