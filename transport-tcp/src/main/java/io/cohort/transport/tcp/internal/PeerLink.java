package io.cohort.transport.tcp.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLException;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound side towards one peer: its bounded {@link SendRing} and the thread that dials the
 * peer, does the handshake, and writes queued frames in batches. On any failure the connection is
 * closed, queued frames are dropped (delivery is at most once; Raft retries), and the thread redials
 * after an exponential {@link Backoff} with jitter, forever, until {@link #close()}.
 *
 * <p><b>Writes on the sender's thread (plaintext only).</b> Handing every frame to the writer thread
 * costs a thread wake-up per message on a commit's path (a Raft append out, its answer back). So
 * without TLS the socket is non-blocking between writes, and {@link #offer} writes the
 * frame itself when no one else is writing (a try-lock, never a wait): a non-blocking write copies
 * what the kernel's send buffer takes and returns, so the sender never blocks on a slow or stalled
 * peer. Whatever is left over (a full send buffer, frames queued meanwhile by others) is handed to the
 * writer thread, which finishes it in blocking mode under the write timeout, holding the write lock so
 * no sender writes in between; frames stay in order because every byte goes through the ring and only
 * the holder of the write lock takes from it. With TLS the writer thread writes everything, as the
 * {@code SSLSocket} only writes in blocking mode (and so it does when turned off in the settings).
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
    /** Held by whoever writes to the socket: a sender (never waits for it) or the writer thread. */
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The run being written; guarded by writeLock (plaintext), the writer thread's alone (TLS). */
    private final SendRing.Batch batch = new SendRing.Batch();
    /** The open plaintext connection's non-blocking channel, or null; guarded by writeLock. */
    private SocketChannel channel;
    /** Views of {@link #batch}'s array: its run before and after the wrap; guarded by writeLock. */
    private final ByteBuffer[] runViews = new ByteBuffer[2];
    private byte[] viewedArray;
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

    /**
     * Queues one message and, on a plaintext connection nobody is writing to, writes it at once on
     * this thread without blocking; false if the send queue is full or the link is closed.
     */
    public boolean offer(DirectBuffer buffer, int offset, int length) {
        if (!ring.offer(buffer, offset, length)) {
            return false;
        }
        if (settings.writesOnSenderThread()) {
            writeNowOrHandOff();
        }
        return true;
    }

    /**
     * Writes what is queued on the calling thread if the write lock is free, else (or if anything is
     * left over) wakes the writer thread. Never blocks: the lock is only tried, and the socket is in
     * non-blocking mode whenever a sender holds the lock.
     */
    private void writeNowOrHandOff() {
        // An interrupted thread must not write: the interrupt would close the channel (InterruptibleChannel).
        if (!Thread.currentThread().isInterrupted() && writeLock.tryLock()) {
            boolean leftOver;
            try {
                leftOver = writeOnceNonBlocking();
            } finally {
                writeLock.unlock();
            }
            if (!leftOver) {
                return;
            }
        }
        // The writer holds the lock (it will see the frame before it parks: the permit is kept) or
        // something is left for it.
        LockSupport.unpark(thread);
    }

    /**
     * On a sender's thread, holding writeLock: takes one run from the ring and writes what the socket
     * takes without blocking. Returns true if the writer thread must carry on (bytes or frames left, or
     * the write failed and the writer must redial); false if everything queued was written, or there is
     * no connection (the writer writes the queue once connected, or drops it with the link).
     */
    private boolean writeOnceNonBlocking() {
        assert writeLock.isHeldByCurrentThread();
        SocketChannel ch = channel;
        if (ch == null) {
            return false;
        }
        if (batch.frames() > 0) {
            return true; // a run is part-written: the writer thread finishes it
        }
        try {
            if (!pollRun()) {
                return false;
            }
            ch.write(runViews);
            if (runLeft()) {
                return true; // the send buffer is full: the writer finishes this run
            }
            counters.framesSentBySender.addAndGet(batch.frames());
            runWritten();
            return ring.queuedFrames() > 0;
        } catch (IOException e) {
            logLost(e);
            dropRun();
            closeQuietly(ch); // the writer sees the closed channel and redials
            return true;
        }
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
            if (c.channel() != null) {
                writeChannelUntilFailure(c.channel());
            } else {
                writeUntilFailure(c);
            }
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

    /** The writer thread on a plaintext connection, sharing the writes with senders (see the class comment). */
    private void writeChannelUntilFailure(SocketChannel ch) {
        try {
            writeLock.lock();
            try {
                ch.configureBlocking(false);
                channel = ch;
            } finally {
                writeLock.unlock();
            }
            while (!closed) {
                writeLock.lock();
                try {
                    if (!ch.isOpen()) {
                        return; // closed by a failed sender write, the watchdog or stop()
                    }
                    writeAllQueued(ch);
                } finally {
                    writeLock.unlock();
                }
                // Woken by a sender that left work (permit semantics: an unpark before this park counts).
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MS));
            }
        } catch (IOException e) {
            logLost(e);
        } finally {
            writeStartedNanos = 0;
            writeLock.lock();
            try {
                dropRun();
                channel = null;
            } finally {
                writeLock.unlock();
            }
        }
    }

    /**
     * The writer thread, holding writeLock: writes the run left by a sender and everything queued. A
     * run the socket does not take at once is finished in blocking mode under the write timeout (the
     * watchdog closes the channel, which ends the write); the channel is non-blocking again before the
     * lock is released.
     */
    private void writeAllQueued(SocketChannel ch) throws IOException {
        assert writeLock.isHeldByCurrentThread();
        while (!closed) {
            if (batch.frames() == 0 && !pollRun()) {
                return;
            }
            ch.write(runViews);
            if (runLeft()) {
                writeStartedNanos = Math.max(1, System.nanoTime());
                ch.configureBlocking(true);
                while (runLeft()) {
                    ch.write(runViews);
                }
                ch.configureBlocking(false);
                writeStartedNanos = 0;
            }
            runWritten();
        }
    }

    /**
     * Takes the run of whole frames at the head of the ring into {@link #batch} and points {@link #runViews}
     * at it; false if there is none (or the ring is closed). The last run must have been released.
     */
    private boolean pollRun() {
        if (!ring.poll(batch, settings.maxBatchBytes()) || batch.frames() == 0) {
            return false;
        }
        viewRun();
        return true;
    }

    /** True while part of the run in {@link #runViews} is still to be written. */
    private boolean runLeft() {
        return runViews[0].hasRemaining() || runViews[1].hasRemaining();
    }

    /** Points {@link #runViews} at {@link #batch}'s run. */
    private void viewRun() {
        byte[] array = batch.array();
        if (array != viewedArray) {
            viewedArray = array;
            runViews[0] = ByteBuffer.wrap(array);
            runViews[1] = ByteBuffer.wrap(array);
        }
        runViews[0].clear().position(batch.firstIndex()).limit(batch.firstIndex() + batch.firstLength());
        runViews[1].clear().limit(batch.secondLength());
    }

    /** Counts and frees the run just written in full. */
    private void runWritten() {
        counters.framesSent.addAndGet(batch.frames());
        ring.release(batch);
    }

    /** Counts as dropped and frees the run being written, if any (its connection failed). */
    private void dropRun() {
        if (batch.frames() > 0) {
            counters.framesDropped.addAndGet(batch.frames());
            ring.release(batch);
        }
    }

    /** Logs a lost connection, unless the link is being closed (then the loss is ours). */
    private void logLost(IOException e) {
        if (!closed) {
            LOG.info("member {}: connection to member {} at {} lost: {}", settings.memberId(), peerId, address, e.toString());
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** The writer thread on a TLS connection: it alone writes, in blocking mode. */
    private void writeUntilFailure(Connection c) {
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
                runWritten();
            }
        } catch (IOException e) {
            writeStartedNanos = 0;
            logLost(e);
            dropRun();
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
