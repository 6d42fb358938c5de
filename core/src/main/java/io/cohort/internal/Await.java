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
            throw unwrap(e.getCause());
        }
    }

    /** {@code cause} as the unchecked exception to rethrow (an {@link Error} is thrown as it is). */
    public static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }
}
