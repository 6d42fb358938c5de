package io.cohort.transport.tcp;

import static io.cohort.transport.tcp.Loopback.awaitTrue;
import static io.cohort.transport.tcp.Loopback.buffer;
import static io.cohort.transport.tcp.Loopback.member;
import static io.cohort.transport.tcp.Loopback.sendRetrying;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.transport.tcp.Loopback.Received;
import io.cohort.transport.tcp.Loopback.Recorder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Plaintext transports on loopback: delivery, order, limits, reconnects, membership. */
class TcpTransportTest {
    private final List<TcpTransport> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(TcpTransport::close);
    }

    private TcpTransport track(TcpTransport t) {
        open.add(t);
        return t;
    }

    private static byte[] message(long from, long to, int seq, int sizeBytes) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(20, sizeBytes));
        b.putLong(from).putLong(to).putInt(seq);
        for (int i = 20; i < b.capacity(); i++) {
            b.put((byte) (seq * 31 + i));
        }
        return b.array();
    }

    @Test
    void manyMessagesBetweenThreeMembersArriveIntactAndInOrderPerSender() throws Exception {
        int members = 3;
        int perLink = 3_000;
        TcpTransport[] t = new TcpTransport[members + 1];
        Recorder[] in = new Recorder[members + 1];
        for (int id = 1; id <= members; id++) {
            // A small queue so back-pressure is hit and retried along the way.
            t[id] = track(member(id).maxFrameBytes(16 * 1024).maxSendQueueBytes(64 * 1024).build());
            in[id] = new Recorder();
        }
        for (int id = 1; id <= members; id++) {
            for (int peer = 1; peer <= members; peer++) {
                if (peer != id) {
                    t[id].addPeer(peer, t[peer].localAddress());
                }
            }
        }
        for (int id = 1; id <= members; id++) {
            t[id].start(id, in[id]);
        }
        for (int id = 1; id <= members; id++) {
            for (int peer = 1; peer <= members; peer++) {
                int from = id;
                int to = peer;
                if (peer != id) {
                    awaitTrue(from + " connected to " + to, 5_000, () -> t[from].isConnected(to));
                }
            }
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int seq = 0; seq < perLink; seq++) {
            for (int from = 1; from <= members; from++) {
                for (int to = 1; to <= members; to++) {
                    if (from != to) {
                        sendRetrying(t[from], to, message(from, to, seq, 20 + random.nextInt(2_000)), 5_000);
                    }
                }
            }
        }
        for (int to = 1; to <= members; to++) {
            List<Received> got = in[to].await((members - 1) * perLink, 20_000);
            assertThat(got).hasSize((members - 1) * perLink);
            Map<Long, Integer> nextSeq = new HashMap<>();
            for (Received r : got) {
                ByteBuffer b = ByteBuffer.wrap(r.bytes());
                long from = b.getLong();
                assertThat(from).isEqualTo(r.fromId());
                assertThat(b.getLong()).isEqualTo(to);
                int seq = b.getInt();
                assertThat(seq).as("order from %d to %d", from, to).isEqualTo(nextSeq.getOrDefault(from, 0));
                nextSeq.put(from, seq + 1);
                assertThat(r.bytes()).isEqualTo(message(from, to, seq, r.bytes().length));
            }
        }
        for (int id = 1; id <= members; id++) {
            TcpTransport.Metrics m = t[id].metrics();
            assertThat(m.framesReceived()).isEqualTo((members - 1) * perLink);
            assertThat(m.framesSent()).isEqualTo((members - 1) * perLink);
            assertThat(m.framesDropped()).isZero();
            assertThat(m.corruptFrames()).isZero();
        }
    }

    @Test
    void everyRunOfMessagesEndsWithOnDrainedOnTheReadingThreadAndNoRunIsLongerThan16() throws Exception {
        List<String> events = new ArrayList<>(); // "m" per message, "d" per drained, in order; guarded by itself
        List<String> threads = new ArrayList<>();
        java.util.concurrent.CountDownLatch firstHeld = new java.util.concurrent.CountDownLatch(1);
        TcpTransport a = track(member(1).build());
        TcpTransport b = track(member(2).build());
        assertThat(b.inboundThreadsMayBlock()).isTrue();
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        a.start(1, new Recorder());
        b.start(2, new io.cohort.raft.Transport.Inbound() {
            @Override
            public void onMessage(long fromId, org.agrona.DirectBuffer buffer, int offset, int length) {
                synchronized (events) {
                    events.add("m");
                    threads.add(Thread.currentThread().getName());
                }
                if (firstHeld.getCount() > 0) {
                    firstHeld.countDown();
                    sleepMs(200); // the rest pile up in the read buffer meanwhile: they come as runs
                }
            }

            @Override
            public void onDrained(long fromId) {
                assertThat(fromId).isEqualTo(1);
                synchronized (events) {
                    events.add("d");
                    threads.add(Thread.currentThread().getName());
                }
            }
        });
        awaitTrue("1 connected to 2", 5_000, () -> a.isConnected(2));
        int n = 300;
        sendRetrying(a, 2, new byte[] {0}, 5_000);
        firstHeld.await();
        for (int i = 1; i < n; i++) {
            sendRetrying(a, 2, new byte[] {(byte) i}, 5_000);
        }
        awaitTrue("all messages and the last run's end", 10_000, () -> {
            synchronized (events) {
                return events.stream().filter("m"::equals).count() == n && events.get(events.size() - 1).equals("d");
            }
        });
        synchronized (events) {
            int run = 0;
            int longest = 0;
            for (String e : events) {
                run = e.equals("m") ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
            assertThat(longest).as("longest run of messages without onDrained").isBetween(2, 16);
            assertThat(new java.util.HashSet<>(threads)).as("threads that delivered").hasSize(1);
        }
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void messagesUpToTheFrameLimitArriveAndLargerOnesAreRejectedWithATypedException() throws Exception {
        int limit = 4 << 20;
        Recorder in = new Recorder();
        TcpTransport a = track(member(1).maxFrameBytes(limit).maxSendQueueBytes(2 * limit + 64).build());
        TcpTransport b = track(member(2).maxFrameBytes(limit).maxSendQueueBytes(2 * limit + 64).build());
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        a.start(1, new Recorder());
        b.start(2, in);
        awaitTrue("1 connected to 2", 5_000, () -> a.isConnected(2));
        byte[] atLimit = new byte[limit];
        new SplittableRandom(1).nextBytes(atLimit);
        byte[] justBelow = new byte[limit - 1];
        new SplittableRandom(2).nextBytes(justBelow);
        sendRetrying(a, 2, atLimit, 5_000);
        sendRetrying(a, 2, justBelow, 5_000);
        sendRetrying(a, 2, new byte[0], 5_000);
        List<Received> got = in.await(3, 10_000);
        assertThat(got.get(0).bytes()).isEqualTo(atLimit);
        assertThat(got.get(1).bytes()).isEqualTo(justBelow);
        assertThat(got.get(2).bytes()).isEmpty();

        byte[] over = new byte[limit + 1];
        assertThatThrownBy(() -> a.send(2, buffer(over), 0, over.length))
            .isInstanceOf(FrameTooLargeException.class)
            .hasMessageContaining(String.valueOf(limit + 1))
            .hasMessageContaining("maxFrameBytes " + limit)
            .satisfies(e -> assertThat(((FrameTooLargeException) e).maxFrameBytes()).isEqualTo(limit));
    }

    @Test
    void aFrameOverTheReceiversLimitClosesTheConnectionAndIsNotDelivered() throws Exception {
        Recorder in = new Recorder();
        TcpTransport sender = track(member(1).maxFrameBytes(1 << 20).build());
        TcpTransport receiver = track(member(2).maxFrameBytes(64 * 1024).build());
        sender.addPeer(2, receiver.localAddress());
        receiver.addPeer(1, sender.localAddress());
        sender.start(1, new Recorder());
        receiver.start(2, in);
        awaitTrue("connected", 5_000, () -> sender.isConnected(2));
        sendRetrying(sender, 2, new byte[100], 5_000);
        in.await(1, 5_000);
        sendRetrying(sender, 2, new byte[64 * 1024 + 1], 5_000);
        awaitTrue("receiver rejects the frame", 5_000, () -> receiver.metrics().corruptFrames() == 1);
        // The sender notices the closed connection and redials; small messages flow again.
        awaitTrue("flows again", 10_000, () -> {
            sender.send(2, buffer(new byte[7]), 0, 7);
            return in.count() >= 2;
        });
        assertThat(in.snapshot()).allSatisfy(r -> assertThat(r.bytes().length).isLessThanOrEqualTo(100));
    }

    @Test
    void aPeerThatComesBackIsReconnectedWithoutAction() throws Exception {
        TcpTransport a = track(member(1).build());
        Recorder inB = new Recorder();
        TcpTransport b = member(2).build();
        int portB = b.localAddress().getPort();
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        Recorder inA = new Recorder();
        a.start(1, inA);
        b.start(2, inB);
        awaitTrue("1 -> 2 flows", 5_000, () -> a.send(2, buffer(new byte[] {1}), 0, 1) && inB.count() > 0);
        b.close();
        // While 2 is down, sends are queued then dropped (never more than the bound) and 1 keeps redialing.
        Thread.sleep(300);
        Recorder inB2 = new Recorder();
        TcpTransport b2 = track(member(2).listen(new java.net.InetSocketAddress("127.0.0.1", portB)).build());
        b2.addPeer(1, a.localAddress());
        b2.start(2, inB2);
        awaitTrue("1 -> restarted 2 flows", 10_000, () -> {
            a.send(2, buffer(new byte[] {2}), 0, 1);
            return inB2.count() > 0;
        });
        awaitTrue("restarted 2 -> 1 flows", 10_000, () -> {
            b2.send(1, buffer(new byte[] {3}), 0, 1);
            return inA.snapshot().stream().anyMatch(r -> r.bytes()[0] == 3);
        });
        assertThat(a.metrics().reconnects()).isGreaterThanOrEqualTo(1);
        assertThat(inB2.snapshot()).allSatisfy(r -> assertThat(r.bytes()).containsExactly(2));
    }

    @Test
    void peersCanBeAddedAndRemovedAtRuntime() throws Exception {
        Recorder inA = new Recorder();
        TcpTransport a = track(member(1).build());
        TcpTransport b = track(member(2).build());
        b.addPeer(1, a.localAddress());
        a.start(1, inA);
        b.start(2, new Recorder());
        // 1 does not know 2 yet: 2's connection is refused, and 1 cannot send to 2.
        awaitTrue("2 refused by 1", 5_000, () -> b.metrics().handshakesRefused() >= 1 && a.metrics().handshakesRefused() >= 1);
        assertThat(a.send(2, buffer(new byte[1]), 0, 1)).isFalse();
        assertThat(inA.count()).isZero();

        a.addPeer(2, b.localAddress());
        a.addPeer(2, b.localAddress()); // again at the same address: nothing changes
        assertThat(a.peers()).containsOnlyKeys(2L);
        awaitTrue("2 -> 1 flows after addPeer", 10_000, () -> {
            b.send(1, buffer(new byte[] {9}), 0, 1);
            return inA.count() > 0;
        });
        awaitTrue("1 connected to 2", 5_000, () -> a.isConnected(2));

        assertThat(a.removePeer(2)).isTrue();
        assertThat(a.removePeer(2)).isFalse();
        assertThat(a.peers()).isEmpty();
        assertThat(a.send(2, buffer(new byte[1]), 0, 1)).isFalse();
        long refusedBefore = a.metrics().handshakesRefused();
        int receivedBefore = inA.count();
        // 2's connection was closed; its redials are refused again and nothing more is delivered.
        awaitTrue("2 refused again", 10_000, () -> {
            b.send(1, buffer(new byte[] {8}), 0, 1);
            return a.metrics().handshakesRefused() > refusedBefore;
        });
        Thread.sleep(100);
        assertThat(inA.count()).isEqualTo(receivedBefore);
        assertThat(inA.snapshot()).allSatisfy(r -> assertThat(r.bytes()).containsExactly(9));
    }

    @Test
    void invalidSettingsAreRejectedWithWhatIsWrong() {
        assertThatThrownBy(() -> member(1).maxFrameBytes(1 << 20).maxSendQueueBytes(1 << 20).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("maxSendQueueBytes 1048576 cannot hold one frame of maxFrameBytes 1048576");
        assertThatThrownBy(() -> member(1).peer(1, Loopback.anyPort()).build())
            .hasMessageContaining("cannot be its own peer");
        assertThatThrownBy(() -> TcpTransport.builder().memberId(1).listen(Loopback.anyPort()).build())
            .hasMessageContaining("clusterId is required");
        assertThatThrownBy(() -> member(0)).hasMessageContaining("memberId must be > 0");
        assertThatThrownBy(() -> TcpTransport.builder().clusterId("x".repeat(256)))
            .hasMessageContaining("1 to 255 UTF-8 bytes");
        TcpTransport t = track(member(1).build());
        assertThatThrownBy(() -> t.start(2, new Recorder())).hasMessageContaining("belongs to member 1, not 2");
        assertThatThrownBy(() -> t.addPeer(1, Loopback.anyPort())).hasMessageContaining("cannot be its own peer");
    }
}
