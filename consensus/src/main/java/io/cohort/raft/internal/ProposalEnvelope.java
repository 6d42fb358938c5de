package io.cohort.raft.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The frame a {@link io.cohort.raft.RaftNode} puts around each proposed command so that the node that
 * proposed it can match the committed entry to the caller waiting for it, wherever the leader was:
 * {@code proposerId (8) | requestId (8) | command}.
 */
public final class ProposalEnvelope {
    /** Bytes of the frame before the command. */
    public static final int HEADER_BYTES = 16;
    /** Reads and writes little-endian longs in a byte[] without allocating. */
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ProposalEnvelope() {
    }

    /** Frames {@code command} for {@code proposerId}'s request {@code requestId}. */
    public static byte[] wrap(long proposerId, long requestId, byte[] command) {
        byte[] framed = new byte[HEADER_BYTES + command.length];
        LONG.set(framed, 0, proposerId);
        LONG.set(framed, 8, requestId);
        System.arraycopy(command, 0, framed, HEADER_BYTES, command.length);
        return framed;
    }

    /** The proposer's member ID. */
    public static long proposerId(byte[] framed) {
        check(framed);
        return (long) LONG.get(framed, 0);
    }

    /** The proposer's request ID. */
    public static long requestId(byte[] framed) {
        check(framed);
        return (long) LONG.get(framed, 8);
    }

    /** The command inside the frame (a copy). */
    public static byte[] command(byte[] framed) {
        check(framed);
        return Arrays.copyOfRange(framed, HEADER_BYTES, framed.length);
    }

    private static void check(byte[] framed) {
        if (framed.length < HEADER_BYTES) {
            throw new IllegalStateException("committed command of " + framed.length
                    + " bytes is shorter than its " + HEADER_BYTES + "-byte envelope: the log is corrupt");
        }
    }
}
