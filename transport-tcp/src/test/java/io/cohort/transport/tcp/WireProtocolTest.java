package io.cohort.transport.tcp;

import static io.cohort.transport.tcp.Loopback.awaitTrue;
import static io.cohort.transport.tcp.Loopback.buffer;
import static io.cohort.transport.tcp.Loopback.member;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.transport.tcp.Loopback.Recorder;
import io.cohort.transport.tcp.internal.Frames;
import io.cohort.transport.tcp.internal.Handshake;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A transport facing a hand-written peer on a plain socket: framing, checksums, handshake, back-pressure. */
class WireProtocolTest {
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

    /** A transport of member 2 that knows member 1 (at an address nobody listens on: it only receives here). */
    private TcpTransport receiver(Recorder in) {
        TcpTransport t = track(member(2).peer(1, new InetSocketAddress("127.0.0.1", 1)).reconnectBackoffMs(1_000, 1_000).build());
        t.start(2, in);
        return t;
    }

    private Socket dial(TcpTransport t) throws IOException {
        Socket s = track(new Socket());
        s.connect(t.localAddress(), 2_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static void writeFrame(OutputStream out, byte[] payload, boolean corruptChecksum) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] header = new byte[Frames.HEADER_BYTES];
        Frames.putInt(header, 0, payload.length);
        Frames.putInt(header, 4, (int) crc.getValue() ^ (corruptChecksum ? 1 : 0));
        out.write(header);
        out.write(payload);
        out.flush();
    }

