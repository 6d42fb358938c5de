package io.cohort.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import io.cohort.raft.Transport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class InMemoryNetworkTest {

    /** Collects (from, value) of int-sized messages. */
    static final class Collector implements Transport.Inbound {
        final List<long[]> received = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(long fromId, org.agrona.DirectBuffer buffer, int offset, int length) {
            received.add(new long[] {fromId, buffer.getInt(offset)});
        }

        List<Integer> valuesFrom(long from) {
            List<Integer> values = new ArrayList<>();
            for (long[] r : received) {
                if (r[0] == from) {
                    values.add((int) r[1]);
                }
            }
            return values;
        }
    }

    static boolean send(Transport t, long to, int value) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[8]);
        b.putInt(2, value);
        return t.send(to, b, 2, 4);
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(2);
        }
    }

    @Test
    void deliversInFifoOrderPerLinkWithoutFaults() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(1)) {
            Transport t1 = network.transport(1);
            Transport t2 = network.transport(2);
            Transport t3 = network.transport(3);
            Collector c2 = new Collector();
            t1.start(1, new Collector());
            t2.start(2, c2);
            t3.start(3, new Collector());
            for (int i = 0; i < 1000; i++) {
                assertThat(send(t1, 2, i)).isTrue();
                assertThat(send(t3, 2, -i)).isTrue();
            }
            await(() -> c2.received.size() == 2000);
            List<Integer> expected1 = new ArrayList<>();
            List<Integer> expected3 = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                expected1.add(i);
                expected3.add(-i);
            }
            assertThat(c2.valuesFrom(1)).isEqualTo(expected1);
            assertThat(c2.valuesFrom(3)).isEqualTo(expected3);
            assertThat(network.deliveredCount()).isEqualTo(2000);
            assertThat(network.droppedCount()).isZero();
        }
    }

    @Test
    void sendToAnUnknownMemberReturnsFalse() {
        try (InMemoryNetwork network = InMemoryNetwork.create(1)) {
            Transport t1 = network.transport(1);
            assertThat(send(t1, 99, 1)).isFalse();
            assertThat(network.transport(1)).isSameAs(t1);
            assertThatThrownBy(() -> t1.start(2, new Collector())).isInstanceOf(IllegalArgumentException.class);
            t1.start(1, new Collector());
            assertThatThrownBy(() -> t1.start(1, new Collector())).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void dropsWithTheGivenProbabilityReproduciblyFromTheSeed() throws Exception {
        List<Integer> first = runDrops(7);
        List<Integer> second = runDrops(7);
        assertThat(first.size()).isBetween(1200, 1600); // p = 0.3 of 2000
        assertThat(second).isEqualTo(first);
        assertThat(runDrops(8)).isNotEqualTo(first);
    }

    private List<Integer> runDrops(long seed) throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.builder().seed(seed).linkCapacityMessages(4096)
                .faults(Faults.none().withDropProbability(0.3)).build()) {
            Transport t1 = network.transport(1);
            Transport t2 = network.transport(2);
            Collector c2 = new Collector();
            t2.start(2, c2);
            for (int i = 0; i < 2000; i++) {
                assertThat(send(t1, 2, i)).isTrue();
            }
            await(() -> network.deliveredCount() + network.droppedCount() == 2000);
            List<Integer> values = c2.valuesFrom(1);
            assertThat(values).isSorted(); // drops keep FIFO order of the rest
            return values;
        }
    }

    @Test
    void delaysEveryMessage() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(3)) {
            network.faults(Faults.none().withDelayMillis(50));
            Transport t1 = network.transport(1);
            CountDownLatch got = new CountDownLatch(1);
            network.transport(2).start(2, (from, buffer, offset, length) -> got.countDown());
            long start = System.nanoTime();
            send(t1, 2, 1);
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(50);
        }
    }

    @Test
    void randomDelayKeepsFifoOrder() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(4)) {
            network.faults(Faults.none().withDelayMillis(0, 5));
            Transport t1 = network.transport(1);
            Collector c2 = new Collector();
            network.transport(2).start(2, c2);
            for (int i = 0; i < 300; i++) {
                send(t1, 2, i);
            }
            await(() -> c2.received.size() == 300);
            assertThat(c2.valuesFrom(1)).isSorted();
        }
    }

    @Test
    void duplicatesMessages() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(5)) {
            network.faults(Faults.none().withDuplicateProbability(1.0));
            Transport t1 = network.transport(1);
            Collector c2 = new Collector();
            network.transport(2).start(2, c2);
            for (int i = 0; i < 100; i++) {
                send(t1, 2, i);
            }
            await(() -> c2.received.size() == 200);
            List<Integer> values = c2.valuesFrom(1);
            for (int i = 0; i < 100; i++) {
                assertThat(Collections.frequency(values, i)).isEqualTo(2);
            }
            assertThat(network.duplicatedCount()).isEqualTo(100);
        }
    }

    @Test
    void reordersMessages() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(6)) {
            network.faults(Faults.none().withReorder(0.5, 20));
            Transport t1 = network.transport(1);
            Collector c2 = new Collector();
            network.transport(2).start(2, c2);
            for (int i = 0; i < 200; i++) {
                send(t1, 2, i);
            }
            await(() -> c2.received.size() == 200);
            List<Integer> values = c2.valuesFrom(1);
            assertThat(values).isNotEqualTo(values.stream().sorted().toList());
            assertThat(values).containsExactlyInAnyOrderElementsOf(values.stream().sorted().toList());
            assertThat(new java.util.HashSet<>(values)).hasSize(200);
        }
    }

    @Test
    void partitionIsolateAndHeal() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(7)) {
            Transport t1 = network.transport(1);
            Transport t2 = network.transport(2);
            Transport t3 = network.transport(3);
            Collector c1 = new Collector();
            Collector c2 = new Collector();
            Collector c3 = new Collector();
            t1.start(1, c1);
            t2.start(2, c2);
            t3.start(3, c3);

            network.partition(Set.of(1L), Set.of(2L, 3L));
            assertThat(network.isCut(1, 2)).isTrue();
            assertThat(network.isCut(3, 1)).isTrue();
            assertThat(network.isCut(2, 3)).isFalse();
            send(t1, 2, 1);
            send(t2, 1, 2);
            send(t3, 1, 3);
            send(t2, 3, 4);
            await(() -> c3.received.size() == 1);
            assertThat(c3.valuesFrom(2)).containsExactly(4);

            network.heal();
            send(t1, 2, 5);
            send(t2, 1, 6);
            await(() -> c2.received.size() == 1 && c1.received.size() == 1);
            assertThat(c2.valuesFrom(1)).containsExactly(5);
            assertThat(c1.valuesFrom(2)).containsExactly(6);

            network.isolate(3);
            send(t3, 1, 7);
            send(t1, 3, 8);
            send(t1, 2, 9);
            await(() -> c2.received.size() == 2);
            assertThat(c1.valuesFrom(3)).isEmpty();
            assertThat(c3.valuesFrom(1)).isEmpty();
            network.heal();
            send(t3, 1, 10);
            await(() -> c1.received.size() == 2);
            assertThat(c1.valuesFrom(3)).containsExactly(10);
        }
    }

    @Test
    void partitionDropsMessagesAlreadyInFlight() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.create(8)) {
            network.faults(Faults.none().withDelayMillis(100));
            Transport t1 = network.transport(1);
            Collector c2 = new Collector();
            network.transport(2).start(2, c2);
            send(t1, 2, 1);
            network.isolate(2);
            await(() -> network.droppedCount() == 1);
            assertThat(c2.received).isEmpty();
        }
    }

    @Test
    void perLinkQueueIsBounded() throws Exception {
        try (InMemoryNetwork network = InMemoryNetwork.builder().seed(9).linkCapacityMessages(4)
                .faults(Faults.none().withDelayMillis(200)).build()) {
            Transport t1 = network.transport(1);
            Transport t3 = network.transport(3);
            Collector c2 = new Collector();
            network.transport(2).start(2, c2);
            for (int i = 0; i < 4; i++) {
                assertThat(send(t1, 2, i)).isTrue();
            }
            assertThat(send(t1, 2, 4)).isFalse();
            assertThat(send(t3, 2, 5)).as("another link has its own bound").isTrue();
            await(() -> c2.received.size() == 5);
            assertThat(send(t1, 2, 6)).as("room again after delivery").isTrue();
        }
    }

    @Test
    void closeIsCleanIdempotentAndStopsCallbacks() throws Exception {
        InMemoryNetwork network = InMemoryNetwork.create(10);
        Transport t1 = network.transport(1);
        Transport t2 = network.transport(2);
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean closedFlag = new AtomicBoolean();
        AtomicBoolean calledAfterClose = new AtomicBoolean();
        CountDownLatch firstCall = new CountDownLatch(1);
        t2.start(2, (from, buffer, offset, length) -> {
            if (closedFlag.get()) {
                calledAfterClose.set(true);
            }
            calls.incrementAndGet();
            firstCall.countDown();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 20; i++) {
            send(t1, 2, i);
        }
        assertThat(firstCall.await(10, TimeUnit.SECONDS)).isTrue();
        t2.close(); // waits for the callback in progress
        closedFlag.set(true);
        int atClose = calls.get();
        t2.close();
        assertThat(send(t1, 2, 99)).as("closed receiver").isFalse();
        assertThat(send(t2, 1, 99)).as("closed sender").isFalse();
        Thread.sleep(100);
        assertThat(calls.get()).isEqualTo(atClose);
        assertThat(calledAfterClose).isFalse();

        // a restarted member gets a fresh transport
        Transport t2again = network.transport(2);
        assertThat(t2again).isNotSameAs(t2);
        Collector c = new Collector();
        t2again.start(2, c);
        send(t1, 2, 42);
        await(() -> c.received.size() == 1);

        network.close();
        network.close();
        assertThat(send(t1, 2, 1)).isFalse();
        assertThatThrownBy(() -> network.transport(3)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void callbacksThatSendBackDoNotDeadlockAndEveryMessageArrives() throws Exception {
        // Two members bounce counters back and forth from inside their callbacks while both also
        // send from their own threads: each side's callback sends to the other side.
        try (InMemoryNetwork net = InMemoryNetwork.create(7)) {
            Transport a = net.transport(1);
            Transport b = net.transport(2);
            java.util.concurrent.atomic.AtomicInteger bounces = new java.util.concurrent.atomic.AtomicInteger();
            int hops = 200;
            Transport.Inbound bounceTo1 = (from, buffer, offset, length) -> bounce(b, 1, buffer.getInt(offset), hops, bounces);
            Transport.Inbound bounceTo2 = (from, buffer, offset, length) -> bounce(a, 2, buffer.getInt(offset), hops, bounces);
            a.start(1, bounceTo2);
            b.start(2, bounceTo1);
            Thread ta = new Thread(() -> send(a, 2, 1));
            Thread tb = new Thread(() -> send(b, 1, 1));
            ta.start();
            tb.start();
            ta.join(10_000);
            tb.join(10_000);
            await(() -> bounces.get() == 2 * (hops - 1));
            assertThat(ta.isAlive() || tb.isAlive()).isFalse();
        }
    }

    private static void bounce(Transport via, long to, int hop, int hops, java.util.concurrent.atomic.AtomicInteger bounces) {
        if (hop < hops) {
            bounces.incrementAndGet();
            assertThat(send(via, to, hop + 1)).isTrue();
        }
    }
}
