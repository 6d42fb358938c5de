package io.cohort;

import io.cohort.internal.Await;
import io.cohort.mvcc.Bytes;
import java.util.concurrent.CompletableFuture;

/**
 * The replicated key-value store, with etcd v3 semantics. Any member serves any request: writes on a follower
 * are forwarded to the leader and complete with the response computed when applied. Reads are linearizable
 * unless {@link GetOptions#serializable()} is set. Async methods never block; the others wait.
 *
 * <p>Errors: a bad request fails with {@link io.cohort.mvcc.KeyspaceException} (etcd's gRPC code and message);
 * replication problems with a {@link CohortException}.
 */
public interface KvStore {

    /** Puts {@code key = value} with {@code options}. */
    CompletableFuture<PutResult> putAsync(Bytes key, Bytes value, PutOptions options);

    /** Gets {@code keys} with {@code options}. */
    CompletableFuture<GetResult> getAsync(KeyRange keys, GetOptions options);

    /** Deletes {@code keys} with {@code options}. */
    CompletableFuture<DeleteResult> deleteAsync(KeyRange keys, DeleteOptions options);

    /** Runs {@code txn} atomically at one revision. */
    CompletableFuture<TxnResult> txnAsync(Op.Txn txn);

    /** Compacts history up to {@code revision}; completes with the header revision. */
    CompletableFuture<Long> compactAsync(long revision);

    /** Puts {@code key = value} (UTF-8). */
    default CompletableFuture<PutResult> putAsync(String key, String value) {
        return putAsync(Bytes.ofUtf8(key), Bytes.ofUtf8(value), PutOptions.defaults());
    }

    /** Puts {@code key = value} (UTF-8) and waits. */
    default PutResult put(String key, String value) {
        return Await.result(putAsync(key, value));
    }

    /** Puts {@code key = value} and waits. */
    default PutResult put(byte[] key, byte[] value) {
        return Await.result(putAsync(Bytes.copyOf(key), Bytes.copyOf(value), PutOptions.defaults()));
    }

    /** Puts {@code key = value} with {@code options} and waits. */
    default PutResult put(Bytes key, Bytes value, PutOptions options) {
        return Await.result(putAsync(key, value, options));
    }

    /** Gets the single {@code key} (UTF-8), linearizably, and waits. */
    default GetResult get(String key) {
        return get(KeyRange.key(key), GetOptions.defaults());
    }

    /** Gets {@code keys}, linearizably, and waits. */
    default GetResult get(KeyRange keys) {
        return get(keys, GetOptions.defaults());
    }

    /** Gets {@code keys} with {@code options} and waits. */
    default GetResult get(KeyRange keys, GetOptions options) {
        return Await.result(getAsync(keys, options));
    }

    /** Gets the single {@code key} (UTF-8), linearizably. */
    default CompletableFuture<GetResult> getAsync(String key) {
        return getAsync(KeyRange.key(key), GetOptions.defaults());
    }

    /** Deletes {@code keys} and waits. */
    default DeleteResult delete(KeyRange keys) {
        return delete(keys, DeleteOptions.defaults());
    }

    /** Deletes the single {@code key} (UTF-8) and waits. */
    default DeleteResult delete(String key) {
        return delete(KeyRange.key(key), DeleteOptions.defaults());
    }

    /** Deletes {@code keys} with {@code options} and waits. */
    default DeleteResult delete(KeyRange keys, DeleteOptions options) {
        return Await.result(deleteAsync(keys, options));
    }

    /** Starts a txn: {@code kv.txn().when(...).then(...).otherwise(...).commit()}. */
    default Txn txn() {
        return new Txn(this);
    }

    /** Compacts history up to {@code revision} and waits; returns the header revision. */
    default long compact(long revision) {
        return Await.result(compactAsync(revision));
    }
}
