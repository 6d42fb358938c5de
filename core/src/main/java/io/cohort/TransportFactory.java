package io.cohort;

import io.cohort.raft.Transport;
import java.util.Map;

/**
 * Creates the Raft {@link Transport} of one member: the in-memory network in tests
 * ({@code network::transport}), TCP in production. The node starts and closes the transport.
 */
@FunctionalInterface
public interface TransportFactory {
    /**
     * The transport of member {@code memberId}.
     *
     * @param memberId this member's ID
     * @param addresses every initial member's address by ID (this member's included)
     */
    Transport create(long memberId, Map<Long, String> addresses);

    /** A factory that ignores addresses and asks {@code perMember} for member {@code memberId}'s transport. */
    static TransportFactory of(java.util.function.LongFunction<Transport> perMember) {
        return (memberId, addresses) -> perMember.apply(memberId);
    }
}
