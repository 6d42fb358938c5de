package io.cohort.raft;

/** Thrown when a caller asks for log entries that were discarded behind a snapshot. */
public final class LogCompactedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long requestedIndex;
    private final long firstIndex;

    /** Creates the exception for a request at {@code requestedIndex} when the log starts at {@code firstIndex}. */
    public LogCompactedException(long requestedIndex, long firstIndex) {
        super("log index " + requestedIndex + " is compacted; the log starts at " + firstIndex);
        this.requestedIndex = requestedIndex;
        this.firstIndex = firstIndex;
    }

    /** The index that was asked for. */
    public long requestedIndex() {
        return requestedIndex;
    }

    /** The first index still held. */
    public long firstIndex() {
        return firstIndex;
    }
}
