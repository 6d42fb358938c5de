package io.cohort.raft.sim;

import org.junit.jupiter.api.Test;

/**
 * Runs the deterministic simulation over many seeds. {@code -Dsim.seeds=N} runs N seeds (default 500) from
 * {@code -Dsim.firstSeed} (default 1), {@code -Dsim.seed=S} replays one seed ({@code -Dsim.verbose=true} for a
 * trace), {@code -Dsim.summaries=true} prints every seed's summary.
 */
class RaftSimulationTest {
    static final int DEFAULT_SEEDS = 500;

    static String prop(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank() || v.startsWith("${")) {
            return null;
        }
        return v.trim();
    }

    @Test
    void simulate() {
        String one = prop("sim.seed");
        if (one != null) {
            RaftSimulation sim = new RaftSimulation(Long.parseLong(one), "true".equals(prop("sim.verbose")));
            run(sim);
            System.out.println(sim.summary());
            return;
        }
        String n = prop("sim.seeds");
        int seeds = n == null ? DEFAULT_SEEDS : Integer.parseInt(n);
        long start = System.nanoTime();
        long applied = 0;
        long snaps = 0;
        long confs = 0;
        long torn = 0;
        long reads = 0;
        long sentBeforeSync = 0;
        long appliedBeforeSync = 0;
        long earlyMessages = 0;
        long stableBatches = 0;
        long lazySyncSeeds = 0;
        long deferredCommits = 0;
        HeldSnapshotCounts held = new HeldSnapshotCounts();
        String first = prop("sim.firstSeed");
        long firstSeed = first == null ? 1 : Long.parseLong(first);
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
            RaftSimulation sim = new RaftSimulation(seed, false);
            run(sim);
            applied += sim.maxApplied;
            snaps += sim.snapshotsInstalled;
            confs += sim.confChanges;
            torn += sim.crashesWithUnsyncedWrites;
            reads += sim.readsServed;
            sentBeforeSync += sim.readiesSentBeforeSync;
            appliedBeforeSync += sim.readiesAppliedBeforeSync;
            earlyMessages += sim.earlyMessagesSent;
            stableBatches += sim.stableBatchesApplied;
            lazySyncSeeds += sim.syncOnlyWhenRequired ? 1 : 0;
            deferredCommits += sim.deferredCommitsSent;
            held.add(sim);
            if ("true".equals(prop("sim.summaries"))) {
                System.out.println(sim.summary());
            }
        }
        System.out.printf("simulated %d seeds in %.1f s (entries applied %d, snapshots installed %d, conf changes %d,"
                + " crashes losing unsynced writes %d, reads %d, leader readies sent before sync %d, readies applied before sync %d,"
                + " messages sent during a sync %d, stable commits applied during a sync %d,"
                + " seeds with lazy commit-index sync %d, deferred commit indexes sent later %d)%n",
                seeds, (System.nanoTime() - start) / 1e9, applied, snaps, confs, torn, reads, sentBeforeSync,
                appliedBeforeSync, earlyMessages, stableBatches, lazySyncSeeds, deferredCommits);
        System.out.println("  " + held);
        if (seeds >= 100) {
            org.assertj.core.api.Assertions.assertThat(earlyMessages)
                    .as("messages are sent while a sync is in progress").isPositive();
            org.assertj.core.api.Assertions.assertThat(stableBatches)
                    .as("commits are applied while a sync is in progress").isPositive();
            org.assertj.core.api.Assertions.assertThat(lazySyncSeeds)
                    .as("the lazy commit-index sync is modelled").isPositive();
            org.assertj.core.api.Assertions.assertThat(deferredCommits)
                    .as("leaders defer commit-only appends and send them later").isPositive();
            org.assertj.core.api.Assertions.assertThat(sentBeforeSync)
                    .as("the early-send path of leaders is exercised").isPositive();
            org.assertj.core.api.Assertions.assertThat(appliedBeforeSync)
                    .as("the apply-before-sync path is exercised").isPositive();
            org.assertj.core.api.Assertions.assertThat(held.taken).as("snapshots held in place").isPositive();
            org.assertj.core.api.Assertions.assertThat(held.copiesFailed).as("copies of held snapshots not written")
                    .isPositive();
            org.assertj.core.api.Assertions.assertThat(held.copiesInstalled).as("copies of held snapshots installed")
                    .isPositive();
            org.assertj.core.api.Assertions.assertThat(held.installsAhead)
                    .as("installs of copies past the snapshot's index").isPositive();
            org.assertj.core.api.Assertions.assertThat(held.heldRestarts).as("restarts of nodes holding their snapshot")
                    .isPositive();
        }
    }

    /** Seeds that once found bugs: 31 and 1001740 caught committed entries applied before they were stable. */
    @Test
    void seedsThatOnceFoundBugs() {
        // 12287 and 25551: an install took a state machine that was past the snapshot back (before keepStateAhead).
        for (long seed : new long[] {31, 1_001_740, 12_287, 25_551}) {
            run(new RaftSimulation(seed, false));
        }
    }

    /**
     * The held-snapshot restart check has teeth: a node that holds its snapshots in place and comes back without what
     * its state machine made durable (its files replaced, say) is caught restarting behind its held snapshot.
     */
    @Test
    void aHeldNodeThatLosesItsDurableStateIsCaught() {
        for (long seed = 1; seed <= 100; seed++) {
            RaftSimulation sim = new RaftSimulation(seed, false) {
                @Override
                protected Replica openReplica(RaftSimulation.Node n) {
                    return n.holdsSnapshots && n.durableSnapshot != null
                            ? new SimStateMachine(new SimStateMachine.Storage()) : super.openReplica(n);
                }
            };
            try {
                sim.run();
            } catch (AssertionError e) {
                org.assertj.core.api.Assertions.assertThat(e.getMessage()).as("seed %d", seed)
                        .contains("behind its held snapshot");
                return;
            }
        }
        throw new AssertionError("a held node restarting without its durable state was not caught in seeds 1..100");
    }

    @Test
    void sameSeedSameRun() {
        RaftSimulation a = new RaftSimulation(12345, false);
        RaftSimulation b = new RaftSimulation(12345, false);
        run(a);
        run(b);
        org.assertj.core.api.Assertions.assertThat(a.summary()).isEqualTo(b.summary());
    }

    private static void run(RaftSimulation sim) {
        try {
            sim.run();
        } catch (Throwable t) {
            throw new AssertionError("simulation failed; replay with: ./mvnw -pl consensus verify "
                    + "-Dtest=RaftSimulationTest -Dsim.seed=" + sim.seed + " (add -Dsim.verbose=true for a trace)", t);
        }
    }
}
