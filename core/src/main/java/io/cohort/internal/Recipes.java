package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.CohortNode;
import io.cohort.Compare;
import io.cohort.DeleteOptions;
import io.cohort.GetOptions;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.Op;
import io.cohort.PutOptions;
import io.cohort.Watch;
import io.cohort.WatchCancellation;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What elections and locks share, after etcd's {@code concurrency} package: a key per contender under a prefix,
 * ordered by create revision; a contender leads (holds) once every key created before its own is gone.
 */
public final class Recipes {
    private Recipes() {
    }

    /** The prefix of a recipe named {@code name}: {@code name} plus a trailing slash. */
    public static String prefix(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a recipe needs a non-empty name (a key prefix)");
        }
        return name.endsWith("/") ? name : name + "/";
    }

    /** The key of the contender holding lease {@code leaseId} under {@code prefix}. */
    public static Bytes key(String prefix, long leaseId) {
        return Bytes.ofUtf8(prefix + Long.toHexString(leaseId));
    }

    /**
     * Joins the line under {@code prefix}: puts {@code key = value} bound to lease {@code leaseId} if it is absent
     * (else keeps the key already there), then completes with the key's create revision once every key created before
     * it is gone. Fails with {@link CohortException.LeaseLost} if {@code sessionLost} completes first.
     */
    public static CompletableFuture<Long> enqueue(CohortNode node, String prefix, Bytes key, Bytes value, long leaseId,
                                                  CompletableFuture<Void> sessionLost, Executor executor, String what) {
        CompletableFuture<Long> out = node.kv().txn()
                .when(Compare.createRevision(KeyRange.key(key)).eq(0))
                .then(Op.put(key, value, PutOptions.defaults().withLease(leaseId)))
                .otherwise(Op.get(KeyRange.key(key), GetOptions.defaults()))
                .commitAsync()
                .thenCompose(t -> {
                    long myRevision = t.succeeded() ? t.revision()
                            : t.result(0, GetResult.class).kvs().get(0).createRevision();
                    return waitForPredecessors(node, prefix, myRevision, executor).thenApply(x -> myRevision);
                });
        sessionLost.whenComplete((x, e) -> out.completeExceptionally(
                new CohortException.LeaseLost("the session was lost while " + what, e)));
        return out;
    }

    /**
     * Waits up to {@code timeout} for a place in line taken by {@link #enqueue}; on timeout or interruption the key is
     * deleted, leaving the line.
     */
    public static <T> T awaitOrLeave(CompletableFuture<T> f, Duration timeout, CohortNode node, Bytes key,
                                     String timeoutMessage, String what) throws TimeoutException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(false);
            node.kv().deleteAsync(KeyRange.key(key), DeleteOptions.defaults());
            throw new TimeoutException(timeoutMessage + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            node.kv().deleteAsync(KeyRange.key(key), DeleteOptions.defaults());
            throw new CohortException.Closed("interrupted while " + what, e);
        } catch (ExecutionException e) {
            throw Await.unwrap(e.getCause());
        }
    }

    /** The contender with the lowest create revision under {@code prefix} (linearizable), or null. */
    public static CompletableFuture<KeyValue> first(CohortNode node, String prefix) {
        return node.kv().getAsync(KeyRange.prefix(prefix), GetOptions.defaults()
                        .withSort(GetOptions.SortTarget.CREATE, GetOptions.SortOrder.ASCEND).withLimit(1))
                .thenApply(r -> r.kvs().isEmpty() ? null : r.kvs().get(0));
    }

    /**
     * Completes once no key under {@code prefix} was created before {@code myRevision} while the contender's own key
     * (created at {@code myRevision}) is still there: waits for the deletion of the latest older key, again and again
     * (each contender watches only its predecessor: no thundering herd). Fails with {@link CohortException.LeaseLost}
     * if the own key is gone (its session's lease expired or was revoked), as etcd's Mutex does: else a contender whose
     * key expired while it waited would believe it leads alongside the real leader.
     */
    public static CompletableFuture<Void> waitForPredecessors(CohortNode node, String prefix, long myRevision,
                                                              Executor executor) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        step(node, prefix, myRevision, executor, done);
        return done;
    }

    private static void step(CohortNode node, String prefix, long myRevision, Executor executor,
                             CompletableFuture<Void> done) {
        if (done.isDone()) {
            return;
        }
        // One read, at one revision: the own key (the newest created up to myRevision) and the newest older one.
        node.kv().getAsync(KeyRange.prefix(prefix), GetOptions.defaults()
                        .withCreateRevisions(0, myRevision)
                        .withSort(GetOptions.SortTarget.CREATE, GetOptions.SortOrder.DESCEND).withLimit(2))
                .whenComplete((GetResult r, Throwable e) -> {
                    if (e != null) {
                        done.completeExceptionally(e);
                        return;
                    }
                    if (r.kvs().isEmpty() || r.kvs().get(0).createRevision() != myRevision) {
                        done.completeExceptionally(new CohortException.LeaseLost("the key created at revision "
                                + myRevision + " under '" + prefix + "' is gone at revision " + r.revision()
                                + ": its session's lease expired or was revoked", null));
                        return;
                    }
                    if (r.kvs().size() == 1) {
                        done.complete(null);
                        return;
                    }
                    Bytes predecessor = r.kvs().get(1).key();
                    // Watch it from just after the read: its deletion cannot slip in between.
                    WatchSpec spec = WatchSpec.of(KeyRange.key(predecessor)).fromRevision(r.revision() + 1)
                            .withoutPuts();
                    CompletableFuture<Watch> watchRef = new CompletableFuture<>();
                    java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
                    WatchListener l = new WatchListener() {
                        @Override
                        public void onEvents(List<Event> events, long revision) {
                            if (fired.compareAndSet(false, true)) {
                                watchRef.thenAccept(Watch::cancel);
                                step(node, prefix, myRevision, executor, done);
                            }
                        }

                        @Override
                        public void onCancelled(WatchCancellation c) {
                            if (fired.compareAndSet(false, true)) {
                                if (c.reason() == WatchCancellation.Reason.COMPACTED) {
                                    step(node, prefix, myRevision, executor, done); // Read again, watch again.
                                } else {
                                    done.completeExceptionally(new IllegalStateException(
                                            "the watch on " + predecessor + " ended: " + c.message()));
                                }
                            }
                        }
                    };
                    Watch w = node.watcher().watch(spec, executor, l);
                    watchRef.complete(w);
                    done.whenComplete((v, x) -> w.cancel()); // Stop watching once decided or given up.
                });
    }
}
