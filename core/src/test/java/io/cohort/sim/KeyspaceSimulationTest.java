package io.cohort.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import io.cohort.raft.sim.HeldSnapshotCounts;
import io.cohort.sim.KeyspaceSimulation.PlantedBug;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the keyspace simulation over many seeds and checks every history for linearizability.
 * {@code -Dsim.seeds=N} runs N seeds (default {@value #DEFAULT_SEEDS}) from {@code -Dsim.firstSeed}
 * (default 1), {@code -Dsim.seed=S} replays one ({@code -Dsim.verbose=true} prints its trace),
 * {@code -Dsim.summaries=true} prints every seed's summary, {@code -Dsim.compaction=false} leaves out history
 * compactions to the workload. Each planted bug must be caught within {@value #MAX_SEEDS_TO_CATCH_A_BUG} seeds.
 */
class KeyspaceSimulationTest {
    static {
        // Thousands of keyspace opens per run: keep their INFO lines out of the build log (slf4j-simple reads
        // this when the logger is created, so it works unless another test created it first).
        System.setProperty("org.slf4j.simpleLogger.log.io.cohort.mvcc.internal.Engine", "warn");
    }

    static final int DEFAULT_SEEDS = 200;
    static final int MAX_SEEDS_TO_CATCH_A_BUG = 200;

    @TempDir
    Path diskTempDir;

    /** Where the runs' keyspaces live: in memory (tmpfs) when available, so LMDB's fsyncs cost nothing. */
    Path tempDir;

    @BeforeEach
    void pickTempDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        tempDir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "cohort-keyspace-sim-") : diskTempDir;
    }

    @AfterEach
    void deleteTempDir() throws IOException {
        if (!tempDir.equals(diskTempDir)) {
            try (Stream<Path> s = Files.walk(tempDir)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    static String prop(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank() || v.startsWith("${")) {
            return null;
        }
        return v.trim();
    }

    /**
     * History compactions are part of the workload unless {@code -Dsim.compaction=false} (on by default since the
     * keyspace's hash stopped depending on how applies were batched around a compaction,
     * {@link KeyspaceHashCompactionTest}).
     */
    static boolean compactions() {
        return !"false".equals(prop("sim.compaction"));
    }

    static String replayCommand(long seed) {
        return "./mvnw -B -ntp -pl core -am verify -Dtest=KeyspaceSimulationTest#simulate"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dsim.seed=" + seed
                + (compactions() ? "" : " -Dsim.compaction=false") + " (add -Dsim.verbose=true for a trace)";
    }

    @Test
    void simulate() {
        String one = prop("sim.seed");
        if (one != null) {
            long seed = Long.parseLong(one);
            KeyspaceSimulation sim = new KeyspaceSimulation(seed, "true".equals(prop("sim.verbose")), tempDir,
                    PlantedBug.NONE, compactions());
            run(sim);
            System.out.println(sim.summary());
            return;
        }
        String n = prop("sim.seeds");
        int seeds = n == null ? DEFAULT_SEEDS : Integer.parseInt(n);
        String first = prop("sim.firstSeed");
        long firstSeed = first == null ? 1 : Long.parseLong(first);
        long start = System.nanoTime();
        long startCpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long ok = 0;
        long unknown = 0;
        long refused = 0;
        long linearizableReads = 0;
        long serializableReads = 0;
        long historyOps = 0;
        long restartsFromSnapshot = 0;
        long readsBackAfterRestart = 0;
        long compactions = 0;
        long snapshotsInstalled = 0;
        long confChanges = 0;
        long machineCrashes = 0;
        long crashes = 0;
        long lostUnsynced = 0;
        long watchEvents = 0;
        long watchResumes = 0;
        long compactedCancels = 0;
        long progressNotifications = 0;
        long leaseExpiries = 0;
        long leaseRenewals = 0;
        long recipeWins = 0;
        long watchesThroughInstalls = 0;
        long snapshotsWrittenLater = 0;
        HeldSnapshotCounts held = new HeldSnapshotCounts();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            KeyspaceSimulation sim = new KeyspaceSimulation(seed, false, tempDir, PlantedBug.NONE, compactions());
            run(sim);
            if ("true".equals(prop("sim.summaries"))) {
                System.out.println(sim.summary());
            }
            ok += sim.opsOk;
            unknown += sim.opsUnknown;
            refused += sim.opsFailed;
            linearizableReads += sim.linearizableReads;
            serializableReads += sim.serializableReads;
            historyOps += sim.historyOps;
            restartsFromSnapshot += sim.restartsFromSnapshot;
            readsBackAfterRestart += sim.serializableReadsBackAfterRestart;
            compactions += sim.compactionsApplied;
            snapshotsInstalled += sim.snapshotsInstalled();
            confChanges += sim.confChanges();
            crashes += sim.crashes();
            machineCrashes += sim.machineCrashes();
            lostUnsynced += sim.crashesWithUnsyncedWrites();
            watchEvents += sim.watchEventsChecked();
            watchResumes += sim.watchResumes();
            compactedCancels += sim.watchCompactedCancels();
            progressNotifications += sim.watchProgressNotifications();
            leaseExpiries += sim.leaseExpiries();
            leaseRenewals += sim.leaseRenewals();
            recipeWins += sim.recipeWins();
            watchesThroughInstalls += sim.watchesThroughSnapshotInstalls;
            snapshotsWrittenLater += sim.snapshotsWrittenLater();
            held.add(sim);
        }
        System.out.printf("keyspace simulation: %d seeds in %.1f s (%.1f s of CPU); client ops ok %d, unknown %d, refused %d;"
                + " linearizable reads %d, serializable reads %d; %d ops checked for linearizability;"
                + " snapshots installed %d, conf changes %d, crashes %d (machine %d, losing unsynced log writes %d),"
                + " restarts from the durable snapshot %d; serializable reads older than the same node's before its"
                + " restart %d; history compactions applied (all replicas) %d%n",
                seeds, (System.nanoTime() - start) / 1e9,
                (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - startCpu) / 1e9, ok, unknown, refused,
                linearizableReads, serializableReads, historyOps, snapshotsInstalled, confChanges, crashes, machineCrashes, lostUnsynced,
                restartsFromSnapshot, readsBackAfterRestart, compactions);
        System.out.printf("  watch events checked %d, progress notifications %d, resumes %d, compacted cancellations %d;"
                + " watches open through a snapshot install on their node %d; lease renewals %d, expiries %d;"
                + " election and lock wins %d; snapshots written after more applies than captured %d%n", watchEvents,
                progressNotifications, watchResumes, compactedCancels, watchesThroughInstalls, leaseRenewals,
                leaseExpiries, recipeWins, snapshotsWrittenLater);
        System.out.println("  " + held);
        if (seeds >= 100) {
            // The run must exercise what it claims to check.
            assertThat(linearizableReads).as("linearizable reads served").isPositive();
            assertThat(serializableReads).as("serializable reads").isPositive();
            assertThat(unknown).as("operations with an unknown outcome").isPositive();
            assertThat(snapshotsInstalled).as("snapshot installs").isPositive();
            assertThat(snapshotsWrittenLater).as("snapshots captured, then written after more applies").isPositive();
            assertThat(held.taken).as("snapshots held in place").isPositive();
            assertThat(held.copiesInstalled).as("copies of held snapshots installed").isPositive();
            assertThat(held.installsAhead).as("installs of copies past the snapshot's index").isPositive();
            assertThat(held.heldRestarts).as("restarts of nodes holding their snapshot").isPositive();
            assertThat(confChanges).as("membership changes").isPositive();
            assertThat(machineCrashes).as("machine crashes").isPositive();
            assertThat(crashes).as("process crashes").isGreaterThan(machineCrashes);
            assertThat(lostUnsynced).as("crashes losing unsynced log writes").isPositive();
            if (compactions()) {
                assertThat(compactions).as("history compactions").isPositive();
                assertThat(compactedCancels).as("watches cancelled as compacted").isPositive();
            }
            assertThat(watchEvents).as("watch events checked").isPositive();
            assertThat(progressNotifications).as("progress notifications checked").isPositive();
            assertThat(watchResumes).as("watch resumes").isPositive();
            assertThat(watchesThroughInstalls).as("watches open through a snapshot install").isPositive();
            assertThat(leaseRenewals).as("lease keep-alives").isPositive();
            assertThat(leaseExpiries).as("lease expiries").isPositive();
            assertThat(recipeWins).as("election and lock wins").isPositive();
        }
    }

    @Test
    void sameSeedSameRun() {
        KeyspaceSimulation a = new KeyspaceSimulation(777, false, tempDir, PlantedBug.NONE, compactions());
        KeyspaceSimulation b = new KeyspaceSimulation(777, false, tempDir, PlantedBug.NONE, compactions());
        run(a);
        run(b);
        assertThat(a.summary()).isEqualTo(b.summary());
    }

    /**
     * The harness can fail: a leader serving linearizable gets from its local keyspace without ReadIndex
     * (stale once deposed, or before applying what it committed) is caught as not linearizable.
     */
    @Test
    void leaderLocalReadsWithoutReadIndexAreCaught() {
        assertPlantedBugCaught(PlantedBug.LEADER_LOCAL_READS, "is not linearizable");
    }

    /** A node serving a ReadIndex read before it applied up to the read index is caught as not linearizable. */
    @Test
    void readsServedBeforeApplyingTheReadIndexAreCaught() {
        assertPlantedBugCaught(PlantedBug.READ_BEFORE_APPLY, "is not linearizable");
    }

    /**
     * The machine crash model has teeth: a node that neither syncs LMDB before compacting its log nor
     * notices at restart that its keyspace lost what its snapshot holds ends up with a keyspace that
     * misses committed writes, and the replicas' checks catch it.
     */
    @Test
    void keyspaceLosingCommittedWritesAtAMachineCrashIsCaught() {
        assertPlantedBugCaught(PlantedBug.TRUST_KEYSPACE_AFTER_MACHINE_CRASH, "diverged");
    }

    /**
     * A transport that delivers a forwarded proposal twice makes the leader append (and every replica
     * apply) its command twice: the core does not deduplicate, so the transport must never duplicate.
     */
    @Test
    void duplicatedProposalsAreCaught() {
        assertPlantedBugCaught(PlantedBug.DUPLICATED_PROPOSALS, "applied twice");
    }

    /**
     * The lease safety check has teeth: a new leader that counts TTLs from its election without an election timeout of
     * grace expires a lease that a client kept alive on the deposed leader, within its TTL.
     */
    @Test
    void leaseExpiryWithoutElectionGraceIsCaught() {
        assertPlantedBugCaught(PlantedBug.LEASES_WITHOUT_GRACE, "within its TTL");
    }

    /** The lease liveness check has teeth: leases nobody keeps alive must be gone once the faults stop. */
    @Test
    void leasesThatNeverExpireAreCaught() {
        assertPlantedBugCaught(PlantedBug.NO_LEASE_EXPIRY, "still holds leases");
    }

    /**
     * The election and lock checks have teeth: a contender whose own key expired while it waited, and that takes the
     * absence of older keys for a win (Recipes.waitForPredecessors before the fix), is caught believing it leads.
     */
    @Test
    void contendersThatDoNotCheckTheirOwnKeyAreCaught() {
        assertPlantedBugCaught(PlantedBug.RECIPE_WITHOUT_OWN_KEY_CHECK, "believes it leads");
    }

    /** Runs seeds until {@code bug} is caught (at most {@value #MAX_SEEDS_TO_CATCH_A_BUG}) with a failure mentioning {@code symptom}. */
    private void assertPlantedBugCaught(PlantedBug bug, String symptom) {
        assertPlantedBugCaught(bug, symptom, 1, MAX_SEEDS_TO_CATCH_A_BUG, false);
    }

    /** Runs seeds {@code first..first+seeds-1} until {@code bug} is caught with a failure mentioning {@code symptom}. */
    private void assertPlantedBugCaught(PlantedBug bug, String symptom, long first, int seeds, boolean compactions) {
        for (long seed = first; seed < first + seeds; seed++) {
            try (KeyspaceSimulation sim = new KeyspaceSimulation(seed, false, tempDir, bug, compactions)) {
                sim.run();
            } catch (AssertionError e) {
                assertThat(e.getMessage()).as("seed %d fails because of the planted bug %s", seed, bug)
                        .contains(symptom);
                System.out.println("planted bug " + bug + " caught at seed " + seed + ": "
                        + e.getMessage().lines().findFirst().orElse(""));
                return;
            }
        }
        throw new AssertionError("planted bug " + bug + " not caught in seeds " + first + ".." + (first + seeds - 1));
    }

    private static void run(KeyspaceSimulation sim) {
        try (sim) {
            sim.run();
        } catch (Throwable t) {
            throw new AssertionError("keyspace simulation failed; replay with: " + replayCommand(sim.seed()), t);
        }
    }
}
