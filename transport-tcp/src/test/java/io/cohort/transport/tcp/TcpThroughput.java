package io.cohort.transport.tcp;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A rough one-way throughput measurement between two transports on loopback (not a test; belongs with
 * the benchmarks). Arguments: message size in bytes, message count, "tls" or "plain".
 */
public final class TcpThroughput {
    private TcpThroughput() {
    }

    /** Runs one measurement and prints messages/s and MB/s. */
    public static void main(String[] args) throws Exception {
        int sizeBytes = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        boolean tls = args.length > 2 && args[2].equals("tls");
        TcpTransport.Builder[] pair = Loopback.measurementPair(tls);
        AtomicLong received = new AtomicLong();
        try (TcpTransport sender = pair[0].build(); TcpTransport receiver = pair[1].build()) {
            sender.addPeer(2, receiver.localAddress());
            receiver.addPeer(1, sender.localAddress());
            receiver.start(2, (from, buffer, offset, length) -> received.incrementAndGet());
            sender.start(1, (from, buffer, offset, length) -> { });
            while (!sender.isConnected(2)) {
                Thread.sleep(1);
            }
            UnsafeBuffer message = new UnsafeBuffer(new byte[sizeBytes]);
            long refused = 0;
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                while (!sender.send(2, message, 0, sizeBytes)) {
                    refused++;
                    LockSupport.parkNanos(10_000); // like Raft: retry later, do not spin on a full queue
                }
            }
            while (received.get() < count) {
                LockSupport.parkNanos(10_000);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s %d x %d B: %.0f msg/s, %.1f MB/s, %.2f s, %d refused sends (back-pressure)%n",
                tls ? "tls" : "plain", count, sizeBytes, count / seconds, count * (double) sizeBytes / seconds / 1e6, seconds, refused);
        }
    }
}
