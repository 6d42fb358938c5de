package io.cohort;

import io.cohort.mvcc.Bytes;
import java.util.Objects;

/**
 * The keys a get, delete or compare addresses, as etcd's {@code key}/{@code range_end} pair: one key, a prefix,
 * a half-open range, every key from a key on, or every key. Immutable.
 *
 * @param key the first key (non-empty)
 * @param rangeEnd empty for the single key, {@code \0} for every key {@code >= key}, else the exclusive end
 */
public record KeyRange(Bytes key, Bytes rangeEnd) {
    private static final Bytes ZERO = Bytes.wrap(new byte[] {0});

    /** Checks the fields (an empty key is reported by the keyspace with etcd's error). */
    public KeyRange {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
    }

    /** The single key {@code key}. */
    public static KeyRange key(Bytes key) {
        return new KeyRange(key, Bytes.EMPTY);
    }

    /** The single key {@code key} (UTF-8). */
    public static KeyRange key(String key) {
        return key(Bytes.ofUtf8(key));
    }

    /** Every key that starts with {@code prefix}. */
    public static KeyRange prefix(Bytes prefix) {
        return new KeyRange(prefix.isEmpty() ? ZERO : prefix, prefixEnd(prefix));
    }

    /** Every key that starts with {@code prefix} (UTF-8). */
    public static KeyRange prefix(String prefix) {
        return prefix(Bytes.ofUtf8(prefix));
    }

    /** Keys in {@code [from, to)}. */
    public static KeyRange range(Bytes from, Bytes to) {
        return new KeyRange(from, to);
    }

    /** Keys in {@code [from, to)} (UTF-8). */
    public static KeyRange range(String from, String to) {
        return range(Bytes.ofUtf8(from), Bytes.ofUtf8(to));
    }

    /** Every key {@code >= from}. */
    public static KeyRange fromKey(Bytes from) {
        return new KeyRange(from, ZERO);
    }

    /** Every key {@code >= from} (UTF-8). */
    public static KeyRange fromKey(String from) {
        return fromKey(Bytes.ofUtf8(from));
    }

    /** Every key. */
    public static KeyRange all() {
        return new KeyRange(ZERO, ZERO);
    }

    /** True if this is a single key. */
    public boolean isSingleKey() {
        return rangeEnd.isEmpty();
    }

    /** etcd's prefix end: the prefix with its last byte below 0xff incremented, trailing 0xff dropped. */
    private static Bytes prefixEnd(Bytes prefix) {
        byte[] b = prefix.toByteArray();
        for (int i = b.length - 1; i >= 0; i--) {
            if ((b[i] & 0xFF) != 0xFF) {
                b[i]++;
                return Bytes.wrap(java.util.Arrays.copyOf(b, i + 1));
            }
        }
        return ZERO; // All 0xff (or empty): every key from the prefix on.
    }
}
