/**
 * The node's internals, not part of the API: the Raft state machine over the keyspace, the entry encoding, the
 * snapshot files, the request and response mapping and the API implementations.
 */
package io.cohort.internal;
