package io.cohort.transport.tcp.internal;

import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;

/**
 * The bounded send queue of one peer: encoded frames (header + payload) back to back in a byte ring,
 * written by any thread ({@link #offer}) and drained by the peer's writer thread, which writes a
 * contiguous run of whole frames to the socket in one or two writes (two when the run wraps).
 *
 * <p>The ring starts small and doubles on demand up to {@code maxCapacityBytes}, so memory is bounded
 * by configuration yet an idle peer costs little. Producers only touch free space, the writer only the
 * run it took, so the writer copies nothing and writes outside the lock. Positions are logical (they
 * only grow); a byte at position {@code p} lives at {@code p % bytes.length}.
 */
public final class SendRing {
    private static final int INITIAL_CAPACITY_BYTES = 64 * 1024;

    private final int maxCapacityBytes;
    private final CRC32C crc = new CRC32C();
    private byte[] bytes;
    private long head;
    private long tail;
    private int frames;
    /** Frames in the run the writer took and has not released yet. */
    private int takenFrames;
    private boolean closed;
    private boolean writerWaiting;

    /** A run of whole frames taken by the writer: bytes [{@code start}, {@code end}) of {@code array}. */
    public static final class Batch {
        byte[] array;
        long start;
        long end;
        int frames;

        /** The number of frames in the run. */
        public int frames() {
            return frames;
        }

        /** The number of bytes in the run. */
        public long sizeBytes() {
            return end - start;
        }

        /** The array holding the run; it may wrap around its end. */
        public byte[] array() {
            return array;
        }

        /** The index in {@link #array()} of the first byte. */
        public int firstIndex() {
            return (int) (start % array.length);
        }

        /** The number of bytes from {@link #firstIndex()} before the run wraps (or ends). */
        public int firstLength() {
            return (int) Math.min(end - start, array.length - firstIndex());
        }

        /** The number of bytes at the start of {@link #array()} after the wrap (0 if none). */
        public int secondLength() {
            return (int) (end - start) - firstLength();
        }
    }

    /** An empty ring that will hold at most {@code maxCapacityBytes} of frames. */
    public SendRing(int maxCapacityBytes) {
        if (maxCapacityBytes < Frames.HEADER_BYTES) {
            throw new IllegalArgumentException("maxCapacityBytes must be >= " + Frames.HEADER_BYTES + ", was " + maxCapacityBytes);
        }
        this.maxCapacityBytes = maxCapacityBytes;
        this.bytes = new byte[Math.min(INITIAL_CAPACITY_BYTES, maxCapacityBytes)];
    }

    /**
     * Appends one frame carrying {@code length} bytes of {@code src} from {@code offset}; returns false
     * (and changes nothing) if the ring is closed or the frame does not fit in the bound.
     */
    public synchronized boolean offer(DirectBuffer src, int offset, int length) {
        assert length >= 0 : length;
        if (closed) {
            return false;
        }
        long frameBytes = (long) Frames.HEADER_BYTES + length;
        long used = tail - head;
        if (used + frameBytes > maxCapacityBytes) {
            return false;
        }
        if (used + frameBytes > bytes.length) {
            grow(used + frameBytes);
        }
        long payloadAt = tail + Frames.HEADER_BYTES;
        int capacity = bytes.length;
        int index = (int) (payloadAt % capacity);
        int first = Math.min(length, capacity - index);
        src.getBytes(offset, bytes, index, first);
        crc.reset();
        crc.update(bytes, index, first);
        if (first < length) {
            src.getBytes(offset + first, bytes, 0, length - first);
            crc.update(bytes, 0, length - first);
        }
        putIntAt(tail, length);
        putIntAt(tail + 4, (int) crc.getValue());
        tail += frameBytes;
        frames++;
        if (writerWaiting) {
            notifyAll();
        }
        return true;
    }

