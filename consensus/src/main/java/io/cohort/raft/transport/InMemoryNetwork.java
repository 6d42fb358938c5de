package io.cohort.raft.transport;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.cohort.raft.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A simulated network for running a whole Raft cluster inside one JVM, e.g. in users' unit tests.
 *
 * <pre>{@code
 * try (InMemoryNetwork network = InMemoryNetwork.create(42)) {
 *     Transport t1 = network.transport(1);
 *     Transport t2 = network.transport(2);
 *     ...
 *     network.faults(Faults.none().withDropProbability(0.1).withDelayMillis(1, 10));
 *     network.isolate(1);
 *     network.heal();
 * }
 * }</pre>
 *
 * <p>Without faults, a message whose link has nothing queued is handed to the receiver on the
 * sender's thread during {@link Transport#send} (unless that thread is itself in a delivery
 * callback). Otherwise it is copied and delivered on one network
 * thread, in FIFO order per link (sender, receiver) unless reordering is injected. Each link has a bounded queue:
 * {@code send} returns false when it is full, when the receiver is unknown, or when the sender is
 * closed. Fault injection ({@link Faults}: drop, delay, duplicate, reorder) and partitions
 * ({@link #partition}, {@link #isolate}, {@link #heal}) can change at any time; a partition drops
 * messages at send and any still in flight at delivery. All randomness comes from the seed: each
 * link draws from its own generator derived from (seed, sender, receiver), so a link's faults are
 * reproducible given the order of sends on it.
 *
 * <p>Thread-safe. Closing a transport (or the network) is idempotent, and its {@code Inbound} is
 * never called after {@code close()} returns.
 */
public final class InMemoryNetwork implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InMemoryNetwork.class);
    /** Default bound of each link's queue, in messages. */
    public static final int DEFAULT_LINK_CAPACITY_MESSAGES = 1024;
    /** Largest message accepted (16 MiB). */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;
    private static final Faults NO_FAULTS = Faults.none();
    /** Set while this thread runs a delivery callback of this network. */
    private final ThreadLocal<Boolean> delivering = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final long seed;
    private final int linkCapacityMessages;
    private final Object lock = new Object();
    private final Map<Long, Endpoint> endpoints = new HashMap<>();
    private final Map<LinkKey, Link> links = new HashMap<>();
    private final PriorityQueue<Message> inFlight = new PriorityQueue<>();
    private final Set<Long> isolated = new HashSet<>();
    private final Set<LinkKey> blockedLinks = new HashSet<>();
    private final Thread deliveryThread;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong duplicated = new AtomicLong();
    private volatile Faults faults = Faults.none();
    private long sequence;
    private boolean closed;

    private InMemoryNetwork(long seed, int linkCapacityMessages) {
        this.seed = seed;
        this.linkCapacityMessages = linkCapacityMessages;
        this.deliveryThread = new Thread(this::deliverLoop, "cohort-in-memory-network-" + seed);
        this.deliveryThread.setDaemon(true);
        this.deliveryThread.start();
    }

    /** Creates a network without faults whose randomness (once faults are set) comes from {@code seed}. */
    public static InMemoryNetwork create(long seed) {
        return builder().seed(seed).build();
    }

    /** A builder for a network with non-default settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link InMemoryNetwork}. */
    public static final class Builder {
        private long seed;
        private int linkCapacityMessages = DEFAULT_LINK_CAPACITY_MESSAGES;
        private Faults faults = Faults.none();

        private Builder() {
        }

        /** The seed of every random decision (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The bound of each link's queue in messages (default 1024). */
        public Builder linkCapacityMessages(int messages) {
            if (messages < 1) {
                throw new IllegalArgumentException("linkCapacityMessages must be >= 1, was " + messages);
            }
            this.linkCapacityMessages = messages;
            return this;
        }

        /** The initial fault injection (default {@link Faults#none()}). */
        public Builder faults(Faults faults) {
            this.faults = Objects.requireNonNull(faults, "faults");
            return this;
        }

        /** Creates the network and starts its delivery thread. */
        public InMemoryNetwork build() {
            InMemoryNetwork network = new InMemoryNetwork(seed, linkCapacityMessages);
            network.faults(faults);
            return network;
        }
    }

    /**
     * The transport of member {@code memberId}: created on first call, the same object afterwards while
     * it is open; after it was closed, a new one (a restarted member). Messages can be sent to a member
     * once its transport exists; they are delivered once it is started.
     */
    public Transport transport(long memberId) {
        synchronized (lock) {
            checkOpen();
            Endpoint e = endpoints.get(memberId);
            if (e == null || e.closed) {
                e = new Endpoint(memberId);
                endpoints.put(memberId, e);
            }
            return e;
        }
    }

    /** Replaces the fault injection applied to messages sent from now on. */
    public void faults(Faults faults) {
        this.faults = Objects.requireNonNull(faults, "faults");
    }

    /** The fault injection in effect. */
    public Faults faults() {
        return faults;
    }

    /**
     * Cuts every link between a member of {@code a} and a member of {@code b}, both ways, until
     * {@link #heal()}. Messages in flight on those links are dropped too. Members within {@code a}
     * (or within {@code b}) still reach each other.
     */
    public void partition(Set<Long> a, Set<Long> b) {
        synchronized (lock) {
            for (long x : a) {
                for (long y : b) {
                    if (x != y) {
                        blockedLinks.add(new LinkKey(x, y));
                        blockedLinks.add(new LinkKey(y, x));
                    }
                }
            }
        }
    }

    /** Cuts {@code memberId} from every other member, both ways, until {@link #heal()}. */
    public void isolate(long memberId) {
        synchronized (lock) {
            isolated.add(memberId);
        }
    }

    /** Removes every partition and isolation (fault injection stays as set). */
    public void heal() {
        synchronized (lock) {
            isolated.clear();
            blockedLinks.clear();
        }
    }

    /** True if a message from {@code fromId} to {@code toId} would currently be cut by a partition. */
    public boolean isCut(long fromId, long toId) {
        synchronized (lock) {
            return cut(fromId, toId);
        }
    }

    /** Messages handed to an {@code Inbound} so far (duplicates included). */
    public long deliveredCount() {
        return delivered.get();
    }

    /** Messages dropped so far (by fault injection, partitions, or a closed or unstarted receiver). */
    public long droppedCount() {
        return dropped.get();
    }

    /** Extra copies made by duplicate injection so far. */
    public long duplicatedCount() {
        return duplicated.get();
    }

    /** Closes every transport and stops the delivery thread; waits for it. Idempotent. */
    @Override
    public void close() {
        List<Endpoint> all;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(endpoints.values());
            inFlight.clear();
            lock.notifyAll();
        }
        for (Endpoint e : all) {
            e.close();
        }
        if (Thread.currentThread() != deliveryThread) {
            try {
                deliveryThread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ internals

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the in-memory network is closed");
        }
    }

    private record LinkKey(long from, long to) {
    }

    private static long mix(long from, long to) {
        long h = from * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(to * 0xC2B2AE3D27D4EB4FL, 31);
        return h ^ (h >>> 29);
    }

    private boolean cut(long from, long to) {
        if (from == to) {
            return false;
        }
        if (isolated.contains(from) || isolated.contains(to)) {
            return true;
        }
        return !blockedLinks.isEmpty() && blockedLinks.contains(new LinkKey(from, to));
    }

    private boolean send(Endpoint from, long toId, DirectBuffer buffer, int offset, int length) {
        if (length < 0 || length > MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("message length must be in [0, " + MAX_MESSAGE_BYTES + "], was " + length);
        }
        Faults f = faults;
        Endpoint direct;
        synchronized (lock) {
            if (closed || from.closed) {
                return false;
            }
            Endpoint to = endpoints.get(toId);
            if (to == null || to.closed) {
                return false;
            }
            Link link = links.computeIfAbsent(new LinkKey(from.id, toId), k -> new Link(from.id, toId));
            if (link.queued >= linkCapacityMessages) {
                return false;
            }
            if (cut(from.id, toId) || (f.dropProbability() > 0 && link.random.nextDouble() < f.dropProbability())) {
                dropped.incrementAndGet();
                return true; // lost on the wire: the sender cannot tell
            }
            // Without faults and with nothing queued on the link, hand the message over on the
            // sender's thread: FIFO still holds, and a hop through the delivery thread is saved.
            // A send from inside a delivery callback is queued: nesting two endpoints' delivery locks
            // could deadlock against a send in the other direction.
            direct = f.equals(NO_FAULTS) && link.queued == 0 && !delivering.get() ? to : null;
            if (direct == null) {
                enqueueCopy(link, buffer, offset, length, f);
                return true;
            }
        }
        if (direct.deliver(from.id, buffer, offset, length)) {
            delivered.incrementAndGet();
        } else {
            dropped.incrementAndGet();
        }
        return true;
    }

    /** Queues a copy for the delivery thread, with the configured faults; caller holds {@code lock}. */
    private void enqueueCopy(Link link, DirectBuffer buffer, int offset, int length, Faults f) {
        byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        long now = System.nanoTime();
        enqueue(link, copy, now, f);
        if (f.duplicateProbability() > 0 && link.random.nextDouble() < f.duplicateProbability()
            && link.queued < linkCapacityMessages) {
            duplicated.incrementAndGet();
            enqueue(link, copy, now, f);
        }
        lock.notifyAll();
    }

    private void enqueue(Link link, byte[] data, long nowNanos, Faults f) {
        long delayMillis = f.minDelayMillis();
        if (f.maxDelayMillis() > f.minDelayMillis()) {
            delayMillis += link.random.nextLong(f.maxDelayMillis() - f.minDelayMillis() + 1);
        }
        long at = nowNanos + TimeUnit.MILLISECONDS.toNanos(delayMillis);
        boolean reorder = f.reorderProbability() > 0 && link.random.nextDouble() < f.reorderProbability();
        if (reorder) {
            if (f.reorderWindowMillis() > 0) {
                at += TimeUnit.MILLISECONDS.toNanos(link.random.nextLong(f.reorderWindowMillis() + 1));
            }
        } else {
            at = Math.max(at, link.lastDeliveryNanos); // FIFO on the link
            link.lastDeliveryNanos = at;
        }
        link.queued++;
        inFlight.add(new Message(at, sequence++, link, data));
    }

    private void deliverLoop() {
        UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
        while (true) {
            Message m;
            Endpoint target;
            synchronized (lock) {
                while (true) {
                    if (closed) {
                        return;
                    }
                    Message head = inFlight.peek();
                    if (head == null) {
                        waitQuietly(0);
                        continue;
                    }
                    long waitNanos = head.atNanos - System.nanoTime();
                    if (waitNanos > 0) {
                        waitQuietly(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
                        continue;
                    }
                    m = inFlight.poll();
                    break;
                }
                m.link.queued--;
                target = endpoints.get(m.link.to);
                if (cut(m.link.from, m.link.to) || target == null) {
                    dropped.incrementAndGet();
                    continue;
                }
            }
            view.wrap(m.data);
            if (target.deliver(m.link.from, view, 0, m.data.length)) {
                delivered.incrementAndGet();
            } else {
                dropped.incrementAndGet();
            }
        }
    }

    private void waitQuietly(long millis) {
        try {
            lock.wait(millis);
        } catch (InterruptedException e) {
            // only close() ends the loop
        }
    }

    private final class Link {
        final long from;
        final long to;
        final SplittableRandom random;
        int queued;
        long lastDeliveryNanos = Long.MIN_VALUE;

        Link(long from, long to) {
            this.from = from;
            this.to = to;
            this.random = new SplittableRandom(seed ^ mix(from, to));
        }
    }

    private static final class Message implements Comparable<Message> {
        final long atNanos;
        final long sequence;
        final Link link;
        final byte[] data;

        Message(long atNanos, long sequence, Link link, byte[] data) {
            this.atNanos = atNanos;
            this.sequence = sequence;
            this.link = link;
            this.data = data;
        }

        @Override
        public int compareTo(Message o) {
            int c = Long.compare(atNanos, o.atNanos);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    /** One member's view of the network. */
    private final class Endpoint implements Transport {
        final long id;
        final Object deliveryLock = new Object();
        volatile boolean closed;
        Inbound inbound;

        Endpoint(long id) {
            this.id = id;
        }

        @Override
        public void start(long selfId, Inbound inbound) {
            Objects.requireNonNull(inbound, "inbound");
            if (selfId != id) {
                throw new IllegalArgumentException("this transport belongs to member " + id + ", not " + selfId);
            }
            synchronized (deliveryLock) {
                if (closed) {
                    throw new IllegalStateException("transport of member " + id + " is closed");
                }
                if (this.inbound != null) {
                    throw new IllegalStateException("transport of member " + id + " is already started");
                }
                this.inbound = inbound;
            }
        }

        @Override
        public boolean send(long toId, DirectBuffer buffer, int offset, int length) {
            return InMemoryNetwork.this.send(this, toId, buffer, offset, length);
        }

        boolean deliver(long fromId, DirectBuffer buffer, int offset, int length) {
            synchronized (deliveryLock) {
                if (closed || inbound == null) {
                    return false;
                }
                delivering.set(Boolean.TRUE);
                try {
                    inbound.onMessage(fromId, buffer, offset, length);
                } catch (RuntimeException e) {
                    LOG.warn("member {}: inbound handler failed on a message from {}", id, fromId, e);
                } finally {
                    delivering.set(Boolean.FALSE);
                }
                return true;
            }
        }

        @Override
        public void close() {
            synchronized (deliveryLock) { // waits for a callback in progress; none start afterwards
                closed = true;
                inbound = null;
            }
        }

        @Override
        public String toString() {
            return "InMemoryTransport{" + id + (closed ? ", closed" : "") + "}";
        }
    }
}