    /** True once the other side has closed the connection (read sees end of stream or a reset). */
    private static boolean closedByPeer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketException e) {
            return true;
        }
    }

    @Test
    void aFrameWithABadChecksumClosesTheConnectionAndIsNeverDelivered() throws Exception {
        Recorder in = new Recorder();
        TcpTransport t = receiver(in);
        Socket s = dial(t);
        OutputStream out = s.getOutputStream();
        Handshake.writeHello(out, Loopback.CLUSTER, 1, 2);
        assertThat(Handshake.readReply(s.getInputStream()).accepted()).isTrue();

        writeFrame(out, new byte[] {1, 2, 3}, false);
        writeFrame(out, new byte[] {4, 5, 6}, true);
        try {
            writeFrame(out, new byte[] {7, 8, 9}, false);
        } catch (SocketException e) {
            // the receiver may already have closed the connection
        }
        assertThat(closedByPeer(s)).as("connection closed by the receiver").isTrue();
        awaitTrue("corrupt frame counted", 5_000, () -> t.metrics().corruptFrames() == 1);
        Thread.sleep(50);
        assertThat(in.snapshot()).hasSize(1);
        assertThat(in.snapshot().get(0).bytes()).containsExactly(1, 2, 3);
        assertThat(in.snapshot().get(0).fromId()).isEqualTo(1);
        assertThat(t.metrics().framesReceived()).isEqualTo(1);
    }

    @Test
    void aHelloFromAnotherClusterIsRefusedWithTheReason() throws Exception {
        Recorder in = new Recorder();
        TcpTransport t = receiver(in);
        Socket s = dial(t);
        Handshake.writeHello(s.getOutputStream(), "other-cluster", 1, 2);
        Handshake.Reply reply = Handshake.readReply(s.getInputStream());
        assertThat(reply.accepted()).isFalse();
        assertThat(reply.status()).isEqualTo(Handshake.WRONG_CLUSTER);
        assertThat(reply.reason()).contains("'other-cluster'").contains("'" + Loopback.CLUSTER + "'");
        // Frames after a refusal go nowhere: the connection is closed.
        try {
            writeFrame(s.getOutputStream(), new byte[] {1}, false);
        } catch (SocketException e) {
            // already closed
        }
        assertThat(closedByPeer(s)).isTrue();
        assertThat(in.count()).isZero();
        assertThat(t.metrics().handshakesRefused()).isEqualTo(1);
    }

    @Test
    void aHelloFromAnUnknownMemberIsRefusedWithTheReason() throws Exception {
        Recorder in = new Recorder();
        TcpTransport t = receiver(in);
        Socket s = dial(t);
        Handshake.writeHello(s.getOutputStream(), Loopback.CLUSTER, 9, 2);
        Handshake.Reply reply = Handshake.readReply(s.getInputStream());
        assertThat(reply.status()).isEqualTo(Handshake.UNKNOWN_MEMBER);
        assertThat(reply.reason()).contains("member 9 is not a peer of member 2");
        assertThat(closedByPeer(s)).isTrue();

        Socket wrongTarget = dial(t);
        Handshake.writeHello(wrongTarget.getOutputStream(), Loopback.CLUSTER, 1, 3);
        assertThat(Handshake.readReply(wrongTarget.getInputStream()).status()).isEqualTo(Handshake.WRONG_TARGET);

        Socket garbage = dial(t);
        garbage.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(closedByPeer(garbage)).isTrue();
        assertThat(in.count()).isZero();
        assertThat(t.metrics().handshakesRefused()).isEqualTo(2);
    }

    @Test
    void transportsOfDifferentClustersRefuseEachOtherOnBothSides() throws Exception {
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        TcpTransport a = track(member(1).clusterId("cluster-a").build());
        TcpTransport b = track(member(2).clusterId("cluster-b").build());
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        a.start(1, inA);
        b.start(2, inB);
        awaitTrue("both dialers refused and both acceptors refusing", 5_000, () -> {
            a.send(2, buffer(new byte[1]), 0, 1);
            b.send(1, buffer(new byte[1]), 0, 1);
            // Each side refuses the other's hello and is refused by the other: 2 counts each.
            return a.metrics().handshakesRefused() >= 2 && b.metrics().handshakesRefused() >= 2;
        });
        assertThat(a.isConnected(2)).isFalse();
        assertThat(b.isConnected(1)).isFalse();
        assertThat(inA.count()).isZero();
        assertThat(inB.count()).isZero();
        assertThat(a.metrics().framesSent()).isZero();
    }

    @Test
    void aWriteStalledPastTheWriteTimeoutClosesTheConnectionAndFreesTheQueue() throws Exception {
        ServerSocket server = Loopback.neverReadingPeer(this::track, 4096);
        int bound = 256 * 1024;
        TcpTransport t = track(member(1).maxFrameBytes(16 * 1024).maxSendQueueBytes(bound).writeTimeoutMs(300)
            .handshakeTimeoutMs(300).peer(2, (InetSocketAddress) server.getLocalSocketAddress()).build());
        t.start(1, new Recorder());
        awaitTrue("connected", 5_000, () -> t.isConnected(2));
        byte[] message = new byte[16 * 1024];
        awaitTrue("a write stalls and is cut", 20_000, () -> {
            t.send(2, buffer(message), 0, message.length);
            return t.metrics().writeTimeouts() >= 1;
        });
        // The stalled connection is gone with what was queued for it; redials get no answer (the peer
        // accepts nothing more), so the queue is emptied again after each failed attempt.
        awaitTrue("disconnected and dropped", 5_000, () -> !t.isConnected(2) && t.metrics().framesDropped() > 0);
        awaitTrue("queue emptied", 5_000, () -> t.queuedBytes(2) == 0);
        assertThat(t.metrics().connectionsOpened()).isEqualTo(1);
    }

    @Test
    void aPeerThatNeverReadsMakesSendReturnFalseWithinTheBound() throws Exception {
        ServerSocket server = Loopback.neverReadingPeer(this::track, 4096);
        int bound = 256 * 1024;
        TcpTransport t = track(member(1).maxFrameBytes(16 * 1024).maxSendQueueBytes(bound).peer(2, (InetSocketAddress) server.getLocalSocketAddress()).build());
        t.start(1, new Recorder());
        awaitTrue("connected", 5_000, () -> t.isConnected(2));
        byte[] message = new byte[16 * 1024];
        long accepted = 0;
        boolean stuck = false;
        // Kernel buffers absorb some megabytes first (refusals meanwhile are transient: the writer
        // drains); 64 MiB is far more than they hold. Stop once the queue stays full.
        for (int i = 0; i < 4096 && !stuck; i++) {
            if (t.send(2, buffer(message), 0, message.length)) {
                accepted++;
            } else {
                Thread.sleep(100);
                stuck = t.queuedBytes(2) > bound - message.length - Frames.HEADER_BYTES;
            }
        }
        assertThat(stuck).as("queue full and not draining after %d accepted messages", accepted).isTrue();
        assertThat(t.send(2, buffer(message), 0, message.length)).isFalse();
        assertThat(t.queuedBytes(2)).isLessThanOrEqualTo(bound).isGreaterThan(bound - message.length - Frames.HEADER_BYTES);
        assertThat(t.sendQueueAllocatedBytes(2)).isLessThanOrEqualTo(bound);
        // Still full a while later: the peer reads nothing, so nothing drains.
        Thread.sleep(200);
        assertThat(t.send(2, buffer(message), 0, message.length)).isFalse();
        assertThat(t.metrics().sendsRefused()).isGreaterThanOrEqualTo(2);
        // A small message that fits the remaining space is still accepted: the bound is in bytes.
        long free = bound - t.queuedBytes(2);
        if (free > Frames.HEADER_BYTES) {
            assertThat(t.send(2, buffer(new byte[(int) free - Frames.HEADER_BYTES]), 0, (int) free - Frames.HEADER_BYTES)).isTrue();
            assertThat(t.queuedBytes(2)).isEqualTo(bound);
        }
        assertThat(t.send(2, buffer(new byte[0]), 0, 0)).isFalse();
    }
}
