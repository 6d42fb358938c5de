package io.cohort.mvcc;

import io.cohort.mvcc.internal.BinaryCodec;

/**
 * The compact binary encoding of write requests, as carried in Raft log entries.
 *
 * <p>Format version 1: a version byte, a type byte, then the fields as zig-zag varints and length-prefixed
 * bytes. {@code decode(encode(r)).equals(r)} holds for every request.
 */
public final class CommandCodec {
    private CommandCodec() {
    }

    /** Encodes {@code request}. */
    public static byte[] encode(WriteRequest request) {
        return BinaryCodec.encode(request);
    }

    /** Decodes a request; throws IllegalArgumentException if the bytes are not a valid encoding. */
    public static WriteRequest decode(byte[] encoded) {
        return BinaryCodec.decode(encoded);
    }
}
