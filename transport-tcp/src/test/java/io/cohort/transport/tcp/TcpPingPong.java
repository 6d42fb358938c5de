package io.cohort.transport.tcp;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A rough round-trip latency measurement of the transport at one message in flight (not a test;
 * belongs with the benchmarks), shaped like a Raft exchange: on each side an application thread (the
 * Raft thread's stand-in) sends, and the transport's reader hands each message to the other side's
 * application thread, which answers. Arguments: round trips, message size in bytes, "tls" or "plain".
 * Prints the round trip's p50 / p90 / p99 / p99.9 in microseconds.
 */
public final class TcpPingPong {
    private TcpPingPong() {
    }

    /** An application thread that parks until the transport hands it a message. */
    private static final class Mailbox {
        final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        volatile Thread owner;

        void put(byte[] message) {
            queue.add(message);
            LockSupport.unpark(owner);
        }

        byte[] take(long timeoutMs) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            byte[] m;
            while ((m = queue.poll()) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no answer within " + timeoutMs + " ms");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            return m;
        }
    }

    /** Runs the measurement and prints the percentiles. */
    public static void main(String[] args) throws Exception {
        int roundTrips = Integer.parseInt(args[0]);
        int sizeBytes = Integer.parseInt(args[1]);
        boolean tls = args.length > 2 && args[2].equals("tls");
        TcpTransport.Builder[] pair = Loopback.measurementPair(tls);
        Mailbox atA = new Mailbox();
        Mailbox atB = new Mailbox();
        try (TcpTransport ta = pair[0].build(); TcpTransport tb = pair[1].build()) {
            ta.addPeer(2, tb.localAddress());
            tb.addPeer(1, ta.localAddress());
            ta.start(1, (from, buffer, offset, length) -> {
                byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                atA.put(copy);
            });
            tb.start(2, (from, buffer, offset, length) -> {
                byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                atB.put(copy);
            });
            while (!ta.isConnected(2) || !tb.isConnected(1)) {
                Thread.sleep(1);
            }
            Thread echo = new Thread(() -> {
                atB.owner = Thread.currentThread();
                UnsafeBuffer out = new UnsafeBuffer(new byte[sizeBytes]);
                try {
                    while (true) {
                        byte[] m = atB.take(60_000);
                        if (m.length == 0) {
                            return;
                        }
                        tb.send(1, out, 0, sizeBytes);
                    }
                } catch (IllegalStateException e) {
                    // the measurement ended without the stop message
                }
            }, "echo");
            echo.start();
            atA.owner = Thread.currentThread();
            UnsafeBuffer out = new UnsafeBuffer(new byte[sizeBytes]);
            int warmup = Math.min(2_000, roundTrips / 5);
            long[] rttNanos = new long[roundTrips];
            for (int i = -warmup; i < roundTrips; i++) {
                long start = System.nanoTime();
                if (!ta.send(2, out, 0, sizeBytes)) {
                    throw new IllegalStateException("send refused");
                }
                atA.take(10_000);
                if (i >= 0) {
                    rttNanos[i] = System.nanoTime() - start;
                }
            }
            ta.send(2, new UnsafeBuffer(new byte[0]), 0, 0);
            echo.join(5_000);
            Arrays.sort(rttNanos);
            System.out.printf("%s %d round trips of %d bytes: p50 %d p90 %d p99 %d p99.9 %d us; %s%n", tls ? "tls" : "plain",
                roundTrips, sizeBytes, rttNanos[roundTrips / 2] / 1000, rttNanos[roundTrips * 9 / 10] / 1000,
                rttNanos[roundTrips * 99 / 100] / 1000, rttNanos[roundTrips * 999 / 1000] / 1000, ta.metrics());
        }
    }
}
