/**
 * Cohort's public API: {@link io.cohort.CohortNode} (one replicated member, built with a builder), its
 * {@link io.cohort.KvStore} (etcd v3 key-value semantics: put, get, delete, txn, compact), {@link io.cohort.Leases},
 * {@link io.cohort.Cluster} (membership and leadership) and {@link io.cohort.Maintenance}. Values are immutable; every
 * operation is async first ({@code ...Async} returns a {@link java.util.concurrent.CompletableFuture}) with a
 * blocking form. Bad requests fail with {@link io.cohort.mvcc.KeyspaceException} (etcd's code and message),
 * replication problems with {@link io.cohort.CohortException}.
 */
package io.cohort;
