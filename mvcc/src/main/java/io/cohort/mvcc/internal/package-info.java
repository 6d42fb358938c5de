/** Internals of the MVCC keyspace (LMDB layout, apply, txn rules, compaction, history); not an API. */
package io.cohort.mvcc.internal;
