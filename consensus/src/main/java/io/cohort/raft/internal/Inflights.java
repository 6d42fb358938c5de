package io.cohort.raft.internal;

/**
 * Appends sent to one follower and not yet acknowledged, bounded by message count and payload
 * bytes. A fixed ring of (last index, bytes) pairs.
 */
public final class Inflights {
    private final long[] lastIndexes;
    private final long[] bytes;
    private final long maxBytes;
    private int start;
    private int count;
    private long totalBytes;

    /** A ring holding at most {@code maxCount} appends and {@code maxBytes} payload bytes. */
    public Inflights(int maxCount, long maxBytes) {
        if (maxCount < 1) {
            throw new IllegalArgumentException("maxCount must be >= 1");
        }
        lastIndexes = new long[maxCount];
        bytes = new long[maxCount];
        this.maxBytes = maxBytes;
    }

    /** Records an append whose last entry is {@code lastIndex}; the ring must not be full. */
    public void add(long lastIndex, long size) {
        if (!(!full())) {
            throw new IllegalStateException("inflights full");
        }
        if (count > 0) {
            if (!(lastIndex > lastIndexes[(start + count - 1) % lastIndexes.length])) {
                throw new IllegalStateException("inflight indexes must grow");
            }
        }
        int slot = (start + count) % lastIndexes.length;
        lastIndexes[slot] = lastIndex;
        bytes[slot] = size;
        count++;
        totalBytes += size;
    }

    /** Frees every append whose last index is {@code <= index}. */
    public void freeLE(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            totalBytes -= bytes[start];
            start = (start + 1) % lastIndexes.length;
            count--;
        }
    }

    /** Frees the oldest append (used when a heartbeat response suggests appends were lost). */
    public void freeFirstOne() {
        if (count > 0) {
            freeLE(lastIndexes[start]);
        }
    }

    /** True if no more appends may be sent. */
    public boolean full() {
        return count == lastIndexes.length || totalBytes >= maxBytes;
    }

    /** Number of appends in flight. */
    public int count() {
        return count;
    }

    /** Forgets everything in flight. */
    public void reset() {
        start = 0;
        count = 0;
        totalBytes = 0;
    }
}
