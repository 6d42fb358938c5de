package io.cohort.transport.tcp;

import io.cohort.raft.Transport;
import io.cohort.transport.tcp.internal.Counters;
import io.cohort.transport.tcp.internal.Frames;
import io.cohort.transport.tcp.internal.Handshake;
import io.cohort.transport.tcp.internal.InboundConnection;
import io.cohort.transport.tcp.internal.InboundHandler;
import io.cohort.transport.tcp.internal.PeerLink;
import io.cohort.transport.tcp.internal.RepeatFilter;
import io.cohort.transport.tcp.internal.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.agrona.DirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consensus {@link Transport} over TCP, optionally with mutual TLS 1.3 ({@link TlsConfig}).
 *
 * <pre>{@code
 * TcpTransport transport = TcpTransport.builder()
 *     .clusterId("orders").memberId(1)
 *     .listen(new InetSocketAddress("10.0.0.1", 7400))
 *     .peer(2, new InetSocketAddress("10.0.0.2", 7400))
 *     .peer(3, new InetSocketAddress("10.0.0.3", 7400))
 *     .tls(TlsConfig.fromPem(chain, key, ca))
 *     .build();
 * RaftNode node = RaftNode.builder(1).transport(transport)...start();
 * }</pre>
 *
 * <p><b>Who dials whom.</b> Each member dials every peer and uses that one outbound connection only
 * to send; connections it accepts only receive. So between two members there are two connections,
 * one per direction, and no duplicate-connection race to resolve; a restarted member simply dials
 * again, and a newer inbound connection from a member replaces the older one.
 *
 * <p><b>Threads: blocking sockets, one thread per connection.</b> One writer thread per peer (dial,
 * handshake, batched writes, reconnect with backoff), one reader thread per accepted connection
 * (bounded by {@link Builder#maxInboundConnections}), one acceptor thread, and one watchdog that
 * closes a connection whose write has stalled past {@link Builder#writeTimeoutMs} (blocking sockets
 * have no write timeout). A Raft group has a
 * handful of members, so that is a handful of threads; in exchange TLS is the JDK's
 * {@code SSLSocket} instead of an {@code SSLEngine} state machine, a slow peer only ever stalls its
 * own thread, and each thread's code reads top to bottom. Batching is not lost: each peer's send
 * queue is a byte ring of ready frames that its writer flushes with one write per contiguous run.
 *
 * <p><b>Wire.</b> After TLS (if on), the dialer sends a hello (magic, protocol version, cluster ID, its
 * member ID, the member ID it expects to reach); the acceptor refuses, with a logged reason sent back
 * and logged by the dialer too, another cluster, another protocol version, an unknown member, or a
 * hello meant for someone else. Then frames: length, CRC32C, payload. A frame over
 * {@link Builder#maxFrameBytes} or with a bad checksum closes the connection with a WARN log and is
 * never delivered.
 *
 * <p><b>Delivery</b> is at most once and in order per connection: a failed connection drops what was
 * queued for it (Raft retries). {@link #send} never blocks: it returns false when the peer is unknown,
 * the transport closed, or the peer's bounded send queue is full. Messages are delivered to the
 * {@code Inbound} one at a time, never after {@link #close()} returns.
 *
 * <p>Snapshot chunks are ordinary messages here, each bounded by {@code maxFrameBytes}.
 */
public final class TcpTransport implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTransport.class);
    private static final long JOIN_MS = 5_000;

    /** Default {@link Builder#maxFrameBytes}: 16 MiB, room for an 8 MiB entry or a 1 MiB snapshot chunk. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;
    /** Default {@link Builder#maxSendQueueBytes}: 32 MiB per peer, allocated only as it fills. */
    public static final int DEFAULT_MAX_SEND_QUEUE_BYTES = 32 << 20;

    private final Settings settings;
    private final Counters counters = new Counters();
    private final ServerSocket server;
    private final Map<Long, PeerLink> peers = new ConcurrentHashMap<>();
    private final Map<Long, InboundConnection> inboundByMember = new ConcurrentHashMap<>();
    private final Set<InboundConnection> inboundAll = ConcurrentHashMap.newKeySet();
    private final AtomicInteger inboundCount = new AtomicInteger();
    private final Object lifecycleLock = new Object();
    /** Deliveries hold the read lock (connections deliver at once); start and close the write lock. */
    private final ReentrantReadWriteLock deliveryLock = new ReentrantReadWriteLock();
    private final Handler handler = new Handler();
    private final RepeatFilter refusalLog = new RepeatFilter(256, 60_000);
    private Thread acceptor; // guarded by lifecycleLock
    private Thread watchdog; // guarded by lifecycleLock
    private Inbound inbound; // guarded by deliveryLock
    private volatile boolean started;
    private volatile boolean closed;

    private TcpTransport(Builder b, Settings settings) {
        this.settings = settings;
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true); // a restarted member rebinds its port while old connections linger
            s.bind(b.listen, 128);
            this.server = s;
        } catch (IOException e) {
            throw new UncheckedIOException("member " + settings.memberId() + " cannot listen on " + b.listen + ": " + e.getMessage(), e);
        }
        b.peers.forEach((id, address) -> peers.put(id, new PeerLink(settings, counters, id, address)));
    }

    /** A builder; cluster ID, member ID and listen address are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The address this transport listens on (bound by {@link Builder#build()}, so port 0 is resolved). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** This member's ID. */
    public long memberId() {
        return settings.memberId();
    }

    /** The cluster this member belongs to. */
    public String clusterId() {
        return settings.clusterId();
    }

    /** True if TLS is on. */
    public boolean tls() {
        return settings.tls();
    }

    /** The peers currently known, by member ID. */
    public Map<Long, InetSocketAddress> peers() {
        Map<Long, InetSocketAddress> copy = new TreeMap<>();
        peers.forEach((id, link) -> copy.put(id, link.address()));
        return copy;
    }

    /** True while an outbound connection to {@code peerId} is open (its handshake was accepted). */
    public boolean isConnected(long peerId) {
        PeerLink link = peers.get(peerId);
        return link != null && link.connected();
    }

    /** Bytes queued for {@code peerId} and not yet written (0 for an unknown peer). */
    public long queuedBytes(long peerId) {
        PeerLink link = peers.get(peerId);
        return link == null ? 0 : link.queuedBytes();
    }

    /** Bytes allocated for the send queue of {@code peerId}; never above {@link Builder#maxSendQueueBytes}. */
    public long sendQueueAllocatedBytes(long peerId) {
        PeerLink link = peers.get(peerId);
        return link == null ? 0 : link.allocatedBytes();
    }

    /** A snapshot of this transport's counters. */
    public Metrics metrics() {
        return new Metrics(counters.framesSent.get(), counters.framesReceived.get(), counters.framesDropped.get(),
            counters.sendsRefused.get(), counters.corruptFrames.get(), counters.handshakesRefused.get(),
            counters.tlsHandshakesFailed.get(), counters.writeTimeouts.get(), counters.connectionsOpened.get(), counters.reconnects.get(),
            counters.framesSentBySender.get());
    }

    /**
     * Adds (or re-addresses) peer {@code id} at {@code address}, e.g. after a membership change; from
     * now on messages to it are queued and its connections are accepted. Adding a peer again at the
     * same address changes nothing.
     */
    public void addPeer(long id, InetSocketAddress address) {
        checkPeer(id, address);
        PeerLink link;
        PeerLink old;
        synchronized (lifecycleLock) {
            if (closed) {
                throw new IllegalStateException("member " + settings.memberId() + ": transport is closed");
            }
            old = peers.get(id);
            if (old != null && old.address().equals(address)) {
                return;
            }
            link = new PeerLink(settings, counters, id, address);
            peers.put(id, link);
            if (started) {
                link.start();
            }
        }
        if (old != null) {
            old.close(JOIN_MS);
        }
        LOG.info("member {}: peer {} at {}{}", settings.memberId(), id, address, old == null ? " added" : " re-addressed");
    }

    /**
     * Removes peer {@code id}: closes both connections with it, drops what is queued for it, and refuses
     * its future connections. Returns false if it was not a peer.
     */
    public boolean removePeer(long id) {
        PeerLink link;
        synchronized (lifecycleLock) {
            link = peers.remove(id);
        }
        InboundConnection in = inboundByMember.remove(id);
        if (in != null) {
            in.close();
        }
        if (link == null) {
            return false;
        }
        link.close(JOIN_MS);
        LOG.info("member {}: peer {} removed", settings.memberId(), id);
        return true;
    }

    @Override
    public void start(long selfId, Inbound inbound) {
        Objects.requireNonNull(inbound, "inbound");
        if (selfId != settings.memberId()) {
            throw new IllegalArgumentException("this transport belongs to member " + settings.memberId() + ", not " + selfId);
        }
        synchronized (lifecycleLock) {
            if (closed) {
                throw new IllegalStateException("member " + selfId + ": transport is closed");
            }
            if (started) {
                throw new IllegalStateException("member " + selfId + ": transport is already started");
            }
            deliveryLock.writeLock().lock();
            try {
                this.inbound = inbound;
            } finally {
                deliveryLock.writeLock().unlock();
            }
            started = true;
            acceptor = new Thread(this::acceptLoop, "cohort-tcp-" + selfId + "-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            watchdog = new Thread(this::watchWrites, "cohort-tcp-" + selfId + "-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            peers.values().forEach(PeerLink::start);
        }
        LOG.info("member {} of cluster '{}': listening on {}{}, peers {}", selfId, settings.clusterId(), localAddress(),
            settings.tls() ? " with mutual TLS 1.3" : " (plaintext)", peers());
    }

    /**
     * {@inheritDoc}
     *
     * @throws FrameTooLargeException if {@code length} exceeds {@link Builder#maxFrameBytes}
     */
    @Override
    public boolean send(long toId, DirectBuffer buffer, int offset, int length) {
        if (length > settings.maxFrameBytes()) {
            throw new FrameTooLargeException(length, settings.maxFrameBytes());
        }
        if (length < 0) {
            throw new IllegalArgumentException("message length must be >= 0, was " + length);
        }
        PeerLink link = peers.get(toId);
        if (link == null || closed || !link.offer(buffer, offset, length)) {
            counters.sendsRefused.incrementAndGet();
            return false;
        }
        return true;
    }

    /** True: every inbound connection has its own reading thread, so a receiver may do a message's work on it. */
    @Override
    public boolean inboundThreadsMayBlock() {
        return true;
    }

    @Override
    public void close() {
        Thread acceptorThread;
        Thread watchdogThread;
        synchronized (lifecycleLock) {
            if (closed) {
                return;
            }
            closed = true;
            acceptorThread = acceptor;
            watchdogThread = watchdog;
        }
        if (watchdogThread != null) {
            LockSupport.unpark(watchdogThread);
        }
        deliveryLock.writeLock().lock(); // waits for deliveries in progress; none start afterwards
        try {
            inbound = null;
        } finally {
            deliveryLock.writeLock().unlock();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("member {}: closing the listening socket: {}", settings.memberId(), e.toString());
        }
        // Stop everything first, then wait for all with one deadline: a close takes one wait, not one per peer.
        peers.values().forEach(PeerLink::stop);
        for (InboundConnection c : inboundAll) {
            c.close();
        }
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
        peers.values().forEach(link -> link.awaitStopped(deadlineNanos));
        if (acceptorThread != null && acceptorThread != Thread.currentThread()) {
            try {
                acceptorThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LOG.info("member {}: transport closed", settings.memberId());
    }

    @Override
    public String toString() {
        return "TcpTransport{member " + settings.memberId() + " of '" + settings.clusterId() + "' at " + localAddress()
            + (closed ? ", closed" : "") + "}";
    }

    private void checkPeer(long id, InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (id <= 0) {
            throw new IllegalArgumentException("peer member ID must be > 0, was " + id);
        }
        if (id == settings.memberId()) {
            throw new IllegalArgumentException("member " + id + " cannot be its own peer");
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket raw;
            try {
                raw = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("member {}: accepting connections failed; no more inbound connections", settings.memberId(), e);
                }
                return;
            }
            if (inboundCount.incrementAndGet() > settings.maxInboundConnections()) {
                inboundCount.decrementAndGet();
                LOG.warn("member {}: refused a connection from {}: already {} inbound connections (maxInboundConnections)",
                    settings.memberId(), raw.getRemoteSocketAddress(), settings.maxInboundConnections());
                closeQuietly(raw);
                continue;
            }
            InboundConnection[] self = new InboundConnection[1];
            InboundConnection c = new InboundConnection(settings, counters, handler, raw, () -> {
                inboundAll.remove(self[0]);
                inboundCount.decrementAndGet();
            });
            self[0] = c;
            inboundAll.add(c);
            if (closed) {
                c.close();
            }
            Thread t = new Thread(c, "cohort-tcp-" + settings.memberId() + "-from-" + raw.getRemoteSocketAddress());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Checks a few times per write timeout for stalled writes (see {@link PeerLink#closeIfStalled}). */
    private void watchWrites() {
        long periodNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(10, Math.min(1_000, settings.writeTimeoutMs() / 4)));
        while (!closed) {
            LockSupport.parkNanos(this, periodNanos);
            long now = System.nanoTime();
            for (PeerLink link : peers.values()) {
                link.closeIfStalled(now);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** What inbound connections see of the transport. */
    private final class Handler implements InboundHandler {
        @Override
        public Refusal admit(Handshake.Hello hello, String peerCommonName) {
            if (hello.version() != Handshake.PROTOCOL_VERSION) {
                return new Refusal(Handshake.UNSUPPORTED_VERSION, "protocol version " + hello.version()
                    + " is not supported (member " + settings.memberId() + " speaks " + Handshake.PROTOCOL_VERSION + ")");
            }
            if (!hello.clusterId().equals(settings.clusterId())) {
                return new Refusal(Handshake.WRONG_CLUSTER, "cluster ID '" + hello.clusterId() + "' is not this cluster '"
                    + settings.clusterId() + "'");
            }
            if (hello.toMemberId() != settings.memberId()) {
                return new Refusal(Handshake.WRONG_TARGET, "the hello is addressed to member " + hello.toMemberId()
                    + " but this is member " + settings.memberId());
            }
            if (!peers.containsKey(hello.fromMemberId())) {
                return new Refusal(Handshake.UNKNOWN_MEMBER, "member " + hello.fromMemberId() + " is not a peer of member "
                    + settings.memberId() + " (peers " + peers.keySet() + ")");
            }
            if (settings.memberIdInCommonName() && !Long.toString(hello.fromMemberId()).equals(peerCommonName)) {
                return new Refusal(Handshake.CERTIFICATE_MISMATCH, "the hello claims member " + hello.fromMemberId()
                    + " but the client certificate names CN=" + peerCommonName);
            }
            return null;
        }

        @Override
        public void register(long memberId, InboundConnection connection) {
            InboundConnection older = inboundByMember.put(memberId, connection);
            if (older != null && older != connection) {
                // A member keeps one outbound connection: a new one means the old one is dead.
                older.close();
            }
            if (!peers.containsKey(memberId)) { // removed while handshaking
                inboundByMember.remove(memberId, connection);
                connection.close();
            }
        }

        @Override
        public void unregister(InboundConnection connection) {
            long memberId = connection.memberId();
            if (memberId != 0) {
                inboundByMember.remove(memberId, connection);
            }
        }

        @Override
        public boolean isNews(String refusal) {
            return refusalLog.isNews(refusal, System.nanoTime());
        }

        @Override
        public void drained(long fromId) {
            Inbound target = lockInbound();
            try {
                if (target != null) {
                    target.onDrained(fromId);
                }
            } catch (RuntimeException e) {
                LOG.warn("member {}: the inbound handler failed after messages from {}", settings.memberId(), fromId, e);
            } finally {
                deliveryLock.readLock().unlock();
            }
        }

        @Override
        public void deliver(long fromId, DirectBuffer buffer, int offset, int length) {
            Inbound target = lockInbound();
            try {
                if (target != null) {
                    target.onMessage(fromId, buffer, offset, length);
                }
            } catch (RuntimeException e) {
                LOG.warn("member {}: the inbound handler failed on a message from {}", settings.memberId(), fromId, e);
            } finally {
                deliveryLock.readLock().unlock();
            }
        }

        /** Takes the delivery read lock (the caller releases it) and returns the inbound, null once closed. */
        private Inbound lockInbound() {
            deliveryLock.readLock().lock();
            return inbound;
        }
    }

    /**
     * Counters of one transport since it was built.
     *
     * @param framesSent frames written to sockets
     * @param framesReceived frames received intact and delivered
     * @param framesDropped queued frames discarded because their connection failed or their peer was removed
     * @param sendsRefused {@link #send} calls that returned false
     * @param corruptFrames frames rejected for a bad checksum or length (each closed its connection)
     * @param handshakesRefused handshakes refused by this member or by the member it dialed
     * @param tlsHandshakesFailed TLS handshakes that failed, either side (untrusted or missing certificate, plaintext peer)
     * @param writeTimeouts outbound connections closed because a write stalled longer than the write timeout
     * @param connectionsOpened outbound connections established
     * @param reconnects outbound connections re-established after one to the same peer was lost
     * @param framesSentBySender of {@code framesSent}, those written on the thread that called {@link #send}
     *     (plaintext, nothing else being written to that peer) instead of by the peer's writer thread
     */
    public record Metrics(long framesSent, long framesReceived, long framesDropped, long sendsRefused,
                          long corruptFrames, long handshakesRefused, long tlsHandshakesFailed, long writeTimeouts, long connectionsOpened, long reconnects,
                          long framesSentBySender) {
    }

    /** Builds a {@link TcpTransport}; validates every setting and binds the listening socket. */
    public static final class Builder {
        private String clusterId;
        private long memberId;
        private InetSocketAddress listen;
        private final Map<Long, InetSocketAddress> peers = new TreeMap<>();
        private TlsConfig tls;
        private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
        private int maxSendQueueBytes = DEFAULT_MAX_SEND_QUEUE_BYTES;
        private int maxBatchBytes = 1 << 20;
        private int connectTimeoutMs = 2_000;
        private int writeTimeoutMs = 10_000;
        private int handshakeTimeoutMs = 5_000;
        private int reconnectMinMs = 20;
        private int reconnectMaxMs = 2_000;
        private int maxInboundConnections = 64;
        private boolean writeOnSenderThread = true;

        private Builder() {
        }

        /** The cluster's ID (required): peers of another cluster are refused. At most 255 UTF-8 bytes. */
        public Builder clusterId(String v) {
            Objects.requireNonNull(v, "clusterId");
            int bytes = v.getBytes(StandardCharsets.UTF_8).length;
            if (bytes == 0 || bytes > Handshake.MAX_CLUSTER_ID_BYTES) {
                throw new IllegalArgumentException("clusterId must have 1 to " + Handshake.MAX_CLUSTER_ID_BYTES
                    + " UTF-8 bytes, had " + bytes);
            }
            this.clusterId = v;
            return this;
        }

        /** This member's ID (required, > 0). */
        public Builder memberId(long v) {
            if (v <= 0) {
                throw new IllegalArgumentException("memberId must be > 0, was " + v);
            }
            this.memberId = v;
            return this;
        }

        /** The address to listen on (required); port 0 picks a free port, see {@link #localAddress()}. */
        public Builder listen(InetSocketAddress v) {
            this.listen = Objects.requireNonNull(v, "listen");
            return this;
        }

        /** A peer to send to and accept connections from; more can be added later with {@link #addPeer}. */
        public Builder peer(long id, InetSocketAddress address) {
            Objects.requireNonNull(address, "address");
            if (id <= 0) {
                throw new IllegalArgumentException("peer member ID must be > 0, was " + id);
            }
            peers.put(id, address);
            return this;
        }

        /** Mutual TLS 1.3 on every connection (default: plaintext). */
        public Builder tls(TlsConfig v) {
            this.tls = Objects.requireNonNull(v, "tls");
            return this;
        }

        /** The largest message, sent or received, in bytes (default 16 MiB); must match on all members. */
        public Builder maxFrameBytes(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxFrameBytes must be >= 1, was " + v);
            }
            this.maxFrameBytes = v;
            return this;
        }

        /** The bound of each peer's send queue in bytes, headers included (default 32 MiB); full means {@code send} returns false. */
        public Builder maxSendQueueBytes(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxSendQueueBytes must be >= 1, was " + v);
            }
            this.maxSendQueueBytes = v;
            return this;
        }

        /** The most bytes written to a socket in one batch (default 1 MiB; a larger single frame goes alone). */
        public Builder maxBatchBytes(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxBatchBytes must be >= 1, was " + v);
            }
            this.maxBatchBytes = v;
            return this;
        }

        /** The TCP connect timeout (default 2000 ms). */
        public Builder connectTimeoutMs(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("connectTimeoutMs must be >= 1, was " + v);
            }
            this.connectTimeoutMs = v;
            return this;
        }

        /**
         * How long one write to a peer may stall before its connection is closed and redialed
         * (default 10000 ms): a peer that stops reading, or a host gone without a reset.
         */
        public Builder writeTimeoutMs(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("writeTimeoutMs must be >= 1, was " + v);
            }
            this.writeTimeoutMs = v;
            return this;
        }

        /** The bound on TLS handshake plus hello exchange, on both sides (default 5000 ms). */
        public Builder handshakeTimeoutMs(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("handshakeTimeoutMs must be >= 1, was " + v);
            }
            this.handshakeTimeoutMs = v;
            return this;
        }

        /** Reconnect delays: from {@code minMs}, doubling per failure up to {@code maxMs}, with jitter (default 20..2000 ms). */
        public Builder reconnectBackoffMs(int minMs, int maxMs) {
            if (minMs < 1 || maxMs < minMs) {
                throw new IllegalArgumentException("reconnect backoff needs 1 <= minMs <= maxMs, was " + minMs + ", " + maxMs);
            }
            this.reconnectMinMs = minMs;
            this.reconnectMaxMs = maxMs;
            return this;
        }

        /** The most inbound connections at once, each with its own thread (default 64); more are refused. */
        public Builder maxInboundConnections(int v) {
            if (v < 1) {
                throw new IllegalArgumentException("maxInboundConnections must be >= 1, was " + v);
            }
            this.maxInboundConnections = v;
            return this;
        }

        /**
         * Without TLS, whether {@link TcpTransport#send} writes the frame itself, without blocking, when
         * nothing else is being written to that peer (default true): one thread wake-up less per message.
         * False hands every frame to the peer's writer thread. No effect with TLS (always the writer thread).
         */
        public Builder writeOnSenderThread(boolean v) {
            this.writeOnSenderThread = v;
            return this;
        }

        /** Validates the settings and binds the listening socket; connections are accepted from {@link TcpTransport#start}. */
        public TcpTransport build() {
            if (clusterId == null) {
                throw new IllegalStateException("clusterId is required");
            }
            if (memberId == 0) {
                throw new IllegalStateException("memberId is required");
            }
            if (listen == null) {
                throw new IllegalStateException("listen address is required");
            }
            if (peers.containsKey(memberId)) {
                throw new IllegalStateException("member " + memberId + " cannot be its own peer");
            }
            if ((long) maxFrameBytes + Frames.HEADER_BYTES > maxSendQueueBytes) {
                throw new IllegalStateException("maxSendQueueBytes " + maxSendQueueBytes + " cannot hold one frame of maxFrameBytes "
                    + maxFrameBytes + " plus its " + Frames.HEADER_BYTES + "-byte header");
            }
            Settings settings = new Settings(clusterId, memberId, maxFrameBytes, maxSendQueueBytes, maxBatchBytes,
                connectTimeoutMs, writeTimeoutMs, handshakeTimeoutMs, reconnectMinMs, reconnectMaxMs, maxInboundConnections,
                tls == null ? null : tls.sslContext(), tls != null && tls.memberIdInCommonName(), writeOnSenderThread);
            return new TcpTransport(this, settings);
        }
    }
}
