package io.cohort;

import io.cohort.mvcc.Bytes;
import java.util.Objects;

/**
 * A txn condition, as etcd's {@code Compare}: a field of a key (or of every key of a range) against an operand.
 * Build with {@code Compare.version("k").eq(0)}, {@code Compare.value("k").eq("v")}... A missing key has
 * version, create and mod revision 0 ({@code createRevision(k).eq(0)} is the "key absent" idiom). Immutable.
 *
 * @param keys the key or range compared
 * @param target the field compared
 * @param operator the operator
 * @param number the operand for VERSION, CREATE, MOD and LEASE
 * @param value the operand for VALUE
 */
public record Compare(KeyRange keys, Target target, Operator operator, long number, Bytes value) {

    /** The compared field. */
    public enum Target {
        /** The version (0 for a missing key). */
        VERSION,
        /** The create revision (0 for a missing key). */
        CREATE,
        /** The mod revision (0 for a missing key). */
        MOD,
        /** The value. */
        VALUE,
        /** The attached lease (0 for none). */
        LEASE
    }

    /** The operator. */
    public enum Operator {
        /** Equal. */
        EQUAL,
        /** Greater than the operand. */
        GREATER,
        /** Less than the operand. */
        LESS,
        /** Not equal. */
        NOT_EQUAL
    }

    /** Checks the fields. */
    public Compare {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(operator, "operator");
        Objects.requireNonNull(value, "value");
    }

    /** Compares {@code key}'s version. */
    public static Numeric version(String key) {
        return new Numeric(KeyRange.key(key), Target.VERSION);
    }

    /** Compares the version of {@code keys}. */
    public static Numeric version(KeyRange keys) {
        return new Numeric(keys, Target.VERSION);
    }

    /** Compares {@code key}'s create revision. */
    public static Numeric createRevision(String key) {
        return new Numeric(KeyRange.key(key), Target.CREATE);
    }

    /** Compares the create revision of {@code keys}. */
    public static Numeric createRevision(KeyRange keys) {
        return new Numeric(keys, Target.CREATE);
    }

    /** Compares {@code key}'s mod revision. */
    public static Numeric modRevision(String key) {
        return new Numeric(KeyRange.key(key), Target.MOD);
    }

    /** Compares the mod revision of {@code keys}. */
    public static Numeric modRevision(KeyRange keys) {
        return new Numeric(keys, Target.MOD);
    }

    /** Compares {@code key}'s lease. */
    public static Numeric lease(String key) {
        return new Numeric(KeyRange.key(key), Target.LEASE);
    }

    /** Compares the lease of {@code keys}. */
    public static Numeric lease(KeyRange keys) {
        return new Numeric(keys, Target.LEASE);
    }

    /** Compares {@code key}'s value. */
    public static Valued value(String key) {
        return new Valued(KeyRange.key(key));
    }

    /** Compares the value of {@code keys}. */
    public static Valued value(KeyRange keys) {
        return new Valued(keys);
    }

    /** The left side of a numeric compare; pick the operator and operand. */
    public static final class Numeric {
        private final KeyRange keys;
        private final Target target;

        private Numeric(KeyRange keys, Target target) {
            this.keys = keys;
            this.target = target;
        }

        /** Field == {@code n}. */
        public Compare eq(long n) {
            return new Compare(keys, target, Operator.EQUAL, n, Bytes.EMPTY);
        }

        /** Field != {@code n}. */
        public Compare ne(long n) {
            return new Compare(keys, target, Operator.NOT_EQUAL, n, Bytes.EMPTY);
        }

        /** Field > {@code n}. */
        public Compare gt(long n) {
            return new Compare(keys, target, Operator.GREATER, n, Bytes.EMPTY);
        }

        /** Field < {@code n}. */
        public Compare lt(long n) {
            return new Compare(keys, target, Operator.LESS, n, Bytes.EMPTY);
        }
    }

    /** The left side of a value compare; pick the operator and operand. */
    public static final class Valued {
        private final KeyRange keys;

        private Valued(KeyRange keys) {
            this.keys = keys;
        }

        /** Value == {@code v}. */
        public Compare eq(Bytes v) {
            return new Compare(keys, Target.VALUE, Operator.EQUAL, 0, v);
        }

        /** Value == {@code v} (UTF-8). */
        public Compare eq(String v) {
            return eq(Bytes.ofUtf8(v));
        }

        /** Value != {@code v}. */
        public Compare ne(Bytes v) {
            return new Compare(keys, Target.VALUE, Operator.NOT_EQUAL, 0, v);
        }

        /** Value != {@code v} (UTF-8). */
        public Compare ne(String v) {
            return ne(Bytes.ofUtf8(v));
        }

        /** Value > {@code v} (unsigned bytes). */
        public Compare gt(Bytes v) {
            return new Compare(keys, Target.VALUE, Operator.GREATER, 0, v);
        }

        /** Value < {@code v} (unsigned bytes). */
        public Compare lt(Bytes v) {
            return new Compare(keys, Target.VALUE, Operator.LESS, 0, v);
        }
    }
}
