package io.cohort;

/**
 * Options of a put, as etcd's {@code PutRequest} fields. Immutable; start from {@link #defaults()}.
 *
 * @param lease the lease to attach, 0 for none
 * @param prevKv return the previous key-value
 * @param ignoreValue keep the current value (the key must exist; pass an empty value)
 * @param ignoreLease keep the current lease (the key must exist; pass lease 0)
 */
public record PutOptions(long lease, boolean prevKv, boolean ignoreValue, boolean ignoreLease) {
    private static final PutOptions DEFAULTS = new PutOptions(0, false, false, false);

    /** No lease, no prev kv. */
    public static PutOptions defaults() {
        return DEFAULTS;
    }

    /** These options with {@code leaseId} attached. */
    public PutOptions withLease(long leaseId) {
        return new PutOptions(leaseId, prevKv, ignoreValue, ignoreLease);
    }

    /** These options, returning the previous key-value. */
    public PutOptions withPrevKv() {
        return new PutOptions(lease, true, ignoreValue, ignoreLease);
    }

    /** These options, keeping the key's current value. */
    public PutOptions withIgnoreValue() {
        return new PutOptions(lease, prevKv, true, ignoreLease);
    }

    /** These options, keeping the key's current lease. */
    public PutOptions withIgnoreLease() {
        return new PutOptions(lease, prevKv, ignoreValue, true);
    }
}
