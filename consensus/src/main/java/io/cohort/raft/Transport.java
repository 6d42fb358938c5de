package io.cohort.raft;

import org.agrona.DirectBuffer;

/**
 * Moves encoded Raft messages between members. Implementations: the in-memory transport (one JVM,
 * with fault injection) and the TCP transport. Messages are opaque bytes to a transport; delivery is
 * best effort (Raft retries), at most once per {@link #send} unless a fault injector duplicates.
 */
public interface Transport extends AutoCloseable {

    /**
     * Receives messages addressed to this member. Called on a transport thread; must not block, unless the
     * transport says its inbound threads may ({@link #inboundThreadsMayBlock}).
     */
    @FunctionalInterface
    interface Inbound {
        /** One whole message from {@code fromId}; the buffer is only valid during the call. */
        void onMessage(long fromId, DirectBuffer buffer, int offset, int length);

        /**
         * Called on the same thread after one or more {@link #onMessage} calls from {@code fromId}, once nothing more
         * from that peer is waiting to be read (and at least every few messages): the receiver may now do the work
         * those messages brought, together. Only transports whose {@link #inboundThreadsMayBlock} is true call it.
         */
        default void onDrained(long fromId) {
        }
    }

    /** Starts delivering messages addressed to {@code selfId} to {@code inbound}. Called once. */
    void start(long selfId, Inbound inbound);

    /**
     * Queues one message for {@code toId}, copying the bytes; never blocks. Returns false if the
     * message was not queued (peer unknown, or its bounded queue is full): Raft will retry.
     */
    boolean send(long toId, DirectBuffer buffer, int offset, int length);

    /**
     * True if {@link Inbound#onMessage} is only called on this transport's own inbound threads, one per peer
     * connection, which may block for a while (an fsync): that holds up only the same peer's next messages. The
     * receiver may then do the work messages bring on that thread instead of waking another, in
     * {@link Inbound#onDrained}, which such a transport calls. Default false.
     */
    default boolean inboundThreadsMayBlock() {
        return false;
    }

    /** Stops delivery and releases resources. Idempotent. */
    @Override
    void close();
}
