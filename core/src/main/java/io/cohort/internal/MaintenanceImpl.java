package io.cohort.internal;

import io.cohort.ConsistencyCheck;
import io.cohort.Maintenance;
import io.cohort.MemberStatus;
import io.cohort.raft.NodeStatus;
import java.util.concurrent.CompletableFuture;

/** The {@link Maintenance} of a node. */
public final class MaintenanceImpl implements Maintenance {
    private final NodeCore node;

    /** The maintenance of {@code node}. */
    public MaintenanceImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public MemberStatus status() {
        NodeStatus s = node.status();
        return node.guarded(ks -> new MemberStatus(s.memberId(), s.leaderId(), s.isLeader(), s.term(),
                s.commitIndex(), ks.appliedIndex(), ks.currentRevision(), ks.compactedRevision(), ks.usedBytes(),
                node.stateMachine().divergence() != null));
    }

    @Override
    public long hash(long revision) {
        return node.guarded(ks -> ks.hash(revision));
    }

    @Override
    public CompletableFuture<ConsistencyCheck> checkConsistencyAsync() {
        return node.checkConsistency().thenApply(c ->
                new ConsistencyCheck(c.revision(), c.expectedHash(), c.compared(), !c.mismatch()));
    }

    @Override
    public CompletableFuture<Void> defragmentAsync() {
        return node.defragment();
    }
}
