package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.raft.RaftException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps the Raft engine's exceptions to the public {@link CohortException}s; other errors pass through. */
public final class Errors {
    private Errors() {
    }

    /** The exception to hand the caller for {@code t}, the failure of a write ({@code write}) or a read. */
    public static Throwable map(Throwable t, boolean write) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof RaftException.NotAccepted) {
            String m = t.getMessage();
            // RaftNode refuses with NotAccepted both for back-pressure and for a missing leader; its message says which.
            if (m != null && (m.contains("overloaded") || m.contains("refused"))) {
                return new CohortException.Overloaded(m + " (the request did not take effect; retry later)", t);
            }
            return new CohortException.NoLeader("no leader: " + m + " (the request did not take effect)", t);
        }
        if (t instanceof RaftException.OutcomeUnknown) {
            return new CohortException.OutcomeUnknown(t.getMessage(), t);
        }
        if (t instanceof RaftException.NodeClosed) {
            return new CohortException.Closed(t.getMessage() + (write
                    ? " (a write pending at close may or may not have taken effect)" : ""), t);
        }
        return t;
    }
}
