/**
 * The MVCC keyspace: etcd 3.4 semantics (revisions, ranges, txns, compaction, leases table, history as events,
 * hash) on LMDB. Start at {@link io.cohort.mvcc.Keyspace}.
 *
 * <p>Storage layout (see {@code internal.Store}): {@code rev} maps a 16-byte revision {main, sub} to a record
 * (key, value, create revision, version, lease, tombstone flag, and the revision of the key's previous version);
 * {@code kv} maps each key to its latest version (revision + record header + value) so current-revision reads
 * are one lookup or one cursor pass, while reads in the past follow the version chain; {@code meta} holds the
 * format marker and the applied index, current, compacted and physically compacted revisions; {@code lease}
 * and {@code lease_keys} hold the leases table. Keys are at most 511 bytes (LMDB's key limit).
 */
package io.cohort.mvcc;
