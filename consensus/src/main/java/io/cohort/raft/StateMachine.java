package io.cohort.raft;

import java.util.List;

/**
 * The application the Raft engine replicates into. Committed entries arrive in log order, exactly
 * once per index as far as the state machine reports ({@link #appliedIndex()}), in batches.
 */
public interface StateMachine {

    /** The index of the last entry this state machine durably or volatilely holds (0 if none). */
    long appliedIndex();

    /** Applies committed {@link EntryType#COMMAND} entries in order; entries at or below {@link #appliedIndex()} are skipped. */
    void apply(List<Entry> committed);
}
