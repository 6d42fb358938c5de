package io.cohort.transport.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class SendRingTest {

    /** Reads frames back from the bytes "written" and checks them against what was offered, in order. */
    private static void checkFrames(byte[] wire, Deque<byte[]> expected, int count) {
        int at = 0;
        for (int i = 0; i < count; i++) {
            int length = Frames.getInt(wire, at);
            int crc = Frames.getInt(wire, at + 4);
            byte[] payload = Arrays.copyOfRange(wire, at + Frames.HEADER_BYTES, at + Frames.HEADER_BYTES + length);
            CRC32C c = new CRC32C();
            c.update(payload);
            assertThat(crc).as("checksum of frame %d", i).isEqualTo((int) c.getValue());
            assertThat(payload).as("frame %d", i).isEqualTo(expected.poll());
            at += Frames.HEADER_BYTES + length;
        }
        assertThat(at).isEqualTo(wire.length);
    }

    @Test
    void framesWrapGrowAndBatchWhileTheWriterHoldsARunAndNeverExceedTheBound() throws Exception {
        int bound = 300_000; // not a power of two: indexes are plain modulo
        SendRing ring = new SendRing(bound);
        SplittableRandom random = new SplittableRandom(11);
        Deque<byte[]> offered = new ArrayDeque<>();
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        SendRing.Batch batch = new SendRing.Batch();
        int accepted = 0;
        int refused = 0;
        int written = 0;
        for (int round = 0; round < 2_000; round++) {
            // Offer a few messages of random sizes (some large enough to force growth or refusal).
            int n = random.nextInt(1, 8);
            for (int i = 0; i < n; i++) {
                byte[] m = new byte[random.nextInt(0, random.nextInt(10) == 0 ? 100_000 : 3_000)];
                random.nextBytes(m);
                long before = ring.queuedBytes();
                if (ring.offer(new UnsafeBuffer(m), 0, m.length)) {
                    offered.add(m);
                    accepted++;
                    assertThat(ring.queuedBytes()).isEqualTo(before + Frames.HEADER_BYTES + m.length);
                } else {
                    refused++;
                    assertThat(before + Frames.HEADER_BYTES + m.length).isGreaterThan(bound);
                }
                assertThat(ring.queuedBytes()).isLessThanOrEqualTo(bound);
                assertThat(ring.allocatedBytes()).isLessThanOrEqualTo(bound);
            }
            // The writer takes a run, more is offered while it "writes", then it releases.
            assertThat(ring.take(batch, random.nextInt(1, 50_000), 0)).isTrue();
            byte[] array = batch.array();
            int firstIndex = batch.firstIndex();
            int firstLength = batch.firstLength();
            int secondLength = batch.secondLength();
            byte[] extra = new byte[random.nextInt(0, 20_000)];
            random.nextBytes(extra);
            if (ring.offer(new UnsafeBuffer(extra), 0, extra.length)) {
                offered.add(extra);
                accepted++;
            }
            wire.write(array, firstIndex, firstLength);
            wire.write(array, 0, secondLength);
            written += batch.frames();
            ring.release(batch);
        }
        while (ring.queuedFrames() > 0) {
            ring.take(batch, Long.MAX_VALUE, 0);
            wire.write(batch.array(), batch.firstIndex(), batch.firstLength());
            wire.write(batch.array(), 0, batch.secondLength());
            written += batch.frames();
            ring.release(batch);
        }
        assertThat(written).isEqualTo(accepted);
        assertThat(refused).as("the bound was reached").isPositive();
        checkFrames(wire.toByteArray(), offered, written);
        assertThat(ring.allocatedBytes()).isEqualTo(bound);
    }

    @Test
    void aBatchHoldsWholeFramesUpToTheLimitOrOneFrameIfLarger() throws Exception {
        SendRing ring = new SendRing(1 << 20);
        for (int i = 0; i < 10; i++) {
            assertThat(ring.offer(new UnsafeBuffer(new byte[92]), 0, 92)).isTrue(); // 100 bytes per frame
        }
        assertThat(ring.offer(new UnsafeBuffer(new byte[992]), 0, 992)).isTrue(); // 1000 bytes
        SendRing.Batch batch = new SendRing.Batch();
        ring.take(batch, 350, 0);
        assertThat(batch.frames()).isEqualTo(3);
        assertThat(batch.sizeBytes()).isEqualTo(300);
        ring.release(batch);
        ring.take(batch, 999, 0); // the seven small frames; the large one would pass the limit
        assertThat(batch.frames()).isEqualTo(7);
        assertThat(batch.sizeBytes()).isEqualTo(700);
        ring.release(batch);
        ring.take(batch, 10, 0);
        assertThat(batch.frames()).isEqualTo(1);
        assertThat(batch.sizeBytes()).isEqualTo(1000);
        ring.release(batch);
        ring.take(batch, 10, 1);
        assertThat(batch.frames()).isZero();
        assertThat(ring.close()).isZero();
        assertThat(ring.offer(new UnsafeBuffer(new byte[1]), 0, 1)).isFalse();
        assertThat(ring.take(batch, 10, 1)).isFalse();
    }

    @Test
    void closeCountsQueuedFramesOnceAndNotTheWritersRun() throws Exception {
        SendRing ring = new SendRing(1 << 16);
        for (int i = 0; i < 5; i++) {
            ring.offer(new UnsafeBuffer(new byte[10]), 0, 10);
        }
        SendRing.Batch batch = new SendRing.Batch();
        ring.take(batch, 36, 0); // two frames of 18 bytes
        assertThat(batch.frames()).isEqualTo(2);
        assertThat(ring.close()).isEqualTo(3);
        assertThat(ring.close()).isZero();
        ring.release(batch);
        assertThat(ring.clear()).isZero();
        assertThat(ring.queuedFrames()).isZero();
    }

    @Test
    void pollReturnsAtOnceWithAnEmptyRunOrTheQueuedFramesInOrder() {
        SendRing ring = new SendRing(64 * 1024);
        SendRing.Batch batch = new SendRing.Batch();
        long start = System.nanoTime();
        assertThat(ring.poll(batch, 1 << 20)).isTrue();
        assertThat(batch.frames()).isZero();
        assertThat(batch.sizeBytes()).isZero();
        assertThat(System.nanoTime() - start).as("poll does not wait").isLessThan(1_000_000_000L);
        byte[] a = {1, 2, 3};
        byte[] b = new byte[100];
        Arrays.fill(b, (byte) 7);
        assertThat(ring.offer(new UnsafeBuffer(a), 0, a.length)).isTrue();
        assertThat(ring.offer(new UnsafeBuffer(b), 0, b.length)).isTrue();
        // A batch bound below both frames still takes the first one whole, and only it.
        assertThat(ring.poll(batch, 1)).isTrue();
        assertThat(batch.frames()).isEqualTo(1);
        assertThat(batch.sizeBytes()).isEqualTo(Frames.HEADER_BYTES + a.length);
        Deque<byte[]> expected = new ArrayDeque<>(java.util.List.of(a));
        checkFrames(Arrays.copyOfRange(batch.array(), batch.firstIndex(), batch.firstIndex() + batch.firstLength()), expected, 1);
        ring.release(batch);
        assertThat(ring.poll(batch, 1 << 20)).isTrue();
        assertThat(batch.frames()).isEqualTo(1);
        expected.add(b);
        checkFrames(Arrays.copyOfRange(batch.array(), batch.firstIndex(), batch.firstIndex() + batch.firstLength()), expected, 1);
        ring.release(batch);
        assertThat(ring.queuedBytes()).isZero();
        ring.close();
        assertThat(ring.poll(batch, 1 << 20)).as("closed").isFalse();
        assertThat(batch.frames()).isZero();
    }
}
