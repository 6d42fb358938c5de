package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The example programs run and do what they say: each finishes by itself within a bound (its own threads end, so its
 * JVM would exit) and what it shows is checked. The demo ({@link Demo}) runs in its own JVMs under the {@code demo}
 * profile, which fails the build if any of its checks fails.
 */
class ExamplesTest {
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
    private Set<Thread> threadsBefore;

    @BeforeEach
    void noteThreads() {
        threadsBefore = liveNonDaemonThreads();
    }

    /** A JVM exits once main returns and no non-daemon thread is left: the example must leave none behind. */
    @AfterEach
    void leavesNoThreadThatWouldKeepTheJvmAlive() throws InterruptedException {
        Set<Thread> left = Set.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            left = liveNonDaemonThreads();
            left.removeAll(threadsBefore);
            if (left.isEmpty()) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(left.stream().map(Thread::getName).toList())
                .as("non-daemon threads still running 5 s after the example returned; its output:%n%s", printed())
                .isEmpty();
    }

    /** Live non-daemon threads, except JUnit's own (its {@code @Timeout} watcher starts with the first test). */
    private static Set<Thread> liveNonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.isDaemon() && !t.getName().startsWith("junit-"))
                .collect(Collectors.toSet());
    }

    private String printed() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    @Timeout(60)
    void sharedConfigReachesEveryReplicaAndIsReadLocally() throws Exception {
        SharedConfigExample.Outcome o = SharedConfigExample.run(out);
        String p = "config/checkout/";
        assertThat(o.afterFirstChange()).as(printed()).hasSize(3)
                .allSatisfy(copy -> assertThat(copy).isEqualTo(Map.of(p + "timeout-ms", "2500", p + "retries", "3")));
        assertThat(o.afterSecondChange()).as(printed()).hasSize(3)
                .allSatisfy(copy -> assertThat(copy).isEqualTo(Map.of(p + "timeout-ms", "4000")));
        assertThat(o.timeoutUsed()).isEqualTo("4000");
        assertThat(o.retriesUsed()).isEqualTo("0 (the default)");
        assertThat(printed()).contains("timeout = 4000 ms");
    }

    @Test
    @Timeout(60)
    void leaderElectionHandsTheJobToEachReplicaInTurnWithRisingFencingTokens() throws Exception {
        LeaderElectionExample.Outcome o = LeaderElectionExample.run(out);
        assertThat(o.turns()).as(printed()).hasSize(3);
        assertThat(o.turns()).extracting(LeaderElectionExample.Turn::replica)
                .containsExactlyInAnyOrder("replica-1", "replica-2", "replica-3");
        assertThat(o.turns()).extracting(LeaderElectionExample.Turn::fencingToken).isSorted().doesNotHaveDuplicates();
        assertThat(o.turns()).as("each leader's guarded write went through while it led")
                .allMatch(LeaderElectionExample.Turn::wroteWhileLeading);
        assertThat(o.lastRun()).isEqualTo("by " + o.turns().get(2).replica());
    }

    @Test
    @Timeout(60)
    void serviceDiscoveryDropsAnInstanceWhoseLeaseExpired() throws Exception {
        ServiceDiscoveryExample.Outcome o = ServiceDiscoveryExample.run(out);
        assertThat(o.instancesWhileAlive()).as(printed()).isEqualTo(2);
        assertThat(o.instancesAfterTtl()).as(printed()).isEqualTo(1);
        // In revision order: both register, then instance-2's lease expires.
        assertThat(o.changesSeen()).as(printed()).containsExactly("+ services/orders/instance-1",
                "+ services/orders/instance-2", "- services/orders/instance-2");
    }

    @Test
    @Timeout(60)
    void lockLetsEachReplicaRecordItsInvoicesOnceWithDistinctFencingTokens() throws Exception {
        LockExample.Outcome o = LockExample.run(out);
        assertThat(o.turns()).as(printed()).hasSize(3).allMatch(LockExample.Turn::recorded);
        assertThat(o.turns()).extracting(LockExample.Turn::fencingToken).allMatch(t -> t > 0).doesNotHaveDuplicates();
        // Each holder read the count and added 10 under the lock: no update was lost.
        assertThat(o.invoicesSent()).isEqualTo("30");
    }
}
