package io.cohort.internal;

import io.cohort.CohortException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** The blocking conveniences: wait for a future and rethrow its error as it is. */
public final class Await {
    private Await() {
    }

    /**
     * Waits for {@code f}; a failure is rethrown unwrapped (the {@link io.cohort.mvcc.KeyspaceException} or
     * {@link CohortException} the future failed with). Every future of the API completes within the request
     * timeout, so this never waits forever.
     */
    public static <T> T result(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CohortException.OutcomeUnknown(
                    "interrupted while waiting; the request may still take effect", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        }
    }
}
