package io.cohort.raft.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

import io.cohort.raft.Entry;
import io.cohort.raft.EntryType;
import io.cohort.raft.Membership;
import io.cohort.raft.SnapshotMeta;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zeros {@link ChronicleLogStorage} keeps written ahead of its appender ({@link CyclePreZeroer}). */
class CyclePreZeroerTest {
    private static final long AHEAD_BYTES = 2L << 20;
    private static final Membership MEMBERS = new Membership(java.util.Set.of(1L, 2L, 3L), java.util.Set.of());

    @TempDir
    Path dir;

    private static List<Entry> entries(long from, long toInclusive, long term, int bytes, Random random) {
        List<Entry> list = new ArrayList<>();
        for (long i = from; i <= toInclusive; i++) {
            byte[] data = new byte[bytes];
            random.nextBytes(data);
            data[0] = (byte) i;
            data[bytes - 1] = (byte) (i >> 8);
            list.add(new Entry(i, term, EntryType.COMMAND, data));
        }
        return list;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 20 s for: " + what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** True if {@code file[from, to)} holds only zero bytes. */
    private static boolean allZeros(File file, long from, long to) throws IOException {
        try (FileChannel ch = FileChannel.open(file.toPath(), StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
            long position = from;
            while (position < to) {
                buffer.clear().limit((int) Math.min(buffer.capacity(), to - position));
                int n = ch.read(buffer, position);
                if (n <= 0) {
                    return false;
                }
                for (int i = 0; i < n; i++) {
                    if (buffer.get(i) != 0) {
                        return false;
                    }
                }
                position += n;
            }
            return true;
        }
    }

    private static List<Entry> readAll(ChronicleLogStorage log) {
        List<Entry> all = new ArrayList<>();
        for (long from = log.firstIndex(); from <= log.lastIndex(); ) {
            List<Entry> chunk = log.entries(from, log.lastIndex() + 1, 4 << 20);
            all.addAll(chunk);
            from += chunk.size();
        }
        return all;
    }

    @Test
    void zerosAreKeptWrittenAheadOfTheLastRecordInsideTheFile() throws Exception {
        Random random = new Random(1);
        List<Entry> written = entries(1, 3000, 1, 1000, random);
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, AHEAD_BYTES)) {
            CyclePreZeroer zeroer = log.preZeroerForTest();
            for (int i = 0; i < written.size(); i += 100) {
                log.append(written.subList(i, i + 100));
                log.sync();
            }
            long end = zeroer.appendedEnd();
            await("zeros up to the target", () -> zeroer.zeroedUpTo() > end + CyclePreZeroer.MARGIN_BYTES + AHEAD_BYTES - CyclePreZeroer.CHUNK_BYTES);
            await("the zeros synced", () -> zeroer.forces() > 0);
            // direct writes wherever the file system takes them, else the buffered fallback
            if (directWritesWork(dir)) {
                assertThat(zeroer.directChunks()).isGreaterThan(0);
                assertThat(zeroer.bufferedChunks()).isZero();
            } else {
                assertThat(zeroer.directChunks()).isZero();
            }
            File file = log.cycleFilesForTest().values().iterator().next();
            // the end reported is a position in the file, past the 3 MB written, and the zeros stay inside the file
            assertThat(end).isGreaterThan(3000L * 1000).isLessThan(file.length());
            assertThat(zeroer.zeroedUpTo()).isLessThanOrEqualTo(file.length())
                .isLessThanOrEqualTo(end + CyclePreZeroer.MARGIN_BYTES + AHEAD_BYTES);
            assertThat(zeroer.zeroedBytes()).isLessThanOrEqualTo(zeroer.zeroedUpTo() - CyclePreZeroer.MARGIN_BYTES);
            assertThat(allZeros(file, end, zeroer.zeroedUpTo())).isTrue();
            assertThat(readAll(log)).isEqualTo(written);
        }
        // reopen over the zeroed region: the same log, nothing cut, nothing taken for data or corruption
        List<Entry> more = entries(3001, 6000, 2, 1000, random);
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, AHEAD_BYTES)) {
            assertThat(log.tornTailsCutAtOpen()).isZero();
            assertThat(log.lastIndex()).isEqualTo(3000);
            assertThat(readAll(log)).isEqualTo(written);
            for (int i = 0; i < more.size(); i += 100) {
                log.append(more.subList(i, i + 100)); // into the zeroed region
                log.sync();
            }
        }
        written.addAll(more);
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, AHEAD_BYTES)) {
            assertThat(log.tornTailsCutAtOpen()).isZero();
            assertThat(readAll(log)).isEqualTo(written);
        }
    }

    @Test
    void appendsSupersessionsAndRollsRacingTheZerosNeverLoseOrDamageARecord() throws Exception {
        race(true, false, 7);
    }

    @Test
    void appendsRollsAndCompactionsRacingTheZerosNeverLoseOrDamageARecord() throws Exception {
        race(false, true, 11);
    }

    @Test
    void appendsSupersessionsRollsAndCompactionsRacingTheZerosNeverLoseOrDamageARecord() throws Exception {
        race(true, true, 7);
    }

    @Test
    void bufferedZerosRacingAppendsSupersessionsRollsAndCompactionsNeverLoseOrDamageARecord() throws Exception {
        race(true, true, 13, false); // the fallback where direct writes are not allowed: buffered + fdatasync
    }

    /** True if {@code dir}'s file system takes an {@code O_DIRECT} write of one page (ext4, xfs; not tmpfs). */
    private static boolean directWritesWork(Path dir) throws IOException {
        Path probe = dir.resolve("direct-probe");
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ByteBuffer page = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
            page.limit(4096);
            return java.nio.file.Files.getFileStore(probe).getBlockSize() <= 4096 && ch.write(page, 0) == 4096;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            java.nio.file.Files.deleteIfExists(probe);
        }
    }

    /**
     * Random batches (some entries larger than the margin) with syncs, rolls, and either supersessions
     * or compactions (which delete the cycles the zeros went into), then every record read back.
     */
    private void race(boolean supersede, boolean compact, long seed) throws Exception {
        race(supersede, compact, seed, true);
    }

    private void race(boolean supersede, boolean compact, long seed, boolean directZeros) throws Exception {
        Random random = new Random(seed);
        List<Entry> written = new ArrayList<>();
        long next = 1;
        long term = 1;
        int compactions = 0;
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 24L << 20, 1L << 20, directZeros)) {
            CyclePreZeroer zeroer = log.preZeroerForTest();
            while (next <= 60_000) {
                int n = 1 + random.nextInt(400);
                List<Entry> batch = entries(next, next + n - 1, term, 1 + random.nextInt(1500), random);
                if (random.nextInt(40) == 0) {
                    // one entry larger than the margin: it must wait for, never run over, the zeros
                    batch = entries(next, next, term, (2 << 20) + random.nextInt(1 << 20), random);
                }
                if (supersede && random.nextInt(20) == 0 && next > 10) {
                    // supersede a suffix, as a new leader would
                    long from = next - 1 - random.nextInt(10);
                    term++;
                    batch = entries(from, from + n - 1, term, 1 + random.nextInt(1500), random);
                    written.subList((int) (from - 1), written.size()).clear();
                }
                log.append(batch);
                written.addAll(batch);
                next = batch.get(batch.size() - 1).index() + 1;
                if (random.nextBoolean()) {
                    log.sync();
                }
                if (compact && random.nextInt(60) == 0 && next > 1000) {
                    // compaction rolls and deletes older cycles while the zeros go on
                    long index = next - 1 - random.nextInt(500);
                    log.compact(new SnapshotMeta(index, written.get((int) (index - 1)).term(), MEMBERS));
                    compactions++;
                }
            }
            log.sync();
            assertThat(zeroer.zeroedBytes()).as("the zeros were in play").isGreaterThan(0);
            if (!directZeros) {
                assertThat(zeroer.directChunks()).as("buffered zeros only").isZero();
                assertThat(zeroer.bufferedChunks()).isGreaterThan(0);
            }
            assertThat(compactions > 0).isEqualTo(compact);
            assertThat(log.cycleFilesForTest().size() > 1 || compact).as("cycles rolled").isTrue();
            assertThat(readAll(log)).isEqualTo(written.subList((int) log.firstIndex() - 1, written.size()));
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, 24L << 20, 1L << 20)) {
            assertThat(log.tornTailsCutAtOpen()).isZero();
            assertThat(readAll(log)).isEqualTo(written.subList((int) log.firstIndex() - 1, written.size()));
        }
    }

    @Test
    void afterARollTheZerosGoOnlyIntoTheNewCycle() throws Exception {
        Random random = new Random(3);
        List<Entry> written = entries(1, 2000, 1, 1000, random);
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, AHEAD_BYTES)) {
            CyclePreZeroer zeroer = log.preZeroerForTest();
            log.append(written.subList(0, 1000));
            log.sync();
            await("zeros in the first cycle", () -> zeroer.zeroedBytes() > 0);
            log.rollForTest();
            log.append(written.subList(1000, 2000));
            log.sync();
            assertThat(log.cycleFilesForTest()).hasSize(2);
            File second = log.cycleFilesForTest().get(1);
            long end = zeroer.appendedEnd();
            assertThat(end).isLessThan(second.length());
            await("zeros in the second cycle", () -> zeroer.zeroedUpTo() > end + CyclePreZeroer.MARGIN_BYTES);
            assertThat(zeroer.zeroedUpTo()).isLessThanOrEqualTo(second.length());
            assertThat(allZeros(second, end, zeroer.zeroedUpTo())).isTrue();
            assertThat(readAll(log)).isEqualTo(written);
        }
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, AHEAD_BYTES)) {
            assertThat(log.tornTailsCutAtOpen()).isZero();
            assertThat(readAll(log)).isEqualTo(written);
        }
    }

    @Test
    void zerosCanBeTurnedOffAndTheDistanceIsBounded() {
        try (ChronicleLogStorage log = ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, 0)) {
            assertThat(log.preZeroerForTest()).isNull();
            log.append(entries(1, 10, 1, 100, new Random(1)));
            log.sync();
        }
        assertThatThrownBy(() -> ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES, -1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preZeroAheadBytes");
        assertThatThrownBy(() -> ChronicleLogStorage.open(dir, ChronicleLogStorage.DEFAULT_MAX_CYCLE_BYTES,
            ChronicleLogStorage.MAX_PRE_ZERO_AHEAD_BYTES + 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("preZeroAheadBytes");
    }
}
