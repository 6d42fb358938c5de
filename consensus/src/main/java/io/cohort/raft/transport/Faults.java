package io.cohort.raft.transport;

/**
 * Fault injection settings of an {@link InMemoryNetwork}: applied to every message sent, with all
 * randomness drawn from the network's seed. Immutable; start from {@link #none()} and chain the
 * {@code with...} methods.
 *
 * <pre>{@code
 * network.faults(Faults.none().withDropProbability(0.05).withDelayMillis(1, 20).withReorderProbability(0.1));
 * }</pre>
 *
 * @param dropProbability      chance in [0, 1] that a message is silently lost
 * @param duplicateProbability chance in [0, 1] that a message is delivered twice
 * @param minDelayMillis       smallest delay added to every message
 * @param maxDelayMillis       largest delay added to every message (uniform in [min, max])
 * @param reorderProbability   chance in [0, 1] that a message ignores FIFO order on its link and
 *                             takes an extra random delay of up to {@code reorderWindowMillis}
 * @param reorderWindowMillis  the largest extra delay of a reordered message
 */
public record Faults(double dropProbability, double duplicateProbability, long minDelayMillis, long maxDelayMillis,
                     double reorderProbability, long reorderWindowMillis) {

    private static final Faults NONE = new Faults(0, 0, 0, 0, 0, 0);
    /** Upper bound of any configured delay (one minute): keeps queued messages bounded in time. */
    public static final long MAX_DELAY_MILLIS = 60_000;

    /** Validates ranges. */
    public Faults {
        checkProbability("dropProbability", dropProbability);
        checkProbability("duplicateProbability", duplicateProbability);
        checkProbability("reorderProbability", reorderProbability);
        if (minDelayMillis < 0 || maxDelayMillis < minDelayMillis || maxDelayMillis > MAX_DELAY_MILLIS) {
            throw new IllegalArgumentException("need 0 <= minDelayMillis <= maxDelayMillis <= " + MAX_DELAY_MILLIS
                + ", was " + minDelayMillis + ", " + maxDelayMillis);
        }
        if (reorderWindowMillis < 0 || reorderWindowMillis > MAX_DELAY_MILLIS) {
            throw new IllegalArgumentException("reorderWindowMillis must be in [0, " + MAX_DELAY_MILLIS + "], was " + reorderWindowMillis);
        }
    }

    private static void checkProbability(String name, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], was " + p);
        }
    }

    /** No faults: every message is delivered once, in FIFO order per link, as soon as possible. */
    public static Faults none() {
        return NONE;
    }

    /** A copy that drops each message with probability {@code p}. */
    public Faults withDropProbability(double p) {
        return new Faults(p, duplicateProbability, minDelayMillis, maxDelayMillis, reorderProbability, reorderWindowMillis);
    }

    /** A copy that delivers each message twice with probability {@code p}. */
    public Faults withDuplicateProbability(double p) {
        return new Faults(dropProbability, p, minDelayMillis, maxDelayMillis, reorderProbability, reorderWindowMillis);
    }

    /** A copy that delays every message by a fixed {@code millis}. */
    public Faults withDelayMillis(long millis) {
        return withDelayMillis(millis, millis);
    }

    /** A copy that delays every message by a uniformly random time in [{@code minMillis}, {@code maxMillis}]. */
    public Faults withDelayMillis(long minMillis, long maxMillis) {
        return new Faults(dropProbability, duplicateProbability, minMillis, maxMillis, reorderProbability, reorderWindowMillis);
    }

    /**
     * A copy in which each message, with probability {@code p}, may overtake or be overtaken by others on
     * its link: it gets an extra random delay of up to {@code windowMillis} and is not held in FIFO order.
     */
    public Faults withReorder(double p, long windowMillis) {
        return new Faults(dropProbability, duplicateProbability, minDelayMillis, maxDelayMillis, p, windowMillis);
    }
}
