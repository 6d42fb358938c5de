package io.cohort.internal;

import io.cohort.mvcc.CommandCodec;
import io.cohort.mvcc.WriteRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a Cohort node puts in a Raft entry: a kind byte, then a keyspace write request ({@link CommandCodec}) or a
 * consistency check (the revision, compacted revision and hash the proposer saw).
 */
public final class NodeCommand {
    /** A keyspace write request follows. */
    public static final byte WRITE = 1;
    /** A consistency check follows: revision, compacted revision, hash (8 bytes each, big-endian). */
    public static final byte HASH_CHECK = 2;
    private static final int HASH_CHECK_BYTES = 1 + 3 * 8;

    private NodeCommand() {
    }

    /** The entry for a write request. */
    public static byte[] write(WriteRequest request) {
        byte[] body = CommandCodec.encode(request);
        byte[] out = new byte[body.length + 1];
        out[0] = WRITE;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** The entry for a consistency check of the history up to {@code revision}. */
    public static byte[] hashCheck(long revision, long compactedRevision, long hash) {
        return ByteBuffer.allocate(HASH_CHECK_BYTES).put(HASH_CHECK).putLong(revision).putLong(compactedRevision)
                .putLong(hash).array();
    }

    /** The kind byte of {@code entry}; throws if the entry is empty or of an unknown kind (corrupt log). */
    public static byte kind(long index, byte[] entry) {
        if (entry.length == 0 || (entry[0] != WRITE && entry[0] != HASH_CHECK)
                || (entry[0] == HASH_CHECK && entry.length != HASH_CHECK_BYTES)) {
            throw new IllegalStateException("committed Raft entry " + index + " is not a Cohort command ("
                    + entry.length + " bytes, kind " + (entry.length == 0 ? "none" : entry[0]) + ")");
        }
        return entry[0];
    }

    /** The write request of a {@link #WRITE} entry. */
    public static WriteRequest request(long index, byte[] entry) {
        try {
            return CommandCodec.decode(Arrays.copyOfRange(entry, 1, entry.length));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("committed Raft entry " + index + " holds a corrupt write request", e);
        }
    }

    /** The {revision, compacted revision, hash} of a {@link #HASH_CHECK} entry. */
    public static long[] hashCheckFields(byte[] entry) {
        ByteBuffer b = ByteBuffer.wrap(entry, 1, entry.length - 1);
        return new long[] {b.getLong(), b.getLong(), b.getLong()};
    }
}
