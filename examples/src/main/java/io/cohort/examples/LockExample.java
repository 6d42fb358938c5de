package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.Lock;
import io.cohort.Op;
import io.cohort.Session;
import io.cohort.TxnResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A lock with a fencing token: three replicas each send invoices for the same month, one at a time. The lock alone
 * cannot stop a holder that paused past its lease from writing late, so every write is guarded: the invoice state
 * changes only inside a txn that checks the lock is still held ({@link Lock.Held#isHeld()}), and what goes outside
 * Cohort carries the fencing token, which the receiving system compares with the highest it has seen.
 */
public final class LockExample {
    private LockExample() {
    }

    public static void main(String[] args) throws Exception {
        try (LocalCluster cluster = new LocalCluster(3)) {
            cluster.member(0).kv().put("invoices/2026-11/sent", "0");
            List<CompletableFuture<Void>> replicas = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                CohortNode replica = cluster.member(i);
                String name = "replica-" + (i + 1);
                replicas.add(CompletableFuture.runAsync(() -> sendInvoices(replica, name)));
            }
            CompletableFuture.allOf(replicas.toArray(new CompletableFuture[0])).join();
            System.out.println("invoices sent in all: "
                    + cluster.member(2).kv().get("invoices/2026-11/sent").valueUtf8().orElse("?"));
        }
    }

    private static void sendInvoices(CohortNode replica, String name) {
        try (Session session = replica.newSession(Duration.ofSeconds(10));
             Lock.Held held = session.lock("locks/invoices/2026-11").acquire(Duration.ofSeconds(30))) {
            long sent = Long.parseLong(replica.kv().get("invoices/2026-11/sent").valueUtf8().orElseThrow());
            // ... send the batch to the mail system with held.fencingToken() ...
            TxnResult r = replica.kv().txn().when(held.isHeld())
                    .then(Op.put("invoices/2026-11/sent", Long.toString(sent + 10))).commit();
            System.out.println(name + " holds the lock with fencing token " + held.fencingToken() + ", sent 10 invoices"
                    + (r.succeeded() ? "" : " but lost the lock before recording it"));
        } catch (java.util.concurrent.TimeoutException e) {
            System.out.println(name + " gave up waiting for the lock: " + e.getMessage());
        }
    }
}
