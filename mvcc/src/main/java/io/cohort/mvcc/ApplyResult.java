package io.cohort.mvcc;

import java.util.List;

/**
 * The outcome of applying one command.
 *
 * @param appliedIndex the command's index
 * @param status applied, failed (a request error, nothing changed) or skipped (already applied before)
 * @param response the response when applied, else null
 * @param error the error when failed, else null
 * @param events the events the command produced, in revision order (without prev kvs)
 */
public record ApplyResult(long appliedIndex, Status status, Response response, KeyspaceException error,
                          List<Event> events) {
    /** What happened to a command. */
    public enum Status {
        /** Applied; {@code response} is set. */
        APPLIED,
        /** Rejected with {@code error}; nothing changed. */
        FAILED,
        /** Its index was at or below the stored applied index; nothing happened. */
        SKIPPED
    }

    /** Copies the list. */
    public ApplyResult {
        events = List.copyOf(events);
    }

    /** The response, or throws the error (or an IllegalStateException for a skipped command). */
    public Response responseOrThrow() {
        if (status == Status.FAILED) {
            throw error;
        }
        if (status == Status.SKIPPED) {
            throw new IllegalStateException("command " + appliedIndex + " was skipped (already applied)");
        }
        return response;
    }
}
