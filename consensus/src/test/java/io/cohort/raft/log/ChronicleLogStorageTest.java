package io.cohort.raft.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.HardState;
import io.cohort.raft.LogCompactedException;
import io.cohort.raft.Membership;
import io.cohort.raft.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChronicleLogStorageTest {

    @TempDir
    Path dir;

    private static final Membership MEMBERS = new Membership(Set.of(1L, 2L, 3L), Set.of());

    static Entry entry(long index, long term) {
        return new Entry(index, term, EntryType.COMMAND, ("e" + index + "t" + term).getBytes(StandardCharsets.UTF_8));
    }

    static List<Entry> bigRange(long from, long toInclusive, long term) {
        List<Entry> list = new ArrayList<>();
        for (long i = from; i <= toInclusive; i++) {
            byte[] data = new byte[400];
            data[0] = (byte) i;
            data[1] = (byte) (i >> 8);
            data[399] = (byte) term;
            list.add(new Entry(i, term, EntryType.COMMAND, data));
        }
        return list;
    }

    static List<Entry> range(long from, long toInclusive, long term) {
        List<Entry> list = new ArrayList<>();
        for (long i = from; i <= toInclusive; i++) {
            list.add(entry(i, term));
        }
        return list;
    }

    @Test
    void newLogIsEmpty() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.hardState()).isEqualTo(HardState.EMPTY);
            assertThat(log.snapshot()).isEqualTo(SnapshotMeta.NONE);
            assertThat(log.firstIndex()).isEqualTo(1);
            assertThat(log.lastIndex()).isEqualTo(0);
            assertThat(log.term(0)).isEqualTo(0);
            assertThat(log.entries(1, 1, Long.MAX_VALUE)).isEmpty();
            assertThatThrownBy(() -> log.term(1)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void appendTermEntriesAndReopen() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.append(List.of(new Entry(11, 2, EntryType.EMPTY, new byte[0]),
                new Entry(12, 2, EntryType.CONFIG_CHANGE, new byte[] {1, 2, 3})));
            log.setHardState(new HardState(2, 7, 9));
            log.sync();
            assertThat(log.lastIndex()).isEqualTo(12);
            assertThat(log.term(5)).isEqualTo(1);
            assertThat(log.term(12)).isEqualTo(2);
            assertThat(log.entries(1, 13, Long.MAX_VALUE)).hasSize(12);
            assertThat(log.entries(3, 6, Long.MAX_VALUE)).containsExactly(entry(3, 1), entry(4, 1), entry(5, 1));
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.hardState()).isEqualTo(new HardState(2, 7, 9));
            assertThat(log.firstIndex()).isEqualTo(1);
            assertThat(log.lastIndex()).isEqualTo(12);
            List<Entry> all = log.entries(1, 13, Long.MAX_VALUE);
            assertThat(all.subList(0, 10)).isEqualTo(range(1, 10, 1));
            assertThat(all.get(10)).isEqualTo(new Entry(11, 2, EntryType.EMPTY, new byte[0]));
            assertThat(all.get(11)).isEqualTo(new Entry(12, 2, EntryType.CONFIG_CHANGE, new byte[] {1, 2, 3}));
            // appending continues after reopen
            log.append(range(13, 14, 3));
            log.sync();
            assertThat(log.term(14)).isEqualTo(3);
        }
    }

    @Test
    void groupCommitOneFsyncPerBatch() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 1, 1));
            log.sync();
            long before = log.cycleFileForcesForTest();
            log.append(range(2, 501, 1));
            log.append(range(502, 1000, 1));
            log.setHardState(new HardState(1, 1, 900));
            assertThat(log.cycleFileForcesForTest()).as("nothing forced before sync").isEqualTo(before);
            log.sync();
            assertThat(log.cycleFileForcesForTest()).isEqualTo(before + 1);
            log.sync(); // nothing new: no fsync
            assertThat(log.cycleFileForcesForTest()).isEqualTo(before + 1);
        }
    }

    @Test
    void entriesRespectMaxBytesButReturnAtLeastOne() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            List<Entry> batch = new ArrayList<>();
            for (int i = 1; i <= 10; i++) {
                batch.add(new Entry(i, 1, EntryType.COMMAND, new byte[100]));
            }
            log.append(batch);
            assertThat(log.entries(1, 11, 0)).hasSize(1);
            assertThat(log.entries(1, 11, 99)).hasSize(1);
            assertThat(log.entries(1, 11, 250)).hasSize(2);
            assertThat(log.entries(1, 11, 300)).hasSize(3);
            assertThat(log.entries(4, 11, 10_000)).hasSize(7);
            assertThatThrownBy(() -> log.entries(1, 12, 10)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void conflictingSuffixIsSupersededAndSurvivesReopen() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.append(range(6, 7, 2)); // supersedes 6..10
            log.sync();
            assertThat(log.lastIndex()).isEqualTo(7);
            assertThat(log.term(6)).isEqualTo(2);
            assertThat(log.entries(1, 8, Long.MAX_VALUE)).extracting(Entry::term)
                .containsExactly(1L, 1L, 1L, 1L, 1L, 2L, 2L);
            assertThatThrownBy(() -> log.term(8)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> log.append(range(9, 9, 2))).isInstanceOf(IllegalArgumentException.class);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.lastIndex()).isEqualTo(7);
            assertThat(log.entries(1, 8, Long.MAX_VALUE)).extracting(Entry::term)
                .containsExactly(1L, 1L, 1L, 1L, 1L, 2L, 2L);
            log.append(range(3, 4, 3)); // supersede again, after reopen
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.lastIndex()).isEqualTo(4);
            assertThat(log.entries(1, 5, Long.MAX_VALUE)).extracting(Entry::term).containsExactly(1L, 1L, 3L, 3L);
            assertThat(log.entries(3, 5, Long.MAX_VALUE)).containsExactly(entry(3, 3), entry(4, 3));
        }
    }

    @Test
    void readsJumpOverLongSupersededStretches() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 5_000, 1));
            log.append(range(10, 20, 2)); // 10..5000 of term 1 are dead, between live 9 and live 10
            log.setHardState(new HardState(2, 1, 15));
            log.sync();
            assertThat(log.entries(5, 21, Long.MAX_VALUE)).extracting(Entry::term)
                .containsExactly(1L, 1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L, 2L);
            assertThat(log.entries(9, 11, Long.MAX_VALUE)).containsExactly(entry(9, 1), entry(10, 2));
        }
    }

    @Test
    void hardStateLatestWins() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.setHardState(new HardState(1, 1, 0));
            log.setHardState(new HardState(2, HardState.NO_VOTE, 0));
            log.append(range(1, 3, 2));
            log.setHardState(new HardState(2, 3, 3));
            log.sync();
            assertThat(log.hardState()).isEqualTo(new HardState(2, 3, 3));
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.hardState()).isEqualTo(new HardState(2, 3, 3));
        }
    }

    @Test
    void compactDiscardsPrefixDeletesOldCyclesAndSurvivesReopen() {
        Membership m = new Membership(Set.of(1L, 2L, 3L), Set.of(4L));
        // small cycles so that appends roll several cycle files
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 4096)) {
            for (long i = 1; i <= 100; i += 10) {
                log.append(bigRange(i, i + 9, 1));
                log.setHardState(new HardState(1, 1, i + 9));
                log.sync();
            }
            int cyclesBefore = cq4Files().length;
            assertThat(cyclesBefore).isGreaterThan(3);
            SnapshotMeta meta = new SnapshotMeta(60, 1, m);
            log.compact(meta);
            assertThat(log.snapshot()).isEqualTo(meta);
            assertThat(log.firstIndex()).isEqualTo(61);
            assertThat(log.lastIndex()).isEqualTo(100);
            assertThat(log.term(60)).isEqualTo(1);
            assertThatThrownBy(() -> log.term(59)).isInstanceOf(LogCompactedException.class);
            assertThatThrownBy(() -> log.entries(60, 62, 100)).isInstanceOf(LogCompactedException.class)
                .satisfies(e -> assertThat(((LogCompactedException) e).firstIndex()).isEqualTo(61));
            assertThat(log.entries(61, 101, Long.MAX_VALUE)).isEqualTo(bigRange(61, 100, 1));
            assertThat(cq4Files().length).isLessThan(cyclesBefore);
            log.append(bigRange(101, 105, 2));
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 4096)) {
            assertThat(log.snapshot()).isEqualTo(new SnapshotMeta(60, 1, m));
            assertThat(log.hardState()).isEqualTo(new HardState(1, 1, 100));
            assertThat(log.firstIndex()).isEqualTo(61);
            assertThat(log.lastIndex()).isEqualTo(105);
            assertThat(log.entries(61, 106, Long.MAX_VALUE).subList(0, 40)).isEqualTo(bigRange(61, 100, 1));
            assertThat(log.term(105)).isEqualTo(2);
            // compact everything: nothing but the active cycle is needed afterwards
            log.compact(new SnapshotMeta(105, 2, m));
            assertThat(log.firstIndex()).isEqualTo(106);
            assertThat(log.lastIndex()).isEqualTo(105);
            assertThat(cq4Files()).hasSize(1);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 4096)) {
            assertThat(log.firstIndex()).isEqualTo(106);
            assertThat(log.lastIndex()).isEqualTo(105);
            assertThat(log.term(105)).isEqualTo(2);
            log.append(bigRange(106, 107, 3));
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 4096)) {
            assertThat(log.entries(106, 108, Long.MAX_VALUE)).isEqualTo(bigRange(106, 107, 3));
        }
    }

    @Test
    void supersessionBelowTheFirstRetainedCycleSurvivesCompactionAndReopen() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.sync();
            log.rollForTest();
            log.append(range(11, 20, 1)); // the next cycle starts at entry 11
            log.append(range(8, 25, 2)); // supersedes from 8, written in that cycle
            log.sync();
            log.compact(new SnapshotMeta(16, 2, Membership.EMPTY)); // the first cycle holds no live entry
            assertThat(log.cycleFilesForTest()).doesNotContainKey(0);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.firstIndex()).isEqualTo(17);
            assertThat(log.lastIndex()).isEqualTo(25);
            assertThat(log.entries(17, 26, Long.MAX_VALUE)).isEqualTo(range(17, 25, 2));
        }
    }

    /**
     * After two compactions the retained log opens with the older snapshot record, whose following
     * entries were in a cycle the later snapshot deleted: reopens (was a LogCorruptedException).
     */
    @Test
    void olderSnapshotOpeningTheRetainedLogWithItsEntriesCompactedAwayReopens() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.sync();
            log.compact(new SnapshotMeta(5, 1, MEMBERS)); // cycle 1 opens with SNAPSHOT(5); entries 6..10 stay in cycle 0
            log.append(range(11, 20, 1));
            log.sync();
            log.compact(new SnapshotMeta(15, 1, MEMBERS)); // deletes cycle 0
            assertThat(log.cycleFilesForTest()).containsOnlyKeys(1, 2);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.snapshot().index()).isEqualTo(15);
            assertThat(log.firstIndex()).isEqualTo(16);
            assertThat(log.lastIndex()).isEqualTo(20);
            assertThat(log.entries(16, 21, Long.MAX_VALUE)).isEqualTo(range(16, 20, 1));
            log.append(range(21, 22, 1));
            log.sync();
        }
    }

    /** The same gap with no later snapshot covering it (a lost cycle file) is still corruption. */
    @Test
    void gapAfterTheOpeningSnapshotNotCoveredByALaterSnapshotIsCorruption() throws Exception {
        File first;
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.sync();
            log.compact(new SnapshotMeta(5, 1, MEMBERS));
            log.append(range(11, 20, 1));
            log.sync();
            first = log.cycleFilesForTest().get(0);
        }
        java.nio.file.Files.delete(first.toPath()); // entries 6..10 lost
        assertThatThrownBy(() -> ChronicleLogStorage.open(dir))
            .isInstanceOf(LogCorruptedException.class).hasMessageContaining("entries 6..10 are missing");
    }

    @Test
    void cycleNumbersWithGapsReopen() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 3, 1));
            log.sync();
            log.rollForTest();
            log.rollForTest(); // a cycle that is never written
            log.append(range(4, 6, 1));
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.entries(1, 7, Long.MAX_VALUE)).isEqualTo(range(1, 6, 1));
            assertThat(log.cycleFilesForTest()).containsOnlyKeys(0, 2);
        }
    }

    @Test
    void compactBeyondTheLogOrWithAnotherTermDiscardsEverything() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 10, 1));
            log.compact(new SnapshotMeta(5, 2, Membership.EMPTY)); // term differs: whole log goes
            assertThat(log.firstIndex()).isEqualTo(6);
            assertThat(log.lastIndex()).isEqualTo(5);
            assertThat(log.term(5)).isEqualTo(2);
            log.compact(new SnapshotMeta(50, 3, Membership.EMPTY)); // installed from a leader
            assertThat(log.firstIndex()).isEqualTo(51);
            assertThat(log.lastIndex()).isEqualTo(50);
            assertThatThrownBy(() -> log.append(range(50, 50, 3))).isInstanceOf(IllegalArgumentException.class);
            log.append(range(51, 52, 3));
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.firstIndex()).isEqualTo(51);
            assertThat(log.lastIndex()).isEqualTo(52);
            assertThat(log.entries(51, 53, Long.MAX_VALUE)).isEqualTo(range(51, 52, 3));
        }
    }

    /**
     * A power loss keeps only what syncs wrote. A range sync writes just its records' pages, not the header page where
     * Chronicle keeps its write position, so the disk image here is the file as of its last whole-file force with
     * every later range sync's pages laid over it as they were at that sync: the header is stale. The log must reopen
     * from that image with every synced entry and hard state, and go on appending.
     */
    @Test
    void aPowerLossKeepingOnlyWhatSyncsWroteReopensWithEverySyncedEntry() throws IOException {
        int imageBytes = 2 << 20;
        byte[] image = null;
        List<Entry> synced = new ArrayList<>();
        HardState syncedHardState = HardState.EMPTY;
        long rangeSyncsAfterLastForce = 0;
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            long next = 1;
            for (int batch = 0; batch < 300; batch++) { // about 900 records: Chronicle indexes every 256th in place
                List<Entry> entries = bigRange(next, next + batch % 3, 1);
                next += entries.size();
                HardState hs = new HardState(1, 0, next - 2);
                log.append(entries);
                log.setHardState(hs);
                long forces = log.cycleFileForcesForTest();
                long ranges = log.rangeSyncsForTest();
                log.sync();
                if (log.cycleFileForcesForTest() > forces) {
                    image = cycleFilePrefix(imageBytes);
                    rangeSyncsAfterLastForce = 0;
                } else {
                    assertThat(log.rangeSyncsForTest()).as("a sync forces the file or syncs a range").isEqualTo(ranges + 1);
                    long[] range = log.lastSyncedRangeForTest();
                    int from = (int) (range[0] & ~4095L);
                    int to = (int) ((range[1] + 4095) & ~4095L); // the kernel writes whole pages
                    assertThat(to).isLessThanOrEqualTo(imageBytes);
                    byte[] now = cycleFilePrefix(imageBytes);
                    System.arraycopy(now, from, image, from, to - from);
                    rangeSyncsAfterLastForce++;
                }
                synced.addAll(entries);
                syncedHardState = hs;
            }
            assertThat(rangeSyncsAfterLastForce).as("the image's header page is older than its last records")
                    .isGreaterThanOrEqualTo(10);
            log.append(bigRange(next, next + 2, 1)); // never synced: lost
        }
        try (FileChannel ch = FileChannel.open(cycleFile().toPath(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(image), 0);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThat(log.lastIndex()).isEqualTo(synced.size());
            assertThat(log.entries(1, synced.size() + 1, Long.MAX_VALUE)).isEqualTo(synced);
            assertThat(log.hardState()).isEqualTo(syncedHardState);
            log.append(bigRange(synced.size() + 1, synced.size() + 300, 2));
            log.sync();
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            List<Entry> all = new ArrayList<>(synced);
            all.addAll(bigRange(synced.size() + 1, synced.size() + 300, 2));
            assertThat(log.entries(1, all.size() + 1, Long.MAX_VALUE)).isEqualTo(all);
        }
    }

    /** A sync of records appended to the active cycle writes only their pages; the first in a new cycle forces it. */
    @Test
    void aSyncWritesOnlyItsRecordsPagesUnlessItStartsACycleOrWroteAnIndexEntry() throws IOException {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            log.append(range(1, 1, 1));
            log.sync();
            assertThat(log.rangeSyncsForTest()).as("the first sync of a new cycle file").isZero();
            long forces = log.cycleFileForcesForTest();
            byte[] before = cycleFilePrefix(1 << 20);
            log.append(range(2, 3, 1));
            log.sync();
            assertThat(log.rangeSyncsForTest()).isEqualTo(1);
            assertThat(log.cycleFileForcesForTest()).isEqualTo(forces);
            long[] range = log.lastSyncedRangeForTest();
            byte[] after = cycleFilePrefix(1 << 20);
            int firstChanged = 0;
            while (before[firstChanged] == after[firstChanged]) {
                firstChanged++;
            }
            assertThat(firstChanged).as("the header page changed too").isLessThan(4096);
            int lastChanged = after.length - 1;
            while (before[lastChanged] == after[lastChanged]) {
                lastChanged--;
            }
            assertThat(range[0]).as("the range starts where the previous sync ended").isGreaterThan(4096);
            assertThat(range[1]).as("and ends after the last byte written").isGreaterThan(lastChanged);
            for (int i = 4096; i < after.length; i++) {
                if (before[i] != after[i]) {
                    assertThat(i).as("a byte changed outside the header page is in the range").isBetween(
                            (int) range[0], (int) range[1] - 1);
                }
            }
            log.rollForTest();
            log.append(range(4, 4, 1));
            log.sync();
            assertThat(log.cycleFileForcesForTest()).as("a new cycle file is forced whole").isGreaterThan(forces);
            assertThat(log.rangeSyncsForTest()).isEqualTo(1);
        }
    }

    private File cycleFile() {
        File[] cycles = dir.toFile().listFiles((d, name) -> name.endsWith(".cq4"));
        assertThat(cycles).hasSize(1);
        return cycles[0];
    }

    /** The first {@code bytes} of the one cycle file, read through the page cache (what the mapping wrote). */
    private byte[] cycleFilePrefix(int bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(cycleFile().toPath(), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(bytes);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read on
            }
            return Arrays.copyOf(b.array(), bytes);
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrow() {
        ChronicleLogStorage log = ChronicleLogStorage.open(dir);
        log.close();
        log.close();
        assertThatThrownBy(log::lastIndex).isInstanceOf(IllegalStateException.class);
        // the directory lock is released: it opens again
        ChronicleLogStorage.open(dir).close();
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            assertThatThrownBy(() -> ChronicleLogStorage.open(dir)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already open");
        }
    }

    @Test
    void largeLogRebuildsAtOpen() {
        int n = 1_000_000; // the open time is logged, never asserted
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            List<Entry> batch = new ArrayList<>(1000);
            byte[] payload = new byte[16];
            for (int i = 1; i <= n; i++) {
                batch.add(new Entry(i, 1 + i / 50_000, EntryType.COMMAND, payload));
                if (batch.size() == 1000) {
                    log.append(batch);
                    batch.clear();
                }
            }
            log.sync();
        }
        long start = System.nanoTime();
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) {
            long ms = (System.nanoTime() - start) / 1_000_000;
            org.slf4j.LoggerFactory.getLogger(ChronicleLogStorageTest.class)
                .info("rebuild at open of a log of {} entries took {} ms", n, ms);
            assertThat(log.lastIndex()).isEqualTo(n);
            assertThat(log.term(n)).isEqualTo(1 + n / 50_000);
            assertThat(log.entries(n - 1, n + 1, Long.MAX_VALUE)).hasSize(2);
        }
    }

    @Test
    void writerAndReaderOnDifferentThreads() throws Exception {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir)) { // opened on this thread
            int n = 5_000;
            Thread writer = new Thread(() -> {
                for (long i = 1; i <= n; i += 10) {
                    log.append(range(i, i + 9, 1));
                    log.sync();
                }
            });
            java.util.concurrent.atomic.AtomicReference<Throwable> readerFailure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread reader = new Thread(() -> {
                try {
                    long seen = 0;
                    while (seen < n) {
                        long last = log.lastIndex();
                        if (last > seen) {
                            List<Entry> got = log.entries(Math.max(1, last - 20), last + 1, Long.MAX_VALUE);
                            assertThat(got.get(got.size() - 1)).isEqualTo(entry(last, 1));
                            seen = last;
                        }
                    }
                } catch (Throwable t) {
                    readerFailure.set(t);
                }
            });
            writer.start();
            reader.start();
            writer.join(60_000);
            reader.join(60_000);
            assertThat(readerFailure.get()).isNull();
            assertThat(log.lastIndex()).isEqualTo(n);
        }
    }

    File[] cq4Files() {
        return dir.toFile().listFiles((d, name) -> name.endsWith(".cq4"));
    }
}
