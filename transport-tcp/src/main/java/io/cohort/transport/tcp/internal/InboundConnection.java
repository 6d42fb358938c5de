package io.cohort.transport.tcp.internal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.zip.CRC32C;
import javax.net.ssl.SSLException;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection on its own thread: TLS handshake (if on), hello check, then frames read,
 * checked (length bound, CRC32C) and delivered in order until the connection ends. A bad frame
 * closes the connection and is logged; it is never delivered.
 */
public final class InboundConnection implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InboundConnection.class);
    private static final int READ_BUFFER_BYTES = 64 * 1024;
    /** Most messages delivered before the consensus layer is told of a run's end ({@code drained}) anyway. */
    private static final int MAX_RUN_MESSAGES = 16;
    /** Messages delivered since the last {@code drained} (reading thread only). */
    private int deliveredSinceDrained;

    private final Settings settings;
    private final Counters counters;
    private final InboundHandler handler;
    private final Socket raw;
    private final Runnable onExit;
    private final CRC32C crc = new CRC32C();
    private volatile boolean closed;
    private volatile Connection connection;
    private volatile long memberId;

    /** Serves {@code raw}; {@code onExit} runs when the thread ends. */
    public InboundConnection(Settings settings, Counters counters, InboundHandler handler, Socket raw, Runnable onExit) {
        this.settings = settings;
        this.counters = counters;
        this.handler = handler;
        this.raw = raw;
        this.onExit = onExit;
    }

    /** The member on the other side once its hello was accepted, else 0. */
    public long memberId() {
        return memberId;
    }

    /** Closes the connection; the reading thread ends soon after. */
    public void close() {
        closed = true;
        Connection c = connection;
        if (c != null) {
            c.close();
        } else {
            try {
                raw.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void run() {
        String remote = String.valueOf(raw.getRemoteSocketAddress());
        long self = settings.memberId();
        try {
            connection = Connection.accept(settings, raw);
            if (closed) {
                return;
            }
            FrameReadBuffer buffered = new FrameReadBuffer(connection.socket().getInputStream(), READ_BUFFER_BYTES);
            DataInputStream in = new DataInputStream(buffered);
            Handshake.Hello hello = Handshake.readHello(in);
            InboundHandler.Refusal refusal = handler.admit(hello, connection.peerCommonName());
            if (refusal != null) {
                counters.handshakesRefused.incrementAndGet();
                refused(remote, "it claims member " + hello.fromMemberId() + " of cluster '" + hello.clusterId() + "': " + refusal.reason());
                Handshake.writeReply(connection.socket().getOutputStream(), refusal.status(), refusal.reason());
                return;
            }
            Handshake.writeReply(connection.socket().getOutputStream(), Handshake.ACCEPTED, "");
            connection.readTimeoutMs(0); // an idle peer is normal; a dead one is noticed by its redial
            memberId = hello.fromMemberId();
            handler.register(memberId, this);
            LOG.debug("member {}: accepted a connection from member {} at {}", self, memberId, remote);
            readFrames(in, buffered, remote);
        } catch (SSLException e) {
            counters.tlsHandshakesFailed.incrementAndGet();
            if (!closed) {
                refused(remote, "TLS handshake failed: " + e.getMessage());
            }
        } catch (ProtocolException e) {
            refused(remote, e.getMessage());
        } catch (SocketTimeoutException e) {
            refused(remote, "no handshake within " + settings.handshakeTimeoutMs() + " ms");
        } catch (EOFException e) {
            if (!closed) {
                LOG.debug("member {}: connection from {} (member {}) closed by the peer", self, remote, memberId);
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.info("member {}: connection from {} (member {}) ended: {}", self, remote, memberId, e.toString());
            }
        } catch (RuntimeException e) {
            LOG.error("member {}: connection from {} (member {}) failed", self, remote, memberId, e);
        } finally {
            close();
            handler.unregister(this);
            onExit.run();
        }
    }

    /** Logs a refused connection: WARN the first time (per remote host and reason, per minute), DEBUG after. */
    private void refused(String remote, String why) {
        String host = raw.getInetAddress() == null ? remote : raw.getInetAddress().getHostAddress();
        if (handler.isNews(host + " " + why)) {
            LOG.warn("member {}: refused a connection from {}: {}", settings.memberId(), remote, why);
        } else {
            LOG.debug("member {}: refused a connection from {}: {} (again)", settings.memberId(), remote, why);
        }
    }

    private void readFrames(DataInputStream in, FrameReadBuffer buffered, String remote) throws IOException {
        try {
            readFramesUntilEnd(in, buffered, remote);
        } finally {
            if (deliveredSinceDrained > 0) {
                handler.drained(memberId); // what was delivered is not left waiting when the connection ends
            }
        }
    }

    private void readFramesUntilEnd(DataInputStream in, FrameReadBuffer buffered, String remote) throws IOException {
        byte[] payload = new byte[Math.min(READ_BUFFER_BYTES, settings.maxFrameBytes())];
        UnsafeBuffer view = new UnsafeBuffer(payload);
        while (!closed) {
            int length = in.readInt();
            int expectedCrc = in.readInt();
            if (length < 0 || length > settings.maxFrameBytes()) {
                counters.corruptFrames.incrementAndGet();
                LOG.warn("member {}: closing the connection from member {} at {}: frame length {} is outside [0, maxFrameBytes {}]"
                    + " (corrupt stream, or the members disagree on maxFrameBytes)",
                    settings.memberId(), memberId, remote, length, settings.maxFrameBytes());
                return;
            }
            if (length > payload.length) {
                payload = new byte[(int) Math.min(settings.maxFrameBytes(), Math.max(length, 2L * payload.length))];
                view.wrap(payload);
            }
            in.readFully(payload, 0, length);
            crc.reset();
            crc.update(payload, 0, length);
            int actualCrc = (int) crc.getValue();
            if (actualCrc != expectedCrc) {
                counters.corruptFrames.incrementAndGet();
                LOG.warn("member {}: closing the connection from member {} at {}: corrupt frame of {} bytes,"
                    + " CRC32C in header 0x{} but payload hashes to 0x{}; frame dropped",
                    settings.memberId(), memberId, remote, length, Integer.toHexString(expectedCrc), Integer.toHexString(actualCrc));
                return;
            }
            if (closed) {
                return;
            }
            counters.framesReceived.incrementAndGet();
            handler.deliver(memberId, view, 0, length);
            if (++deliveredSinceDrained == MAX_RUN_MESSAGES || !buffered.holdsWholeFrame()) {
                deliveredSinceDrained = 0;
                handler.drained(memberId);
            }
        }
    }

    /** The read buffer, which can tell (without a system call) whether the next frame is already wholly in it. */
    static final class FrameReadBuffer extends BufferedInputStream {
        FrameReadBuffer(java.io.InputStream in, int sizeBytes) {
            super(in, sizeBytes);
        }

        /** True if a whole frame (header and payload) is buffered: the next read will not wait for the peer. */
        boolean holdsWholeFrame() {
            int n = count - pos;
            if (n < Frames.HEADER_BYTES) {
                return false;
            }
            int length = Frames.getInt(buf, pos);
            return length >= 0 && n - Frames.HEADER_BYTES >= length;
        }
    }
}
