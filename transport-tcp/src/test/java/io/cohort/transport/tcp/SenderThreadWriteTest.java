package io.cohort.transport.tcp;

import static io.cohort.transport.tcp.Loopback.awaitTrue;
import static io.cohort.transport.tcp.Loopback.buffer;
import static io.cohort.transport.tcp.Loopback.member;
import static io.cohort.transport.tcp.Loopback.sendRetrying;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.transport.tcp.Loopback.Received;
import io.cohort.transport.tcp.Loopback.Recorder;
import io.cohort.transport.tcp.internal.Frames;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Plaintext writes on the sending thread: frames written by senders and frames left to the writer
 * thread (a full socket buffer, a busy writer) still arrive whole and in order, and a peer that stops
 * reading never blocks a sender.
 */
class SenderThreadWriteTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    /** Message {@code seq} of sender {@code sender}: its IDs, then a pattern that depends on both. */
    private static byte[] message(int sender, int seq, int sizeBytes) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(8, sizeBytes));
        b.putInt(sender).putInt(seq);
        for (int i = 8; i < b.capacity(); i++) {
            b.put((byte) (sender * 131 + seq * 31 + i));
        }
        return b.array();
    }

    /** A recorder that holds up its first delivery of 1 MiB or more, so the kernel buffers fill and writes come back partial. */
    private static final class SlowFirstRecorder extends Recorder {
        private boolean first = true;

        @Override
        public void onMessage(long fromId, DirectBuffer buffer, int offset, int length) {
            boolean wait;
            synchronized (this) {
                wait = first && length >= 1 << 20;
                first &= !wait;
            }
            if (wait) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            super.onMessage(fromId, buffer, offset, length);
        }
    }

    private TcpTransport[] connectedPair(TcpTransport.Builder one, TcpTransport.Builder two, Recorder inOne, Recorder inTwo)
        throws InterruptedException {
        TcpTransport a = track(one.build());
        TcpTransport b = track(two.build());
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        a.start(1, inOne);
        b.start(2, inTwo);
        awaitTrue("connected both ways", 5_000, () -> a.isConnected(2) && b.isConnected(1));
        return new TcpTransport[] {a, b};
    }

    @Test
    void largeFramesLeftToTheWriterAndSmallOnesWrittenBySendersArriveInOrder() throws Exception {
        int maxFrame = 4 << 20;
        Recorder inB = new SlowFirstRecorder();
        TcpTransport[] t = connectedPair(member(1).maxFrameBytes(maxFrame).maxSendQueueBytes(64 << 20),
            member(2).maxFrameBytes(maxFrame), new Recorder(), inB);
        TcpTransport a = t[0];
        // Idle link, small frames: the sender writes them itself (retried until one misses the
        // writer's brief idle check, which holds the write lock for a moment every 100 ms).
        int seq = 0;
        while (a.metrics().framesSentBySender() == 0 && seq < 1_000) {
            sendRetrying(a, 2, message(1, seq++, 64), 5_000);
            Thread.sleep(1);
        }
        assertThat(a.metrics().framesSentBySender()).as("frames written on the sending thread").isPositive();
        // Then frames of up to 3 MiB while the receiver is held up: the kernel buffers fill, writes come
        // back partial and the writer thread finishes them, while small frames keep being queued.
        SplittableRandom random = new SplittableRandom(11);
        int bulk = 80;
        for (int i = 0; i < bulk; i++) {
            int size = i % 8 == 0 ? 3 << 20 : 1 + random.nextInt(i % 2 == 0 ? 200 : 70_000);
            sendRetrying(a, 2, message(1, seq++, size), 10_000);
        }
        int total = seq;
        List<Received> got = inB.await(total, 30_000);
        assertThat(got).hasSize(total);
        for (int i = 0; i < total; i++) {
            byte[] bytes = got.get(i).bytes();
            ByteBuffer b = ByteBuffer.wrap(bytes);
            assertThat(b.getInt()).isEqualTo(1);
            assertThat(b.getInt()).as("order").isEqualTo(i);
            assertThat(bytes).isEqualTo(message(1, i, bytes.length));
        }
        TcpTransport.Metrics m = a.metrics();
        assertThat(m.framesSent()).isEqualTo(total);
        assertThat(m.framesSentBySender()).as("some frames were finished by the writer thread").isLessThan(total);
        assertThat(m.framesDropped()).isZero();
        assertThat(m.reconnects()).isZero();
    }

    @Test
    void concurrentSendersToOnePeerKeepEachSendersOrder() throws Exception {
        Recorder inB = new Recorder();
        TcpTransport[] t = connectedPair(member(1).maxFrameBytes(16 * 1024).maxSendQueueBytes(256 * 1024),
            member(2).maxFrameBytes(16 * 1024), new Recorder(), inB);
        TcpTransport a = t[0];
        int senders = 4;
        int perSender = 2_000;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int s = 0; s < senders; s++) {
            int sender = s;
            Thread thread = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(sender);
                try {
                    for (int seq = 0; seq < perSender; seq++) {
                        sendRetrying(a, 2, message(sender, seq, 8 + random.nextInt(4_000)), 10_000);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join(30_000);
        }
        assertThat(failures).isEmpty();
        List<Received> got = inB.await(senders * perSender, 30_000);
        assertThat(got).hasSize(senders * perSender);
        int[] next = new int[senders];
        for (Received r : got) {
            ByteBuffer b = ByteBuffer.wrap(r.bytes());
            int sender = b.getInt();
            int seq = b.getInt();
            assertThat(seq).as("order of sender %d", sender).isEqualTo(next[sender]);
            next[sender]++;
            assertThat(r.bytes()).isEqualTo(message(sender, seq, r.bytes().length));
        }
        TcpTransport.Metrics m = a.metrics();
        assertThat(m.framesSent()).isEqualTo(senders * perSender);
        assertThat(m.framesSentBySender()).isPositive().isLessThanOrEqualTo(m.framesSent());
        assertThat(m.framesDropped()).isZero();
    }

    @Test
    void withSenderWritesTurnedOffEveryFrameGoesThroughTheWriterThreadInOrder() throws Exception {
        Recorder inB = new Recorder();
        TcpTransport[] t = connectedPair(member(1).writeOnSenderThread(false), member(2).writeOnSenderThread(false),
            new Recorder(), inB);
        int count = 2_000;
        for (int seq = 0; seq < count; seq++) {
            sendRetrying(t[0], 2, message(1, seq, 8 + seq % 3_000), 5_000);
        }
        List<Received> got = inB.await(count, 20_000);
        for (int i = 0; i < count; i++) {
            assertThat(got.get(i).bytes()).isEqualTo(message(1, i, 8 + i % 3_000));
        }
        assertThat(t[0].metrics().framesSent()).isEqualTo(count);
        assertThat(t[0].metrics().framesSentBySender()).isZero();
    }

    @Test
    void aPeerThatStopsReadingNeverBlocksTheSender() throws Exception {
        ServerSocket server = Loopback.neverReadingPeer(this::track, 0);
        int bound = 1 << 20;
        // A write timeout far above the bound checked below: a sender stuck in a write would show.
        TcpTransport a = track(member(1).maxFrameBytes(16 * 1024).maxSendQueueBytes(bound).writeTimeoutMs(60_000)
            .peer(2, (InetSocketAddress) server.getLocalSocketAddress()).build());
        a.start(1, new Recorder());
        awaitTrue("connected", 5_000, () -> a.isConnected(2));
        byte[] message = new byte[16 * 1024];
        long slowestSendNanos = 0;
        boolean full = false;
        // Kernel buffers take some megabytes first; then the writer blocks on the stalled socket and the
        // queue fills. Every send meanwhile returns at once, true or false.
        for (int i = 0; i < 4_096 && !full; i++) {
            long start = System.nanoTime();
            boolean accepted = a.send(2, buffer(message), 0, message.length);
            slowestSendNanos = Math.max(slowestSendNanos, System.nanoTime() - start);
            if (!accepted) {
                Thread.sleep(20);
                full = a.queuedBytes(2) > bound - message.length - Frames.HEADER_BYTES;
            }
        }
        assertThat(full).as("the send queue filled behind the stalled peer").isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(slowestSendNanos)).as("slowest send, ms").isLessThan(1_000);
        TcpTransport.Metrics m = a.metrics();
        assertThat(m.framesSentBySender()).as("frames written by the sender before the socket filled").isPositive();
        assertThat(m.writeTimeouts()).isZero();
        assertThat(a.isConnected(2)).isTrue();
        // The sender's thread still returns at once (refused: the queue is full) while the writer is stuck
        // in its blocking write.
        long start = System.nanoTime();
        assertThat(a.send(2, buffer(message), 0, message.length)).isFalse();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1_000);
    }
}
