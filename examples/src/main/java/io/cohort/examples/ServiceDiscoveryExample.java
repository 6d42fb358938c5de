package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.Leases;
import io.cohort.PutOptions;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.time.Duration;

/**
 * Service discovery with leases: each instance registers its address under {@code services/orders/} with a lease it
 * keeps alive; a client lists the prefix and watches it. An instance that stops keeping its lease alive (a crash, a
 * partition) disappears from the registry once the lease expires, without anyone cleaning up.
 */
public final class ServiceDiscoveryExample {
    private ServiceDiscoveryExample() {
    }

    public static void main(String[] args) throws Exception {
        try (LocalCluster cluster = new LocalCluster(3)) {
            CohortNode client = cluster.member(0);
            GetResult now = client.kv().get(KeyRange.prefix("services/orders/"));
            client.watcher().watch(WatchSpec.prefix("services/orders/").fromRevision(now.revision() + 1),
                    (events, revision) -> {
                        for (Event e : events) {
                            System.out.println("  registry: " + (e.type() == Event.Type.PUT ? "+ " : "- ")
                                    + e.kv().key().toStringUtf8() + (e.type() == Event.Type.PUT
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
            System.out.println("instances after 3 s: " + client.kv().get(KeyRange.prefix("services/orders/")).count());
            System.out.println("instance-2 stops keeping its lease alive (as if it crashed)");
            alive[1].close();
            Thread.sleep(5_000);
            System.out.println("instances after its TTL: "
                    + client.kv().get(KeyRange.prefix("services/orders/")).count());
            alive[0].close();
        }
    }
}
