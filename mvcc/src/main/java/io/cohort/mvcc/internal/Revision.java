package io.cohort.mvcc.internal;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A revision {main, sub} as etcd's: {@code main} is the store revision, {@code sub} the index of the change
 * within it. Encoded as 16 big-endian bytes so byte order is revision order.
 */
public final class Revision {
    /** Encoded size. */
    public static final int BYTES = 16;

    private Revision() {
    }

    /** Writes {main, sub} at {@code index}. */
    public static void put(MutableDirectBuffer buf, int index, long main, long sub) {
        buf.putLong(index, main, ByteOrder.BIG_ENDIAN);
        buf.putLong(index + 8, sub, ByteOrder.BIG_ENDIAN);
    }

    /** The main revision at {@code index}. */
    public static long main(DirectBuffer buf, int index) {
        return buf.getLong(index, ByteOrder.BIG_ENDIAN);
    }

    /** The sub revision at {@code index}. */
    public static long sub(DirectBuffer buf, int index) {
        return buf.getLong(index + 8, ByteOrder.BIG_ENDIAN);
    }
}
