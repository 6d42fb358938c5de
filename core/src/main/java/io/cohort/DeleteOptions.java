package io.cohort;

/**
 * Options of a delete. Immutable; start from {@link #defaults()}.
 *
 * @param prevKv return the deleted key-values
 */
public record DeleteOptions(boolean prevKv) {
    private static final DeleteOptions DEFAULTS = new DeleteOptions(false);

    /** No prev kvs. */
    public static DeleteOptions defaults() {
        return DEFAULTS;
    }

    /** These options, returning the deleted key-values. */
    public DeleteOptions withPrevKv() {
        return new DeleteOptions(true);
    }
}
