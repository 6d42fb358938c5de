package io.cohort.mvcc;

import java.util.Objects;

/**
 * A txn condition, as etcd's {@code Compare}.
 *
 * <p>{@code operandField} says which of the proto's {@code target_union} fields was set (null: none); a
 * compare whose operand field differs from its target compares against 0 or empty bytes, as etcd does.
 *
 * @param key the key (non-empty)
 * @param rangeEnd empty for the single key, else the range every key of which must satisfy the compare
 * @param target the field compared
 * @param result the operator
 * @param operandField which operand field is set, or null
 * @param number the numeric operand (version, create/mod revision, lease)
 * @param value the bytes operand (for VALUE)
 */
public record Compare(Bytes key, Bytes rangeEnd, Target target, Result result, Target operandField, long number,
                      Bytes value) {
    /** The compared field. */
    public enum Target {
        /** The version. */
        VERSION,
        /** The create revision. */
        CREATE,
        /** The mod revision. */
        MOD,
        /** The value. */
        VALUE,
        /** The lease. */
        LEASE
    }

    /** The operator. */
    public enum Result {
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
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(value, "value");
    }

    /** A numeric compare of {@code key}'s {@code target} (not VALUE) against {@code operand}. */
    public static Compare number(Bytes key, Target target, Result result, long operand) {
        return new Compare(key, Bytes.EMPTY, target, result, target, operand, Bytes.EMPTY);
    }

    /** A VALUE compare of {@code key} against {@code operand}. */
    public static Compare value(Bytes key, Result result, Bytes operand) {
        return new Compare(key, Bytes.EMPTY, Target.VALUE, result, Target.VALUE, 0, operand);
    }
}
