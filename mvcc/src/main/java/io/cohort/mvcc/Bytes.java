package io.cohort.mvcc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** An immutable byte string (keys, values), compared as unsigned bytes like etcd. */
public final class Bytes implements Comparable<Bytes> {
    /** The empty byte string. */
    public static final Bytes EMPTY = new Bytes(new byte[0]);

    private final byte[] bytes;
    private int hash;

    private Bytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A copy of {@code bytes}. */
    public static Bytes copyOf(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
    }

    /** A copy of {@code length} bytes of {@code buffer} from {@code offset}. */
    public static Bytes copyOf(DirectBuffer buffer, int offset, int length) {
        if (length == 0) {
            return EMPTY;
        }
        byte[] b = new byte[length];
        buffer.getBytes(offset, b);
        return new Bytes(b);
    }

    /** The UTF-8 encoding of {@code s}. */
    public static Bytes ofUtf8(String s) {
        return wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Wraps {@code bytes} without copying; the caller must never modify the array afterwards. */
    public static Bytes wrap(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Bytes(bytes);
    }

    /** The number of bytes. */
    public int size() {
        return bytes.length;
    }

    /** True if there are no bytes. */
    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** The byte at {@code index}. */
    public byte byteAt(int index) {
        return bytes[index];
    }

    /** A fresh copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code buffer} at {@code index}. */
    public void copyTo(MutableDirectBuffer buffer, int index) {
        buffer.putBytes(index, bytes);
    }

    /** The bytes decoded as UTF-8 (for logs and tests). */
    public String toStringUtf8() {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** True if these bytes start with {@code prefix}. */
    public boolean startsWith(Bytes prefix) {
        return prefix.bytes.length <= bytes.length
                && Arrays.equals(bytes, 0, prefix.bytes.length, prefix.bytes, 0, prefix.bytes.length);
    }

    /** Unsigned lexicographic comparison, as Go's {@code bytes.Compare}. */
    @Override
    public int compareTo(Bytes o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    /** Unsigned comparison with {@code length} bytes of {@code buffer} at {@code offset}. */
    public int compareTo(DirectBuffer buffer, int offset, int length) {
        int n = Math.min(bytes.length, length);
        for (int i = 0; i < n; i++) {
            int c = Integer.compare(bytes[i] & 0xFF, buffer.getByte(offset + i) & 0xFF);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(bytes.length, length);
    }

    @Override
    public boolean equals(Object o) {
        return this == o || (o instanceof Bytes && Arrays.equals(bytes, ((Bytes) o).bytes));
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = Arrays.hashCode(bytes);
            hash = h;
        }
        return h;
    }

    /** Printable ASCII as is, other bytes as {@code \xNN}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(bytes.length + 2);
        for (byte b : bytes) {
            int v = b & 0xFF;
            if (v >= 0x20 && v < 0x7F && v != '\\') {
                sb.append((char) v);
            } else {
                sb.append(String.format("\\x%02x", v));
            }
        }
        return sb.toString();
    }
}
