package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A keyspace captured at one moment and written later, on another thread, while writes go on. */
class KeyspaceSnapshotTest {
    @TempDir
    Path dir;

    @Test
    void aCaptureWrittenLaterOnAnotherThreadHoldsExactlyTheCapturedState() throws Exception {
        Path file = dir.resolve("snap.mdb");
        long hashAtCapture;
        long indexAtCapture;
        long lease;
        KeyspaceSnapshot captured;
        try (Ks src = new Ks(dir.resolve("src"))) {
            lease = src.grant(60);
            for (int i = 0; i < 3000; i++) {
                src.put("k" + (i % 700), "v" + i);
            }
            for (int i = 0; i < 20; i++) {
                src.put("leased/" + i, "x", lease); // Several keys of one lease: the DUPSORT table.
            }
            src.del("k7");
            hashAtCapture = src.ks.hash(0);
            indexAtCapture = src.ks.appliedIndex();
            captured = src.ks.captureSnapshot();
            assertThat(captured.appliedIndex()).isEqualTo(indexAtCapture);
            assertThat(captured.revision()).isEqualTo(src.ks.currentRevision());
            // Writes go on while the capture is open: not blocked, and not in it.
            for (int i = 0; i < 500; i++) {
                src.put("k" + i, "after" + i);
            }
            src.put("after", "1");
            src.del("k8");
            assertThat(src.ks.appliedIndex()).isGreaterThan(indexAtCapture);
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> captured.writeTo(file, 60_000));
            src.put("during", "the write");
            written.get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> captured.writeTo(dir.resolve("again.mdb"), 60_000))
                    .as("written once").isInstanceOf(CancellationException.class);
            assertThat(dir.resolve("again.mdb")).doesNotExist();
        }
        try (Ks dst = new Ks(dir.resolve("dst"))) {
            dst.put("stale", "gone after restore");
            dst.ks.restoreSnapshot(file);
            assertThat(dst.ks.appliedIndex()).isEqualTo(indexAtCapture);
            assertThat(dst.ks.hash(0)).isEqualTo(hashAtCapture);
            assertThat(dst.get("after")).isNull();
            assertThat(dst.get("during")).isNull();
            assertThat(dst.get("stale")).isNull();
            assertThat(dst.get("k7")).isNull();
            assertThat(dst.get("k8").value()).isEqualTo(b("v2808"));
            assertThat(dst.ks.leaseTimeToLive(lease, true).keys()).hasSize(20).contains(b("leased/0"), b("leased/19"));
        }
    }

    @Test
    void aCaptureClosedBeforeItIsWrittenWritesNothing() {
        try (Ks src = new Ks(dir.resolve("src"))) {
            src.put("a", "1");
            KeyspaceSnapshot captured = src.ks.captureSnapshot();
            captured.close();
            captured.close(); // Idempotent.
            Path file = dir.resolve("snap.mdb");
            assertThatThrownBy(() -> captured.writeTo(file, 60_000)).isInstanceOf(CancellationException.class);
            assertThat(file).doesNotExist();
            src.put("b", "2"); // The keyspace goes on.
        }
    }

    @Test
    void closingTheKeyspaceReleasesAnOpenCaptureWhichThenWritesNothing() throws Exception {
        Ks src = new Ks(dir.resolve("src"));
        src.put("a", "1");
        KeyspaceSnapshot captured = src.ks.captureSnapshot();
        src.close(); // Does not close the LMDB environment under the capture's read transaction.
        Path file = dir.resolve("snap.mdb");
        assertThatThrownBy(() -> captured.writeTo(file, 60_000)).isInstanceOf(CancellationException.class);
        assertThat(file).doesNotExist();
        try (Ks again = new Ks(dir.resolve("src"))) {
            assertThat(again.get("a").value()).isEqualTo(b("1"));
        }
    }

    @Test
    void aWriteThatTakesLongerThanItsTimeoutIsAbandonedAndLeavesNoFile() {
        try (Ks src = new Ks(dir.resolve("src"))) {
            for (int i = 0; i < 20_000; i++) {
                src.put("k" + i, "v" + i);
            }
            KeyspaceSnapshot captured = src.ks.captureSnapshot();
            Path file = dir.resolve("slow.mdb");
            // 1 ms cannot copy 40,000 records and sync the file: the write stops at a check and deletes the file.
            assertThatThrownBy(() -> captured.writeTo(file, 1)).isInstanceOf(CancellationException.class)
                    .hasMessageContaining("took longer than 1 ms");
            assertThat(file).doesNotExist();
            src.put("after", "1"); // Released: the keyspace goes on, and closes without waiting.
        }
    }

    @Test
    void aWriteToAnExistingFileIsRefusedAndReleasesTheCapture() throws Exception {
        try (Ks src = new Ks(dir.resolve("src"))) {
            src.put("a", "1");
            Path file = Files.writeString(dir.resolve("exists.mdb"), "not mine");
            KeyspaceSnapshot captured = src.ks.captureSnapshot();
            assertThatThrownBy(() -> captured.writeTo(file, 60_000)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already exists");
            assertThat(Files.readString(file)).isEqualTo("not mine");
            assertThatThrownBy(() -> captured.writeTo(dir.resolve("other.mdb"), 60_000))
                    .isInstanceOf(CancellationException.class);
            assertThatThrownBy(() -> captured.writeTo(dir.resolve("other.mdb"), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeoutMs");
        }
    }
}
