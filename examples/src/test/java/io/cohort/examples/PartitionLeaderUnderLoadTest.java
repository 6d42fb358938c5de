package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three member JVMs whose Raft traffic goes through {@link LoopbackProxy}s; clients write and read through all of
 * them (one client keeps using the isolated one); the leader is cut off from the others mid-load (it keeps running), the majority
 * elects a new leader, then the partition heals. Same checks as {@link KillLeaderUnderLoadTest}: an isolated old
 * leader must neither lose acknowledged writes nor serve stale reads.
 */
class PartitionLeaderUnderLoadTest {
    @TempDir
    Path root;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noAcknowledgedWriteIsLostAndTheHistoryIsLinearizableWhenTheLeaderIsPartitionedUnderLoad() throws Exception {
        try (MemberJvms jvms = new MemberJvms(root, true, "PartitionLeaderUnderLoadTest")) {
            for (int id : MemberJvms.all()) {
                jvms.start(id);
            }
            jvms.awaitLeader(0);
            ClientLoad load = new ClientLoad(jvms);
            load.start();

            int ackedBeforeCut = load.awaitAcknowledged(100);
            int leader = jvms.awaitLeader(0);
            long cutAt = System.nanoTime();
            jvms.isolate(leader);
            load.isolate(leader); // Client 0 keeps talking to it; the others move to the majority.
            List<Integer> majority = MemberJvms.all().stream().filter(id -> id != leader).toList();
            int newLeader = jvms.awaitLeader(leader, majority);
            long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt);
            // More writes while cut off than the snapshot interval (10,000 entries) make the old leader catch up by
            // snapshot after the heal: -Dpartition.writesWhileCut=12000 (the default keeps the test short).
            int ackedDuringCut = load.awaitAcknowledged(load.acknowledged() + Integer.getInteger("partition.writesWhileCut", 100));
            load.awaitIsolatedRequests(3);
            jvms.heal(leader);
            load.isolate(0);
            load.awaitAcknowledged(load.acknowledged() + 100);
            load.stop();
            assertThat(newLeader).isNotEqualTo(leader);

            long revision = jvms.awaitSameRevision();
            System.out.printf("partition of leader %d: new leader %d after %d ms; %d writes acknowledged (%d by the "
                    + "cut, %d by the heal), %d operations checked; requests to the isolated member: %s%n", leader, newLeader,
                    electedMs, load.acknowledged(), ackedBeforeCut, ackedDuringCut, load.operations(),
                    load.isolatedOutcomes());
            load.verify(revision);
        }
    }
}
