/**
 * The consensus {@link io.cohort.raft.Transport} over TCP, optionally with mutual TLS 1.3: start with
 * {@link io.cohort.transport.tcp.TcpTransport#builder()}.
 */
package io.cohort.transport.tcp;
