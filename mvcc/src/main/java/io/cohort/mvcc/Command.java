package io.cohort.mvcc;

import java.util.Objects;

/**
 * A write request with the applied index (the Raft index) it comes from.
 *
 * @param appliedIndex the index, strictly increasing over the commands applied to one keyspace
 * @param request the request
 */
public record Command(long appliedIndex, WriteRequest request) {
    /** Checks the fields. */
    public Command {
        Objects.requireNonNull(request, "request");
        if (appliedIndex <= 0) {
            throw new IllegalArgumentException("appliedIndex must be positive: " + appliedIndex);
        }
    }

    /** Decodes a command from its {@link CommandCodec} bytes. */
    public static Command decode(long appliedIndex, byte[] encoded) {
        return new Command(appliedIndex, CommandCodec.decode(encoded));
    }

    /** The request's {@link CommandCodec} bytes. */
    public byte[] encode() {
        return CommandCodec.encode(request);
    }
}
