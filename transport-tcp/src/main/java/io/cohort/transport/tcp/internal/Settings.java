package io.cohort.transport.tcp.internal;

import javax.net.ssl.SSLContext;

/**
 * The validated configuration of one transport, shared by its threads.
 *
 * @param clusterId the cluster every peer must belong to
 * @param memberId this member
 * @param maxFrameBytes the largest message payload sent or accepted
 * @param maxSendQueueBytes the bound of each peer's send queue, frames with headers
 * @param maxBatchBytes the most bytes a writer takes from a send queue for one write (one frame more if larger)
 * @param connectTimeoutMs the TCP connect timeout of a dial
 * @param writeTimeoutMs how long one batch write may stall (peer not reading, or gone) before the connection is closed
 * @param handshakeTimeoutMs the bound on the TLS handshake plus the hello exchange, both sides
 * @param reconnectMinMs the first reconnect delay
 * @param reconnectMaxMs the largest reconnect delay
 * @param maxInboundConnections the most inbound connections (each has a thread) at once
 * @param sslContext the mutual TLS 1.3 context, or null for plaintext
 * @param memberIdInCommonName with TLS: a peer certificate's subject CN must be the peer's member ID
 * @param writeOnSenderThread without TLS: a send writes its frame on the calling thread when no one else is writing
 */
public record Settings(
    String clusterId,
    long memberId,
    int maxFrameBytes,
    int maxSendQueueBytes,
    int maxBatchBytes,
    int connectTimeoutMs,
    int writeTimeoutMs,
    int handshakeTimeoutMs,
    int reconnectMinMs,
    int reconnectMaxMs,
    int maxInboundConnections,
    SSLContext sslContext,
    boolean memberIdInCommonName,
    boolean writeOnSenderThread) {

    /** True if sends may write on the calling thread: plaintext, and not turned off. */
    public boolean writesOnSenderThread() {
        return writeOnSenderThread && sslContext == null;
    }

    /** True if connections use mutual TLS. */
    public boolean tls() {
        return sslContext != null;
    }
}