    /**
     * Waits up to {@code timeoutMs} for frames, then describes in {@code batch} a run of whole frames
     * from the head of at most {@code maxBatchBytes} (or the first frame if it alone is larger).
     * Returns false if the ring is closed; the batch is empty if nothing arrived in time.
     */
    public synchronized boolean take(Batch batch, long maxBatchBytes, long timeoutMs) throws InterruptedException {
        long deadlineNanos = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!closed && tail == head) {
            long leftNanos = deadlineNanos - System.nanoTime();
            if (leftNanos <= 0) {
                break;
            }
            writerWaiting = true;
            try {
                wait(Math.max(1, leftNanos / 1_000_000L));
            } finally {
                writerWaiting = false;
            }
        }
        return poll(batch, maxBatchBytes);
    }

    /**
     * Like {@link #take} without waiting: describes in {@code batch} the run of whole frames at the head
     * (empty if none). Returns false if the ring is closed. The caller must have released its last run.
     */
    public synchronized boolean poll(Batch batch, long maxBatchBytes) {
        assert takenFrames == 0 : "a run is still taken";
        batch.array = bytes;
        batch.start = head;
        batch.end = head;
        batch.frames = 0;
        if (closed) {
            return false;
        }
        long end = head;
        int n = 0;
        while (end < tail) {
            long next = end + Frames.HEADER_BYTES + getIntAt(end);
            if (n > 0 && next - head > maxBatchBytes) {
                break;
            }
            end = next;
            n++;
        }
        assert end <= tail : "frame runs past the tail";
        batch.end = end;
        batch.frames = n;
        takenFrames = n;
        return true;
    }

    /** Frees the run the writer took (and wrote, or gave up on). */
    public synchronized void release(Batch batch) {
        assert batch.start == head : "release out of order";
        head = batch.end;
        frames -= batch.frames;
        takenFrames = 0;
        assert frames >= 0 && head <= tail;
        batch.start = batch.end;
        batch.frames = 0;
    }

    /** Drops every queued frame (the writer holds no run); returns how many were dropped, 0 once closed (counted then). */
    public synchronized int clear() {
        assert takenFrames == 0 : "clear while the writer holds a run";
        int dropped = closed ? 0 : frames;
        head = tail;
        frames = 0;
        return dropped;
    }

    /**
     * Refuses further offers and wakes the writer; returns the number of frames queued and not taken by
     * the writer (it accounts for its run itself) the first time, 0 afterwards: each is counted once.
     */
    public synchronized int close() {
        if (closed) {
            return 0;
        }
        closed = true;
        notifyAll();
        return frames - takenFrames;
    }

    /** Bytes queued. */
    public synchronized long queuedBytes() {
        return tail - head;
    }

    /** Frames queued. */
    public synchronized int queuedFrames() {
        return frames;
    }

    /** Bytes currently allocated for the ring (grows up to the bound, never beyond). */
    public synchronized int allocatedBytes() {
        return bytes.length;
    }

    private void grow(long neededBytes) {
        int capacity = (int) Math.min(maxCapacityBytes, Math.max(neededBytes, (long) bytes.length * 2));
        byte[] grown = new byte[capacity];
        // The writer may still be writing a run from the old array: it is never modified again.
        long pos = head;
        while (pos < tail) {
            int from = (int) (pos % bytes.length);
            int to = (int) (pos % capacity);
            int n = (int) Math.min(tail - pos, Math.min(bytes.length - from, capacity - to));
            System.arraycopy(bytes, from, grown, to, n);
            pos += n;
        }
        bytes = grown;
    }

    private void putIntAt(long pos, int value) {
        int capacity = bytes.length;
        for (int i = 0; i < 4; i++) {
            bytes[(int) ((pos + i) % capacity)] = (byte) (value >>> (24 - 8 * i));
        }
    }

    private int getIntAt(long pos) {
        int capacity = bytes.length;
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | (bytes[(int) ((pos + i) % capacity)] & 0xFF);
        }
        return v;
    }
}
