package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.Lock;
import io.cohort.Op;
import io.cohort.Session;
import io.cohort.TxnResult;
import java.io.PrintStream;
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

    /** One replica's turn: its fencing token and whether its guarded write went through (0 and false: gave up). */
    record Turn(String replica, long fencingToken, boolean recorded) {
    }

    /** Each replica's turn and the invoice count the store holds at the end. */
    record Outcome(List<Turn> turns, String invoicesSent) {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static Outcome run(PrintStream out) throws Exception {
        try (LocalCluster cluster = new LocalCluster(3)) {
            cluster.member(0).kv().put("invoices/2026-11/sent", "0");
            List<CompletableFuture<Turn>> replicas = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                CohortNode replica = cluster.member(i);
                String name = "replica-" + (i + 1);
                replicas.add(CompletableFuture.supplyAsync(() -> sendInvoices(out, replica, name)));
            }
            List<Turn> turns = new ArrayList<>();
            for (CompletableFuture<Turn> r : replicas) {
                turns.add(r.join());
            }
            String sent = cluster.member(2).kv().get("invoices/2026-11/sent").valueUtf8().orElse("?");
            out.println("invoices sent in all: " + sent);
            return new Outcome(turns, sent);
        }
    }

    private static Turn sendInvoices(PrintStream out, CohortNode replica, String name) {
        try (Session session = replica.newSession(Duration.ofSeconds(10));
             Lock.Held held = session.lock("locks/invoices/2026-11").acquire(Duration.ofSeconds(30))) {
            long sent = Long.parseLong(replica.kv().get("invoices/2026-11/sent").valueUtf8().orElseThrow());
            // ... send the batch to the mail system with held.fencingToken() ...
            TxnResult r = replica.kv().txn().when(held.isHeld())
                    .then(Op.put("invoices/2026-11/sent", Long.toString(sent + 10))).commit();
            out.println(name + " holds the lock with fencing token " + held.fencingToken() + ", sent 10 invoices"
                    + (r.succeeded() ? "" : " but lost the lock before recording it"));
            return new Turn(name, held.fencingToken(), r.succeeded());
        } catch (java.util.concurrent.TimeoutException e) {
            out.println(name + " gave up waiting for the lock: " + e.getMessage());
            return new Turn(name, 0, false);
        }
    }
}
