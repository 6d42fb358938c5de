package io.cohort.benchmarks.load;

import io.cohort.CohortNode;
import io.cohort.MemberStatus;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A plain Cohort member JVM for the side-by-side run: starts member {@code id} over TCP and runs until killed
 * (SIGTERM closes the node). If it becomes leader before member {@code leaderFor} has led, it hands leadership to
 * that member once, so the load-driving JVM (member 1) drives its leader, as the etcd side drives etcd's leader.
 *
 * <p>Args: {@code <id> <dataDir> <1=host:port,2=host:port,3=host:port> [leaderFor]}.
 */
public final class CohortMemberMain {
    private CohortMemberMain() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: CohortMemberMain <id> <dataDir> <members> [leaderFor]");
        }
        long id = Long.parseLong(args[0]);
        Map<Long, String> members = CohortMembers.parseMembers(args[2]);
        long leaderFor = args.length > 3 ? Long.parseLong(args[3]) : 0;
        CohortNode node = CohortMembers.start(id, Path.of(args[1]), members);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "member-shutdown"));
        System.out.println("member " + id + " started at " + members.get(id));
        if (leaderFor != 0 && leaderFor != id) {
            handLeadership(node, leaderFor);
        }
        stopped.await();
    }

    private static void handLeadership(CohortNode node, long to) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            MemberStatus s = node.maintenance().status();
            if (s.leaderId() == to) {
                System.out.println("member " + node.memberId() + ": member " + to + " leads");
                return;
            }
            if (s.isLeader()) {
                try {
                    node.cluster().transferLeadershipAsync(to).get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.out.println("member " + node.memberId() + ": transfer to " + to + " not done yet: " + e);
                }
            }
            Thread.sleep(100);
        }
    }
}
