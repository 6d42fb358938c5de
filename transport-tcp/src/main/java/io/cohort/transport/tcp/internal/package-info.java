/** Internals of the TCP transport: framing, send rings, handshake, connections. Not an API. */
package io.cohort.transport.tcp.internal;
