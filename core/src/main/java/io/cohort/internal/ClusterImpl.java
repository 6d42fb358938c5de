package io.cohort.internal;

import io.cohort.CohortException;
import io.cohort.Cluster;
import io.cohort.Member;
import io.cohort.raft.Membership;
import io.cohort.raft.NodeStatus;
import io.cohort.raft.RaftException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/** The {@link Cluster} view of a node. */
public final class ClusterImpl implements Cluster {
    private static final long STATUS_WAIT_NS = 1_000_000_000L;
    private final NodeCore node;

    /** The view of {@code node}. */
    public ClusterImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public List<Member> members() {
        Membership m = node.status().membership();
        List<Member> out = new ArrayList<>();
        for (long id : new TreeSet<>(m.voters())) {
            out.add(new Member(id, node.addresses().get(id), false));
        }
        for (long id : new TreeSet<>(m.learners())) {
            out.add(new Member(id, node.addresses().get(id), true));
        }
        return List.copyOf(out);
    }

    @Override
    public OptionalLong leader() {
        NodeStatus s = node.status();
        return s.leaderId() == 0 ? OptionalLong.empty() : OptionalLong.of(s.leaderId());
    }

    @Override
    public CompletableFuture<Void> addLearnerAsync(long memberId, String address) {
        if (memberId <= 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("member IDs must be > 0: " + memberId));
        }
        if (address != null) {
            node.addresses().put(memberId, address);
        }
        return admin(() -> node.raft().addLearner(memberId), m -> m.learners().contains(memberId));
    }

    @Override
    public CompletableFuture<Void> promoteAsync(long memberId) {
        return admin(() -> node.raft().promoteLearner(memberId), m -> m.voters().contains(memberId));
    }

    @Override
    public CompletableFuture<Void> removeAsync(long memberId) {
        return admin(() -> node.raft().removeMember(memberId), m -> !m.contains(memberId));
    }

    @Override
    public CompletableFuture<Void> transferLeadershipAsync(long memberId) {
        return admin(() -> node.raft().transferLeadership(memberId), null);
    }

    /**
     * RaftNode completes a change's future before it republishes its status; wait (bounded) until the status shows
     * the change so that {@link #members()} right after completion includes it.
     */
    private void awaitStatus(java.util.function.Predicate<Membership> visible) {
        if (visible == null) {
            return;
        }
        long deadline = System.nanoTime() + STATUS_WAIT_NS;
        while (!visible.test(node.status().membership()) && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    private CompletableFuture<Void> admin(java.util.function.Supplier<CompletableFuture<Void>> change,
                                          java.util.function.Predicate<Membership> visible) {
        CompletableFuture<Void> out = new CompletableFuture<>();
        if (node.isClosed()) {
            out.completeExceptionally(new CohortException.Closed("the node is closed", null));
            return out;
        }
        change.get().whenComplete((v, err) -> {
            if (err == null) {
                awaitStatus(visible);
                out.complete(null);
                return;
            }
            Throwable e = err;
            while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
                e = e.getCause();
            }
            // A refused change (unknown member, not the leader, change in progress) did not take effect.
            out.completeExceptionally(e instanceof RaftException.NotAccepted
                    ? new CohortException.Refused(e.getMessage(), e) : Errors.map(e, true));
        });
        return out;
    }
}
