package io.cohort.examples;

import io.cohort.LeaderElection;
import io.cohort.Session;
import io.cohort.TxnResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A singleton job: three replicas of a service each campaign to run the nightly billing scheduler; exactly one runs
 * it at a time, and when it stops (here it resigns; a crash works the same once its session's lease expires) the next
 * takes over. The job writes its leadership's revision with what it does, as a fencing token.
 */
public final class LeaderElectionExample {
    private LeaderElectionExample() {
    }

    /** A replica that won: which one, and its leadership. */
    private record Winner(String replica, LeaderElection.Leadership leadership) {
    }

    /** One turn at running the job: who, its fencing token, and whether its guarded write went through. */
    record Turn(String replica, long fencingToken, boolean wroteWhileLeading) {
    }

    /** The turns in the order they happened, and what the last run left in the store. */
    record Outcome(List<Turn> turns, String lastRun) {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static Outcome run(PrintStream out) throws Exception {
        ExecutorService callbacks = Executors.newFixedThreadPool(2);
        LinkedBlockingQueue<Winner> winners = new LinkedBlockingQueue<>();
        List<Session> sessions = new ArrayList<>();
        List<Turn> turns = new ArrayList<>();
        try (LocalCluster cluster = new LocalCluster(3)) {
            for (int i = 0; i < 3; i++) {
                String replica = "replica-" + (i + 1);
                Session session = cluster.member(i).newSession(Duration.ofSeconds(5)); // Lost after 5 s of silence.
                sessions.add(session);
                session.election("jobs/billing-scheduler").campaignAsync(replica, callbacks)
                        .thenAccept(lead -> winners.add(new Winner(replica, lead)));
            }
            for (int turn = 0; turn < 3; turn++) {
                Winner w = winners.poll(30, TimeUnit.SECONDS);
                if (w == null) {
                    throw new IllegalStateException("no replica took over within 30 s");
                }
                out.println(w.replica() + " runs the billing scheduler (fencing token "
                        + w.leadership().revision() + ")");
                TxnResult run = cluster.member(0).kv().txn().when(w.leadership().isCurrent()) // only while it leads
                        .then(io.cohort.Op.put("jobs/billing/last-run", "by " + w.replica())).commit();
                turns.add(new Turn(w.replica(), w.leadership().revision(), run.succeeded()));
                Thread.sleep(300);
                out.println(w.replica() + " is done and resigns; the next campaigner takes over");
                w.leadership().resign();
            }
            sessions.forEach(Session::close);
            return new Outcome(turns, cluster.member(0).kv().get("jobs/billing/last-run").valueUtf8().orElse(""));
        } finally {
            callbacks.shutdownNow();
        }
    }
}
