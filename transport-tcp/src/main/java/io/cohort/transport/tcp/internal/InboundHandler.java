package io.cohort.transport.tcp.internal;

import org.agrona.DirectBuffer;

/** What an {@link InboundConnection} needs from its transport. */
public interface InboundHandler {

    /** Why a hello is refused, or null to accept it; {@code peerCommonName} is the TLS client certificate's CN, or null. */
    Refusal admit(Handshake.Hello hello, String peerCommonName);

    /** Records {@code connection} as the current one from {@code memberId}, closing an older one. */
    void register(long memberId, InboundConnection connection);

    /** Forgets {@code connection} (closed); keeps a newer one from the same member. */
    void unregister(InboundConnection connection);

    /** True if a refusal log line is news (not repeated within the last minute): WARN; else DEBUG. */
    boolean isNews(String refusal);

    /** Hands one checked message to the consensus layer. */
    void deliver(long fromId, DirectBuffer buffer, int offset, int length);

    /** Tells the consensus layer that nothing more from {@code fromId} is waiting to be read (or a run ended). */
    void drained(long fromId);

    /** A refused hello: the status code sent back and the reason logged on both sides. */
    record Refusal(byte status, String reason) {
    }
}
