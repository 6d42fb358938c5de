package io.cohort.raft.sim;

/** What the simulation runs of a suite did with snapshots held in place, summed over its seeds. */
public final class HeldSnapshotCounts {
    public long taken;
    public long copiesWritten;
    public long copiesFailed;
    public long copiesInstalled;
    public long installsAhead;
    public long entriesSkipped;
    public long restartsAheadOfLog;
    public long heldRestarts;

    /** Adds the counts of one finished run. */
    public void add(RaftSimulation sim) {
        taken += sim.heldSnapshotsTaken();
        copiesWritten += sim.heldCopiesWritten();
        copiesFailed += sim.heldCopiesFailed();
        copiesInstalled += sim.heldCopiesInstalled();
        installsAhead += sim.installsAheadOfIndex();
        entriesSkipped += sim.entriesSkipped();
        restartsAheadOfLog += sim.restartsAheadOfLog();
        heldRestarts += sim.heldRestarts();
    }

    @Override
    public String toString() {
        return "held snapshots: taken " + taken + ", copies written for followers " + copiesWritten + " (failed "
                + copiesFailed + "), copies installed " + copiesInstalled + ", installs past the snapshot's index "
                + installsAhead + ", committed entries skipped " + entriesSkipped + ", restarts past the log's end "
                + restartsAheadOfLog + ", restarts of held nodes " + heldRestarts;
    }
}
