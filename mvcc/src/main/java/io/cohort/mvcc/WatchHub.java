package io.cohort.mvcc;

import io.cohort.mvcc.internal.WatchableStore;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Watches over a {@link Keyspace}, with etcd's guarantees: each watch's events arrive ordered by revision, unique,
 * atomically (a revision's events together), reliably (no gap inside the retained history), resumably (a new watch
 * from the last seen revision + 1 continues exactly) and bookmarkably (a progress notification at R means every
 * event up to R was delivered). A watch that starts below the compacted revision is cancelled with it; a watch whose
 * listener falls more than a bound behind is cancelled with the revision to resume from; either way nothing is lost
 * silently and memory stays bounded.
 *
 * <p>The node's apply thread calls {@link #publish} after every {@link Keyspace#apply}, and {@link #restored} after a
 * {@link Keyspace#restoreSnapshot}. Listeners run on the executor given with each watch, one message at a time.
 */
public final class WatchHub implements AutoCloseable {
    private final WatchableStore store;
    private final boolean driven;

    private WatchHub(WatchableStore store, boolean driven) {
        this.store = store;
        this.driven = driven;
    }

    /** Starts a hub over {@code keyspace}, with a dispatcher thread named {@code threadName}. */
    public static WatchHub start(Keyspace keyspace, WatchHubConfig config, String threadName) {
        Objects.requireNonNull(keyspace, "keyspace");
        Objects.requireNonNull(config, "config");
        return new WatchHub(new WatchableStore(keyspace, config, threadName), false);
    }

    /**
     * Starts a hub in driven mode, for deterministic simulation: no thread; the caller delivers messages by calling
     * {@link #doWork()} and supplies the clock that times progress notifications.
     */
    public static WatchHub startDriven(Keyspace keyspace, WatchHubConfig config, LongSupplier nanoClock) {
        Objects.requireNonNull(keyspace, "keyspace");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(nanoClock, "nanoClock");
        return new WatchHub(new WatchableStore(keyspace, config, nanoClock), true);
    }

    /**
     * Driven mode: one dispatcher round (hand over ready messages, one catch-up step per lagging watch, due progress
     * notifications); returns how much it did, 0 when there was nothing to do. Only for a hub from
     * {@link #startDriven}, called by one thread at a time.
     */
    public int doWork() {
        if (!driven) {
            throw new IllegalStateException("doWork is for a hub started with startDriven; this one has its own thread");
        }
        return store.doWork();
    }

    /**
     * Opens a watch; its messages go to {@code listener} on {@code executor}, in order, one at a time.
     *
     * @throws IllegalStateException if the hub is closed or {@link WatchHubConfig#maxWatchers()} watches are open
     */
    public WatchCreated watch(WatchRequest request, Executor executor, WatchListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(listener, "listener");
        return store.watch(request, executor, listener);
    }

    /** Cancels a watch (its last message is {@link WatchResponse.Kind#CANCELLED_BY_REQUEST}); false if not open. */
    public boolean cancel(long watchId) {
        return store.cancel(watchId);
    }

    /** Asks for a progress notification on a watch, queued behind its buffered events; false if not open. */
    public boolean requestProgress(long watchId) {
        return store.requestProgress(watchId);
    }

    /**
     * Publishes one applied batch's events (apply thread, right after {@link Keyspace#apply}, in order). Prev kvs are
     * read here: a batch must end before a compaction (whose first physical step runs inside its apply), or events
     * before it may lose theirs.
     */
    public void publish(List<ApplyResult> results) {
        store.publish(results);
    }

    /** Moves every watch to catch up from the keyspace's history after a {@link Keyspace#restoreSnapshot}. */
    public void restored() {
        store.restored();
    }

    /** The number of open watches (a cancelled watch counts until its last message is delivered). */
    public int size() {
        return store.size();
    }

    /** Cancels every watch ({@link WatchResponse.Kind#CANCELLED_CLOSED}), waits boundedly for that to be delivered. */
    @Override
    public void close() {
        store.close();
    }
}
