package io.cohort.transport.tcp.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLException;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound side towards one peer: its bounded {@link SendRing} and the thread that dials the
 * peer, does the handshake, and writes queued frames in batches. On any failure the connection is
 * closed, queued frames are dropped (delivery is at most once; Raft retries), and the thread redials
 * after an exponential {@link Backoff} with jitter, forever, until {@link #close()}.
 */
public final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);
    private static final long IDLE_WAIT_MS = 100;

    private final Settings settings;
    private final Counters counters;
    private final long peerId;
    private final InetSocketAddress address;
    private final SendRing ring;
    private final Backoff backoff;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean connected;
    /** When the write in progress started (System.nanoTime), or 0 when not writing. */
    private volatile long writeStartedNanos;
    private Connection connection; // guarded by this
    private Socket dialing; // guarded by this: the socket of a dial in progress, closed by stop()

    /** A link to {@code peerId} at {@code address}; call {@link #start()} to begin dialing. */
    public PeerLink(Settings settings, Counters counters, long peerId, InetSocketAddress address) {
        this.settings = settings;
        this.counters = counters;
        this.peerId = peerId;
        this.address = address;
        this.ring = new SendRing(settings.maxSendQueueBytes());
        this.backoff = new Backoff(settings.reconnectMinMs(), settings.reconnectMaxMs());
        this.thread = new Thread(this::run, "cohort-tcp-" + settings.memberId() + "-to-" + peerId);
        this.thread.setDaemon(true);
    }

    /** Starts the writer thread. */
    public void start() {
        thread.start();
    }

    /** The peer's address as configured. */
    public InetSocketAddress address() {
        return address;
    }

    /** Queues one message; false if the send queue is full or the link is closed. */
    public boolean offer(DirectBuffer buffer, int offset, int length) {
        return ring.offer(buffer, offset, length);
    }

    /** True while an accepted outbound connection is open. */
    public boolean connected() {
        return connected;
    }

    /** Bytes waiting in the send queue. */
    public long queuedBytes() {
        return ring.queuedBytes();
    }

    /** Bytes allocated for the send queue (at most the configured bound). */
    public int allocatedBytes() {
        return ring.allocatedBytes();
    }

    /**
     * Closes the connection if a write has been stalled longer than the write timeout: blocking
     * sockets have no write timeout, and a peer that stopped reading (or a host that vanished without
     * a reset) would otherwise hold the link forever. The writer then redials.
     */
    public void closeIfStalled(long nowNanos) {
        long started = writeStartedNanos;
        if (started == 0 || nowNanos - started < TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMs())) {
            return;
        }
        synchronized (this) {
            if (connection != null && writeStartedNanos == started) {
                LOG.warn("member {}: a write to member {} at {} has stalled for {} ms (writeTimeoutMs {}): the peer is not"
                    + " reading or is unreachable; closing the connection", settings.memberId(), peerId, address,
                    TimeUnit.NANOSECONDS.toMillis(nowNanos - started), settings.writeTimeoutMs());
                counters.writeTimeouts.incrementAndGet();
                connection.close();
            }
        }
    }

    /** Stops the writer, closes the connection and drops what is queued; waits up to {@code joinMs}. */
    public void close(long joinMs) {
        stop();
        awaitStopped(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(joinMs));
    }

    /** Stops the writer, closes the connection and drops what is queued, without waiting. Idempotent. */
    public void stop() {
        if (closed && !thread.isAlive()) {
            return;
        }
        closed = true;
        counters.framesDropped.addAndGet(ring.close());
        synchronized (this) {
            if (connection != null) {
                connection.close();
            }
            if (dialing != null) {
                try {
                    dialing.close(); // aborts a connect or TLS handshake in progress
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        LockSupport.unpark(thread);
    }

    /** Waits until the writer thread has ended or {@code deadlineNanos} (System.nanoTime) has passed. */
    public void awaitStopped(long deadlineNanos) {
        if (Thread.currentThread() == thread || !thread.isAlive()) {
            return;
        }
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        try {
            thread.join(Math.max(1, leftMs));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("member {}: the link to member {} did not stop in time (a dial or TLS handshake in progress); it"
                + " will exit on its own", settings.memberId(), peerId);
        }
    }

    private void run() {
        try {
            dialAndWriteUntilClosed();
        } catch (RuntimeException | Error e) {
            LOG.error("member {}: the link to member {} failed and stopped; messages to it are refused", settings.memberId(), peerId, e);
            closed = true;
            counters.framesDropped.addAndGet(ring.close());
            throw e;
        }
    }

    private void dialAndWriteUntilClosed() {
        SendRing.Batch batch = new SendRing.Batch();
        boolean everConnected = false;
        boolean reportedUnreachable = false;
        String lastRefusal = null; // a refusal repeated on every redial is logged at WARN once, then at DEBUG
        while (!closed) {
            Connection c;
            try {
                c = dial();
            } catch (RefusedException e) {
                counters.handshakesRefused.incrementAndGet();
                String why = "connection to member " + peerId + " at " + address + " refused: " + e.getMessage();
                logRefusal(why, lastRefusal);
                lastRefusal = why;
                afterFailure();
                continue;
            } catch (SSLException e) {
                counters.tlsHandshakesFailed.incrementAndGet();
                String why = "TLS handshake with member " + peerId + " at " + address + " failed: " + e.getMessage();
                logRefusal(why, lastRefusal);
                lastRefusal = why;
                afterFailure();
                continue;
            } catch (IOException e) {
                if (!closed) {
                    if (!reportedUnreachable) {
                        LOG.info("member {}: cannot reach member {} at {} ({}); retrying with backoff up to {} ms",
                            settings.memberId(), peerId, address, e.toString(), settings.reconnectMaxMs());
                        reportedUnreachable = true;
                    } else {
                        LOG.debug("member {}: member {} at {} still unreachable: {}", settings.memberId(), peerId, address, e.toString());
                    }
                }
                afterFailure();
                continue;
            }
            if (c == null) {
                break; // closed while dialing
            }
            backoff.reset();
            reportedUnreachable = false;
            lastRefusal = null;
            counters.connectionsOpened.incrementAndGet();
            if (everConnected) {
                counters.reconnects.incrementAndGet();
            }
            everConnected = true;
            LOG.info("member {}: connected to member {} at {}{}", settings.memberId(), peerId, address, settings.tls() ? " (mutual TLS)" : "");
            writeUntilFailure(c, batch);
            synchronized (this) {
                connection = null;
                connected = false;
            }
            c.close();
            if (!closed) {
                afterFailure();
            }
        }
    }

    private void logRefusal(String why, String lastRefusal) {
        if (closed) {
            return;
        }
        if (why.equals(lastRefusal)) {
            LOG.debug("member {}: {} (again)", settings.memberId(), why);
        } else {
            LOG.warn("member {}: {}; retrying with backoff up to {} ms", settings.memberId(), why, settings.reconnectMaxMs());
        }
    }

    private synchronized void dialing(Socket raw) {
        dialing = raw;
        if (closed) {
            try {
                raw.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** Dials and does the handshake; returns null if the link was closed meanwhile. */
    private Connection dial() throws IOException {
        // A fresh address each time, so a peer whose name now resolves elsewhere is found.
        InetSocketAddress target = new InetSocketAddress(address.getHostString(), address.getPort());
        Connection c;
        try {
            c = Connection.dial(settings, target, this::dialing);
        } finally {
            synchronized (this) {
                dialing = null;
            }
        }
        synchronized (this) {
            if (closed) {
                c.close();
                return null;
            }
            connection = c;
        }
        try {
            if (settings.memberIdInCommonName() && !Long.toString(peerId).equals(c.peerCommonName())) {
                throw new RefusedException("its certificate names CN=" + c.peerCommonName() + ", not member " + peerId
                    + "; refusing to send to it");
            }
            OutputStream out = c.socket().getOutputStream();
            Handshake.writeHello(out, settings.clusterId(), settings.memberId(), peerId);
            Handshake.Reply reply = Handshake.readReply(c.socket().getInputStream());
            if (!reply.accepted()) {
                throw new RefusedException(reply.reason());
            }
            if (reply.version() != Handshake.PROTOCOL_VERSION) {
                throw new RefusedException("it speaks protocol version " + reply.version() + ", we speak " + Handshake.PROTOCOL_VERSION);
            }
            c.readTimeoutMs(0); // nothing is read after the handshake
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                connection = null;
            }
            c.close();
            throw e;
        }
        connected = true;
        return c;
    }

    private void writeUntilFailure(Connection c, SendRing.Batch batch) {
        try {
            OutputStream out = c.socket().getOutputStream();
            while (!closed) {
                if (!ring.take(batch, settings.maxBatchBytes(), IDLE_WAIT_MS)) {
                    return; // closed
                }
                if (batch.frames() == 0) {
                    continue;
                }
                // One write per contiguous run of frames (two when it wraps): batching for free.
                writeStartedNanos = Math.max(1, System.nanoTime());
                out.write(batch.array(), batch.firstIndex(), batch.firstLength());
                if (batch.secondLength() > 0) {
                    out.write(batch.array(), 0, batch.secondLength());
                }
                out.flush();
                writeStartedNanos = 0;
                counters.framesSent.addAndGet(batch.frames());
                ring.release(batch);
            }
        } catch (IOException e) {
            writeStartedNanos = 0;
            if (!closed) {
                LOG.info("member {}: connection to member {} at {} lost: {}", settings.memberId(), peerId, address, e.toString());
            }
            if (batch.frames() > 0) {
                counters.framesDropped.addAndGet(batch.frames());
                ring.release(batch);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Drops what is queued (it would be stale, and Raft resends) and sleeps the backoff delay. */
    private void afterFailure() {
        counters.framesDropped.addAndGet(ring.clear());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff.nextDelayMs());
        long left;
        while (!closed && (left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
    }

    /** The peer answered our hello with a refusal. */
    private static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String reason) {
            super(reason);
        }
    }
}
