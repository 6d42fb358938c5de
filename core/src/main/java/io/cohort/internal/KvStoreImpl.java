package io.cohort.internal;

import io.cohort.DeleteOptions;
import io.cohort.DeleteResult;
import io.cohort.GetOptions;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.KvStore;
import io.cohort.Op;
import io.cohort.PutOptions;
import io.cohort.PutResult;
import io.cohort.TxnResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.DeleteRangeResponse;
import io.cohort.mvcc.PutResponse;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.TxnResponse;
import java.util.concurrent.CompletableFuture;

/** The {@link KvStore} of a node: writes through Raft, reads from the local keyspace. */
public final class KvStoreImpl implements KvStore {
    private final NodeCore node;

    /** The store served by {@code node}. */
    public KvStoreImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public CompletableFuture<PutResult> putAsync(Bytes key, Bytes value, PutOptions options) {
        return node.write(Requests.put(key, value, options)).thenApply(r -> Responses.put((PutResponse) r));
    }

    @Override
    public CompletableFuture<GetResult> getAsync(KeyRange keys, GetOptions options) {
        RangeRequest request = Requests.range(keys, options);
        return node.read(options.serializable(), ks -> Responses.get(ks.range(request)));
    }

    @Override
    public CompletableFuture<DeleteResult> deleteAsync(KeyRange keys, DeleteOptions options) {
        return node.write(Requests.delete(keys, options)).thenApply(r -> Responses.delete((DeleteRangeResponse) r));
    }

    @Override
    public CompletableFuture<TxnResult> txnAsync(Op.Txn txn) {
        return node.write(Requests.txn(txn)).thenApply(r -> Responses.txn((TxnResponse) r));
    }

    @Override
    public CompletableFuture<Long> compactAsync(long revision) {
        return node.write(new CompactRequest(revision)).thenApply(r -> r.revision());
    }
}
