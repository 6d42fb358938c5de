package io.cohort.raft.log;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.HardState;
import io.cohort.raft.Membership;
import io.cohort.raft.SnapshotMeta;

/**
 * Child JVM for the crash tests: appends to a {@link ChronicleLogStorage} until it is killed.
 * Prints {@code SYNCED <lastIndex>} after each sync returns, and {@code TORN} after leaving a
 * half-written document in "torn" mode.
 */
public final class CrashChild {
    static final Membership MEMBERS = new Membership(java.util.Set.of(1L, 2L, 3L), java.util.Set.of());

    private CrashChild() {
    }

    /** The payload every test writes for an entry, so the parent can check it. */
    static byte[] payload(long index, long term) {
        String s = "entry-" + index + "-term-" + term + "-";
        byte[] base = s.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[base.length + (int) (index % 200)];
        System.arraycopy(base, 0, data, 0, base.length);
        for (int i = base.length; i < data.length; i++) {
            data[i] = (byte) (index + i);
        }
        return data;
    }

    /** The term of entry {@code index} in the crash tests. */
    static long termOf(long index) {
        return 1 + index / 1000;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String mode = args[1];
        long seed = Long.parseLong(args[2]);
        Random random = new Random(seed);
        // "append-zeros": large cycles, so the zeros written ahead of the appender are in play when killed
        boolean zeros = mode.equals("append-zeros") || mode.equals("torn-zeros");
        ChronicleLogStorage log = ChronicleLogStorage.open(dir, zeros ? ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES : 64 << 10);
        System.out.println("OPENED " + log.lastIndex() + " " + log.tornTailsCutAtOpen());
        System.out.flush();
        long next = log.lastIndex() + 1;
        if (mode.startsWith("torn")) {
            List<Entry> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++, next++) {
                batch.add(new Entry(next, termOf(next), EntryType.COMMAND, payload(next, termOf(next))));
            }
            log.append(batch);
            log.sync();
            System.out.println("SYNCED " + (next - 1));
            if (mode.equals("torn-zeros")) {
                // the torn document lies just before zeros written ahead of the appender
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (log.preZeroerForTest().zeroedBytes() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                System.out.println("ZEROED " + log.preZeroerForTest().zeroedBytes());
            }
            if (mode.equals("torn-after-roll")) {
                log.rollForTest(); // the torn document is the first of a new cycle file
            }
            log.beginTornWriteForTest(new byte[] {1, 0, 1, 0, 42, 42, 42});
            System.out.println("TORN");
            System.out.flush();
            Thread.sleep(60_000);
            return;
        }
        List<Entry> batch = new ArrayList<>();
        while (true) {
            int size = 1 + random.nextInt(64);
            batch.clear();
            for (int i = 0; i < size; i++, next++) {
                batch.add(new Entry(next, termOf(next), EntryType.COMMAND, payload(next, termOf(next))));
            }
            log.append(batch);
            log.setHardState(new HardState(termOf(next - 1), 1, next - 1));
            log.sync();
            if (zeros) {
                System.out.println("SYNCED " + (next - 1) + " ZEROED " + log.preZeroerForTest().zeroedBytes());
                System.out.flush();
                continue; // no compaction: it would roll to a fresh cycle before the zeros begin
            }
            System.out.println("SYNCED " + (next - 1));
            System.out.flush();
            long snapshotIndex = next - 1 - 200;
            if (snapshotIndex - log.snapshot().index() >= 1000) {
                // compaction (and cycle deletion) while the parent may kill us at any moment
                log.compact(new SnapshotMeta(snapshotIndex, termOf(snapshotIndex), MEMBERS));
            }
        }
    }
}
