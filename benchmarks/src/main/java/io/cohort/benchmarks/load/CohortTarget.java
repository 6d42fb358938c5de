package io.cohort.benchmarks.load;

import io.cohort.CohortNode;
import io.cohort.Compare;
import io.cohort.GetOptions;
import io.cohort.KeyRange;
import io.cohort.KvStore;
import io.cohort.MemberStatus;
import io.cohort.Op;
import io.cohort.PutOptions;
import io.cohort.Watch;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Cohort embedded in this JVM: the load goes to the local {@link CohortNode}'s {@link KvStore}. */
public final class CohortTarget implements Target {
    static final String MAIN_PREFIX = "bench/key/";
    static final String WATCH_PREFIX = "bench/watch/";

    private final CohortNode node;
    private final KvStore kv;
    private final GetOptions linearizable = GetOptions.defaults();
    private final GetOptions serializable = GetOptions.serializableRead();
    private final PutOptions putOptions = PutOptions.defaults();
    private KeyRange[] ranges;
    private Bytes[] keys;
    private Bytes[] watchedKeys;

    private final String executorNote;

    /** A target over {@code node} (not closed by this target); {@code executorNote} says which callback executor. */
    public CohortTarget(CohortNode node, String executorNote) {
        this.node = node;
        this.executorNote = executorNote;
        this.kv = node.kv();
    }

    @Override
    public String name() {
        return "cohort";
    }

    @Override
    public void prepare(int keyCount, byte[] value) throws Exception {
        keys = new Bytes[keyCount];
        ranges = new KeyRange[keyCount];
        watchedKeys = new Bytes[keyCount];
        for (int i = 0; i < keyCount; i++) {
            keys[i] = Bytes.ofUtf8(String.format("%s%08d", MAIN_PREFIX, i));
            ranges[i] = KeyRange.key(keys[i]);
            watchedKeys[i] = Bytes.ofUtf8(String.format("%s%08d", WATCH_PREFIX, i));
        }
        Target.preload(this, keyCount, value);
    }

    @Override
    public CompletableFuture<?> putAsync(int keyIndex, byte[] value) {
        return kv.putAsync(keys[keyIndex], Bytes.wrap(value), putOptions);
    }

    @Override
    public CompletableFuture<?> rangeAsync(int keyIndex, boolean linearizableRead) {
        return kv.getAsync(ranges[keyIndex], linearizableRead ? linearizable : serializable);
    }

    @Override
    public CompletableFuture<Boolean> casAsync(int keyIndex, byte[] expected, byte[] value) {
        Bytes k = keys[keyIndex];
        Op.Txn txn = Op.txn(
                List.of(new Compare(ranges[keyIndex], Compare.Target.VALUE, Compare.Operator.EQUAL, 0,
                        Bytes.wrap(expected))),
                List.of(Op.put(k, Bytes.wrap(value), putOptions)),
                List.of(Op.get(ranges[keyIndex], linearizable)));
        return kv.txnAsync(txn).thenApply(r -> r.succeeded());
    }

    @Override
    public CompletableFuture<?> putWatchedAsync(int keyIndex, byte[] value) {
        return kv.putAsync(watchedKeys[keyIndex], Bytes.wrap(value), putOptions);
    }

    @Override
    public AutoCloseable watch(EventSink sink) {
        Watch w = node.watcher().watch(WatchSpec.prefix(WATCH_PREFIX), new WatchListener() {
            @Override
            public void onEvents(List<Event> events, long revision) {
                for (Event e : events) {
                    if (e.type() == Event.Type.PUT) {
                        sink.onEvent(stamp(e.kv().value()));
                    }
                }
            }
        });
        return w;
    }

    private static long stamp(Bytes value) {
        long v = 0;
        for (int b = 0; b < Long.BYTES; b++) {
            v = (v << 8) | (value.byteAt(b) & 0xFF);
        }
        return v;
    }

    @Override
    public String describe() {
        MemberStatus s = node.maintenance().status();
        return "Cohort member " + s.memberId() + " in this JVM (" + (s.isLeader() ? "leader" : "follower, leader is "
                + s.leaderId()) + "), KvStore async API, " + executorNote;
    }

    @Override
    public void close() {
        // The node belongs to the caller.
    }
}
