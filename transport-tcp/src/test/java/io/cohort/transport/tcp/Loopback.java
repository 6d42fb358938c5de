package io.cohort.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.raft.Transport;
import io.cohort.transport.tcp.internal.Handshake;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Test helpers: transports on 127.0.0.1, an inbound that records, bounded waits. */
final class Loopback {
    static final String CLUSTER = "test-cluster";

    private Loopback() {
    }

    static InetSocketAddress anyPort() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    /** A builder for member {@code id} on a free loopback port with quick reconnects. */
    static TcpTransport.Builder member(long id) {
        return TcpTransport.builder().clusterId(CLUSTER).memberId(id).listen(anyPort())
            .reconnectBackoffMs(10, 200).connectTimeoutMs(1_000).handshakeTimeoutMs(2_000);
    }

    /**
     * Builders of members 1 and 2 on free loopback ports with the default settings, with mutual TLS if {@code tls}:
     * the two ends of the rough measurements ({@link TcpThroughput}, {@link TcpPingPong}).
     */
    static TcpTransport.Builder[] measurementPair(boolean tls) throws Exception {
        TcpTransport.Builder a = TcpTransport.builder().clusterId("bench").memberId(1).listen(anyPort());
        TcpTransport.Builder b = TcpTransport.builder().clusterId("bench").memberId(2).listen(anyPort());
        if (tls) {
            TestPki pki = TestPki.create(Files.createTempDirectory("tcp-bench-pki"), "ca", List.of("1", "2"), "other", "rogue");
            a.tls(pki.pem("1", "ca"));
            b.tls(pki.pem("2", "ca"));
        }
        return new TcpTransport.Builder[] {a, b};
    }

    /**
     * A peer at the returned socket that accepts one connection, answers its hello, then never reads again. The
     * server and the accepted socket go to {@code track} (to be closed); {@code receiveBufferBytes} 0 keeps the default.
     */
    static ServerSocket neverReadingPeer(Consumer<AutoCloseable> track, int receiveBufferBytes) throws IOException {
        ServerSocket server = new ServerSocket();
        track.accept(server);
        if (receiveBufferBytes > 0) {
            server.setReceiveBufferSize(receiveBufferBytes);
        }
        server.bind(anyPort());
        Thread acceptor = new Thread(() -> {
            try {
                Socket s = server.accept();
                track.accept(s);
                Handshake.readHello(s.getInputStream());
                Handshake.writeReply(s.getOutputStream(), Handshake.ACCEPTED, "");
                // ...and never read again.
            } catch (IOException e) {
                // the test fails on its own assertions
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return server;
    }

    /** One received message. */
    record Received(long fromId, byte[] bytes) {
    }

    /** Records every message delivered to it. */
    static class Recorder implements Transport.Inbound {
        private final List<Received> received = new ArrayList<>();

        @Override
        public synchronized void onMessage(long fromId, DirectBuffer buffer, int offset, int length) {
            byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            received.add(new Received(fromId, copy));
            notifyAll();
        }

        synchronized List<Received> snapshot() {
            return new ArrayList<>(received);
        }

        synchronized int count() {
            return received.size();
        }

        /** Waits up to {@code timeoutMs} until at least {@code n} messages arrived; returns them all. */
        synchronized List<Received> await(int n, long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (received.size() < n) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    break;
                }
                wait(left);
            }
            assertThat(received).as("messages received within %d ms", timeoutMs).hasSizeGreaterThanOrEqualTo(n);
            return new ArrayList<>(received);
        }
    }

    /** Waits up to {@code timeoutMs} for {@code condition}; fails with {@code what} if it never holds. */
    static void awaitTrue(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    static UnsafeBuffer buffer(byte[] bytes) {
        return new UnsafeBuffer(bytes);
    }

    /** Sends, retrying while the queue is full, for up to {@code timeoutMs}. */
    static void sendRetrying(TcpTransport t, long toId, byte[] bytes, long timeoutMs) throws InterruptedException {
        UnsafeBuffer b = new UnsafeBuffer(bytes);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!t.send(toId, b, 0, bytes.length)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("send to " + toId + " refused for " + timeoutMs + " ms");
            }
            Thread.sleep(1);
        }
    }
}
