package io.cohort.raft.log;

import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.RollCycle;

/**
 * The {@link TimeProvider} given to Chronicle Queue so that cycles roll only when the log decides
 * (by size, on compaction, after a torn tail): it reports the middle of the current cycle and never
 * moves on its own.
 */
final class CycleClock implements TimeProvider {
    private final long cycleLengthMillis;
    private volatile int cycle;

    CycleClock(RollCycle rollCycle) {
        this.cycleLengthMillis = rollCycle.lengthInMillis();
    }

    @Override
    public long currentTimeMillis() {
        return cycle * cycleLengthMillis + cycleLengthMillis / 2;
    }

    int cycle() {
        return cycle;
    }

    void cycle(int cycle) {
        this.cycle = cycle;
    }

    /** Moves to the next cycle; the next document written goes into a new cycle file. */
    void roll() {
        cycle = cycle + 1;
    }
}
