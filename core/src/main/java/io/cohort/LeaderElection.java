package io.cohort;

import io.cohort.internal.Await;
import io.cohort.internal.Recipes;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/**
 * A leader election among processes that campaign under one name (as etcd's {@code concurrency.Election}): each
 * campaigner puts a key bound to its {@link Session}'s lease; the one with the oldest key leads, and the next takes
 * over when that key goes (resignation, or the leader's session lost). At most one campaigner leads at any revision.
 * Leadership is a lease: a leader that pauses longer than its TTL may still believe it leads while another does —
 * check {@link Leadership#isCurrent()} inside a txn, or pass {@link Leadership#revision()} as a fencing token.
 */
public final class LeaderElection {
    private final Session session;
    private final String prefix;
    private final Bytes key;

    LeaderElection(Session session, String prefix) {
        this.session = session;
        this.prefix = prefix;
        this.key = Recipes.key(prefix, session.leaseId());
    }

    /** A won election: the campaigner's key and its create revision (unique, increasing across leaders). */
    public final class Leadership {
        private final long revision;

        private Leadership(long revision) {
            this.revision = revision;
        }

        /** The create revision of the leader's key: a fencing token that strictly increases from leader to leader. */
        public long revision() {
            return revision;
        }

        /** The leader's key. */
        public Bytes key() {
            return key;
        }

        /** A txn compare that holds only while this leadership lasts. */
        public Compare isCurrent() {
            return Compare.createRevision(KeyRange.key(key)).eq(revision);
        }

        /** Announces a new value to observers, if still the leader; completes with false if not. */
        public CompletableFuture<Boolean> proclaimAsync(String value) {
            return session.node().kv().txn().when(isCurrent())
                    .then(Op.put(key, Bytes.ofUtf8(value), PutOptions.defaults().withLease(session.leaseId())))
                    .commitAsync().thenApply(TxnResult::succeeded);
        }

        /** Proclaims and waits; returns false if no longer the leader. */
        public boolean proclaim(String value) {
            return Await.result(proclaimAsync(value));
        }

        /** Steps down: deletes the key if still the leader, so the next campaigner takes over at once. */
        public CompletableFuture<Void> resignAsync() {
            return session.node().kv().txn().when(isCurrent()).then(Op.delete(KeyRange.key(key), DeleteOptions.defaults()))
                    .commitAsync().thenApply(r -> null);
        }

        /** Resigns and waits. */
        public void resign() {
            Await.result(resignAsync());
        }
    }

    /**
     * Campaigns with {@code value}: completes when this process leads (it may take until every earlier campaigner
     * has resigned or lost its session); fails if the session is lost first.
     */
    public CompletableFuture<Leadership> campaignAsync(String value, Executor executor) {
        return Recipes.enqueue(session.node(), prefix, key, Bytes.ofUtf8(value), session.leaseId(), session.lost(),
                executor, "campaigning").thenApply(revision -> new Leadership(revision));
    }

    /** Campaigns and waits up to {@code timeout}; on timeout the campaign is withdrawn. */
    public Leadership campaign(String value, Duration timeout) throws TimeoutException {
        return Recipes.awaitOrLeave(campaignAsync(value, session.node().callbackExecutor()), timeout, session.node(),
                key, "not elected under '" + prefix + "'", "campaigning");
    }

    /** The current leader's key-value (its value is the last proclaimed), if anyone leads. */
    public Optional<KeyValue> leader() {
        return Optional.ofNullable(Await.result(Recipes.first(session.node(), prefix)));
    }

    /**
     * Observes who leads: {@code listener} gets the leader's key-value (or empty) now and after every change under
     * the election's prefix, in order, on {@code executor}. Close the returned watch to stop.
     */
    public Watch observe(Executor executor, java.util.function.Consumer<Optional<KeyValue>> listener) {
        CohortNode node = session.node();
        GetResult now = node.kv().get(KeyRange.prefix(prefix), GetOptions.defaults()
                .withSort(GetOptions.SortTarget.CREATE, GetOptions.SortOrder.ASCEND).withLimit(1));
        Optional<KeyValue> first = now.first();
        executor.execute(() -> listener.accept(first));
        return node.watcher().watch(WatchSpec.prefix(prefix).fromRevision(now.revision() + 1), executor,
                (List<io.cohort.mvcc.Event> events, long revision) -> {
                    // Who leads as of this revision: the oldest key then.
                    GetResult r = node.kv().get(KeyRange.prefix(prefix), GetOptions.defaults().withRevision(revision)
                            .withSort(GetOptions.SortTarget.CREATE, GetOptions.SortOrder.ASCEND).withLimit(1));
                    listener.accept(r.first());
                });
    }
}
