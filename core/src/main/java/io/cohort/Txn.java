package io.cohort;

import io.cohort.internal.Await;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A fluent txn builder from {@link KvStore#txn()}: {@code when(...)}, {@code then(...)}, {@code otherwise(...)},
 * then {@link #commit()} or {@link #commitAsync()}. Each call adds to what was given before. Not thread-safe;
 * {@link #toOp()} gives the immutable txn (to nest it in another txn's branch).
 */
public final class Txn {
    private final KvStore kv;
    private final List<Compare> when = new ArrayList<>();
    private final List<Op> then = new ArrayList<>();
    private final List<Op> otherwise = new ArrayList<>();

    Txn(KvStore kv) {
        this.kv = kv;
    }

    /** A builder not bound to a store, for nested txns ({@link #toOp()}). */
    public static Txn nested() {
        return new Txn(null);
    }

    /** Adds conditions; all must hold for {@link #then} to run. */
    public Txn when(Compare... compares) {
        when.addAll(Arrays.asList(compares));
        return this;
    }

    /** Adds ops run when every condition holds. */
    public Txn then(Op... ops) {
        then.addAll(Arrays.asList(ops));
        return this;
    }

    /** Adds ops run when some condition does not hold. */
    public Txn otherwise(Op... ops) {
        otherwise.addAll(Arrays.asList(ops));
        return this;
    }

    /** The txn as an immutable op. */
    public Op.Txn toOp() {
        return new Op.Txn(when, then, otherwise);
    }

    /** Commits the txn; the future completes with its result once applied. */
    public CompletableFuture<TxnResult> commitAsync() {
        Objects.requireNonNull(kv, "a nested txn builder cannot commit: pass toOp() to a branch");
        return kv.txnAsync(toOp());
    }

    /** Commits the txn and waits for its result. */
    public TxnResult commit() {
        return Await.result(commitAsync());
    }
}
