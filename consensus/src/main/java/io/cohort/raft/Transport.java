package io.cohort.raft;

import org.agrona.DirectBuffer;

/**
 * Moves encoded Raft messages between members. Implementations: the in-memory transport (one JVM,
 * with fault injection) and the TCP transport. Messages are opaque bytes to a transport; delivery is
 * best effort (Raft retries), at most once per {@link #send} unless a fault injector duplicates.
 */
public interface Transport extends AutoCloseable {

    /** Receives messages addressed to this member. Called on a transport thread; must not block. */
    @FunctionalInterface
    interface Inbound {
        /** One whole message from {@code fromId}; the buffer is only valid during the call. */
        void onMessage(long fromId, DirectBuffer buffer, int offset, int length);
    }

    /** Starts delivering messages addressed to {@code selfId} to {@code inbound}. Called once. */
    void start(long selfId, Inbound inbound);

    /**
     * Queues one message for {@code toId}, copying the bytes; never blocks. Returns false if the
     * message was not queued (peer unknown, or its bounded queue is full): Raft will retry.
     */
    boolean send(long toId, DirectBuffer buffer, int offset, int length);

    /** Stops delivery and releases resources. Idempotent. */
    @Override
    void close();
}
