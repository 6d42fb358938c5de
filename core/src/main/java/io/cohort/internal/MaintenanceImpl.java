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
        return node.guarded(ks -> {
            long applied = ks.appliedIndex();
            // The Raft status is published after each step, the keyspace moves at apply: the keyspace may be a
            // step ahead of the published commit index, and whatever is applied is committed.
            return new MemberStatus(s.memberId(), s.leaderId(), s.isLeader(), s.term(),
                    Math.max(s.commitIndex(), applied), applied, ks.currentRevision(), ks.compactedRevision(),
                    ks.usedBytes(), node.stateMachine().divergence() != null);
        });
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
