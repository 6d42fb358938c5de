package io.cohort.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three member JVMs over TCP on loopback; clients write and read through all of them; the leader's JVM is killed
 * with SIGKILL mid-load and restarted on its data directory. Then: every acknowledged write is in every member's
 * history at its revision, the clients' recorded history is linearizable, and the keyspace hashes are equal.
 */
class KillLeaderUnderLoadTest {
    @TempDir
    Path root;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void noAcknowledgedWriteIsLostAndTheHistoryIsLinearizableWhenTheLeaderIsKilledUnderLoad() throws Exception {
        try (MemberJvms jvms = new MemberJvms(root, false, "KillLeaderUnderLoadTest")) {
            for (int id : MemberJvms.all()) {
                jvms.start(id);
            }
            jvms.awaitLeader(0);
            ClientLoad load = new ClientLoad(jvms);
            load.start();

            int ackedBeforeKill = load.awaitAcknowledged(100);
            int leader = jvms.awaitLeader(0);
            long pidBefore = jvms.member(leader).pid();
            long killedAt = System.nanoTime();
            jvms.member(leader).kill();
            int newLeader = jvms.awaitLeader(leader);
            long electedMs = millisSince(killedAt);
            // Requests forwarded to the dead leader wait out their timeout (outcome unknown); then the load resumes.
            int ackedWithoutOldLeader = load.awaitAcknowledged(load.acknowledged() + 100);
            long resumedMs = millisSince(killedAt);
            jvms.start(leader); // On its data directory, while the load goes on.
            load.awaitAcknowledged(load.acknowledged() + 100);
            load.stop();
            assertThat(newLeader).isNotEqualTo(leader);
            assertThat(jvms.member(leader).pid()).isNotEqualTo(pidBefore);

            long revision = jvms.awaitSameRevision();
            System.out.printf("kill -9 of leader %d: new leader %d after %d ms, 100 more writes acknowledged %d ms "
                    + "after the kill; %d writes acknowledged (%d by the kill, %d by the restart), %d operations "
                    + "checked%n", leader, newLeader, electedMs, resumedMs, load.acknowledged(), ackedBeforeKill,
                    ackedWithoutOldLeader, load.operations());
            load.verify(revision);
        }
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }
}
