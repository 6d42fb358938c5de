package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.Watch;
import io.cohort.WatchCancellation;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.Watcher;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.WatchCreated;
import io.cohort.mvcc.WatchHub;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/** The {@link Watcher} of a node: a thin adapter over the node's {@link WatchHub}. */
public final class WatcherImpl implements Watcher {
    private final NodeCore node;

    /** The watcher of {@code node}. */
    public WatcherImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public Watch watch(WatchSpec spec, WatchListener listener) {
        return watch(spec, node.settings().callbackExecutor(), listener);
    }

    @Override
    public Watch watch(WatchSpec spec, Executor executor, WatchListener listener) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(listener, "listener");
        WatchRequest r = new WatchRequest(spec.range().key(), spec.range().rangeEnd(), spec.startRevision(),
                spec.prevKv(), spec.noPut(), spec.noDelete(), spec.progressNotify());
        WatchHub hub = node.watchHub();
        WatchCreated created;
        try {
            created = node.guarded(ks -> hub.watch(r, executor, new Adapter(listener)));
        } catch (IllegalStateException e) {
            throw new CohortException.Overloaded("member " + node.settings().memberId() + " cannot open a watch: "
                    + e.getMessage(), e);
        }
        return new OpenWatch(hub, created);
    }

    /** Passes a watch's messages on to the user's listener; events go straight through, without a wrapper. */
    private record Adapter(WatchListener listener) implements io.cohort.mvcc.WatchListener {
        @Override
        public void onEvents(long watchId, List<Event> events, long revision) {
            listener.onEvents(events, revision);
        }

        @Override
        public void onResponse(WatchResponse r) {
            deliver(listener, r);
        }
    }

    private static void deliver(WatchListener listener, WatchResponse r) {
        switch (r.kind()) {
            case EVENTS -> listener.onEvents(r.events(), r.revision());
            case PROGRESS -> listener.onProgress(r.revision());
            case CANCELLED_COMPACTED -> listener.onCancelled(
                    new WatchCancellation(WatchCancellation.Reason.COMPACTED, r.revision(), r.reason()));
            case CANCELLED_SLOW_CONSUMER -> listener.onCancelled(
                    new WatchCancellation(WatchCancellation.Reason.SLOW_CONSUMER, r.revision(), r.reason()));
            case CANCELLED_BY_REQUEST -> listener.onCancelled(
                    new WatchCancellation(WatchCancellation.Reason.CANCELLED, r.revision(), r.reason()));
            case CANCELLED_CLOSED -> listener.onCancelled(
                    new WatchCancellation(WatchCancellation.Reason.NODE_CLOSED, r.revision(), r.reason()));
        }
    }

    private record OpenWatch(WatchHub hub, WatchCreated created) implements Watch {
        @Override
        public long id() {
            return created.watchId();
        }

        @Override
        public long createdRevision() {
            return created.revision();
        }

        @Override
        public boolean requestProgress() {
            return hub.requestProgress(created.watchId());
        }

        @Override
        public void cancel() {
            hub.cancel(created.watchId());
        }
    }
}
