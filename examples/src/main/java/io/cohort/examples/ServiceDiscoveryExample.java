package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.Leases;
import io.cohort.PutOptions;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Service discovery with leases: each instance registers its address under {@code services/orders/} with a lease it
 * keeps alive; a client lists the prefix and watches it. An instance that stops keeping its lease alive (a crash, a
 * partition) disappears from the registry once the lease expires, without anyone cleaning up.
 */
public final class ServiceDiscoveryExample {
    private ServiceDiscoveryExample() {
    }

    /** How many instances the registry listed while both lived and after one's TTL, and what the client's watch saw. */
    record Outcome(long instancesWhileAlive, long instancesAfterTtl, List<String> changesSeen) {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static Outcome run(PrintStream out) throws Exception {
        List<String> changes = new CopyOnWriteArrayList<>();
        try (LocalCluster cluster = new LocalCluster(3)) {
            CohortNode client = cluster.member(0);
            GetResult now = client.kv().get(KeyRange.prefix("services/orders/"));
            client.watcher().watch(WatchSpec.prefix("services/orders/").fromRevision(now.revision() + 1),
                    (events, revision) -> {
                        for (Event e : events) {
                            String change = (e.type() == Event.Type.PUT ? "+ " : "- ") + e.kv().key().toStringUtf8();
                            changes.add(change);
                            out.println("  registry: " + change + (e.type() == Event.Type.PUT
                                    ? " at " + e.kv().value().toStringUtf8() : " (its lease expired)"));
                        }
                    });
            Leases.KeepAlive[] alive = new Leases.KeepAlive[2];
            for (int i = 1; i <= 2; i++) {
                CohortNode instance = cluster.member(i);
                Leases.Grant lease = instance.leases().grant(Duration.ofSeconds(2));
                instance.kv().put(Bytes.ofUtf8("services/orders/instance-" + i), Bytes.ofUtf8("10.0.0." + i + ":8080"),
                        PutOptions.defaults().withLease(lease.id()));
                alive[i - 1] = instance.leases().keepAlive(lease.id());
            }
            Thread.sleep(3_000);
            long whileAlive = client.kv().get(KeyRange.prefix("services/orders/")).count();
            out.println("instances after 3 s: " + whileAlive);
            out.println("instance-2 stops keeping its lease alive (as if it crashed)");
            alive[1].close();
            Thread.sleep(5_000);
            long afterTtl = client.kv().get(KeyRange.prefix("services/orders/")).count();
            out.println("instances after its TTL: " + afterTtl);
            alive[0].close();
            // The watch delivers on its own executor: give it a moment to pass on the expiry just read.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!changes.contains("- services/orders/instance-2") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            return new Outcome(whileAlive, afterTtl, List.copyOf(changes));
        }
    }
}
