package io.cohort;

import io.cohort.internal.Await;
import io.cohort.internal.Recipes;
import io.cohort.mvcc.Bytes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A distributed lock (as etcd's {@code concurrency.Mutex}): waiters queue by the create revision of their key under
 * the lock's name; the oldest holds it. The key is bound to the holder's {@link Session} lease, so a dead holder
 * frees the lock once its lease expires.
 *
 * <p><b>What a lock can and cannot promise.</b> In an asynchronous network no lock can guarantee that two processes
 * never act as holders at the same time: a holder that pauses (a long GC, a stalled VM) longer than its lease TTL
 * loses the lock while it still believes it holds it, and when it resumes it may write to the resource it protects
 * after the next holder started. The lock therefore hands out a <b>fencing token</b> with each acquisition, the create
 * revision of the holder's key, which strictly increases from one holder to the next. Pass it with every write to the
 * protected resource and have the resource refuse a token lower than the highest it has seen; for state kept in
 * Cohort itself, put {@link Held#isHeld()} in the txn's compares instead, and the write happens only while the lock
 * is held.
 */
public final class Lock {
    private final Session session;
    private final String prefix;
    private final Bytes key;

    Lock(Session session, String prefix) {
        this.session = session;
        this.prefix = prefix;
        this.key = Recipes.key(prefix, session.leaseId());
    }

    /** A held lock. Closing it releases the lock. */
    public final class Held implements AutoCloseable {
        private final long fencingToken;

        private Held(long fencingToken) {
            this.fencingToken = fencingToken;
        }

        /** The fencing token: the create revision of the holder's key, strictly increasing across holders. */
        public long fencingToken() {
            return fencingToken;
        }

        /** A txn compare that holds only while this acquisition holds the lock. */
        public Compare isHeld() {
            return Compare.createRevision(KeyRange.key(key)).eq(fencingToken);
        }

        /** Releases the lock (deletes the key if this acquisition still holds it). */
        public CompletableFuture<Void> releaseAsync() {
            return session.node().kv().txn().when(isHeld())
                    .then(Op.delete(KeyRange.key(key), DeleteOptions.defaults())).commitAsync().thenApply(r -> null);
        }

        /** Releases the lock and waits. */
        @Override
        public void close() {
            Await.result(releaseAsync());
        }
    }

    /** Acquires the lock: completes when held; fails if the session is lost first. */
    public CompletableFuture<Held> acquireAsync() {
        CohortNode node = session.node();
        return Recipes.enqueue(node, prefix, key, Bytes.EMPTY, session.leaseId(), session.lost(),
                node.callbackExecutor(), "acquiring the lock").thenApply(token -> new Held(token));
    }

    /** Acquires the lock, waiting at most {@code timeout}; on timeout the request is withdrawn from the queue. */
    public Held acquire(Duration timeout) throws TimeoutException {
        return Recipes.awaitOrLeave(acquireAsync(), timeout, session.node(), key, "lock '" + prefix + "' not acquired",
                "acquiring a lock");
    }
}
