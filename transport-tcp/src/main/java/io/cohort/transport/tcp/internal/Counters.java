package io.cohort.transport.tcp.internal;

import java.util.concurrent.atomic.AtomicLong;

/** The running counts of one transport, updated by its threads. */
public final class Counters {
    /** Frames written to a socket. */
    public final AtomicLong framesSent = new AtomicLong();
    /** Of {@link #framesSent}, those written on the sending thread itself (plaintext, writer idle). */
    public final AtomicLong framesSentBySender = new AtomicLong();
    /** Frames received with a good checksum and handed to the inbound handler. */
    public final AtomicLong framesReceived = new AtomicLong();
    /** Queued frames discarded because their connection failed or the peer was removed. */
    public final AtomicLong framesDropped = new AtomicLong();
    /** Sends refused: unknown peer, full send queue, or closed transport. */
    public final AtomicLong sendsRefused = new AtomicLong();
    /** Frames rejected on receipt: checksum mismatch or over the size limit. */
    public final AtomicLong corruptFrames = new AtomicLong();
    /** Handshakes refused, by us or by the other side. */
    public final AtomicLong handshakesRefused = new AtomicLong();
    /** TLS handshakes that failed, inbound or outbound (untrusted or missing certificate, plaintext peer). */
    public final AtomicLong tlsHandshakesFailed = new AtomicLong();
    /** Outbound connections closed because a write stalled past the write timeout. */
    public final AtomicLong writeTimeouts = new AtomicLong();
    /** Outbound connections established (handshake accepted). */
    public final AtomicLong connectionsOpened = new AtomicLong();
    /** Outbound connections established again after a previous one to the same peer was lost. */
    public final AtomicLong reconnects = new AtomicLong();
}
