package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A snapshot written by one keyspace and restored into another is the same keyspace. */
class SnapshotTest {
    @TempDir
    Path dir;

    @Test
    void restoredKeyspaceEqualsTheSourceAtTheSnapshot() throws Exception {
        Path file = dir.resolve("snap.mdb");
        long hash;
        long lease;
        try (Ks src = new Ks(dir.resolve("src"))) {
            lease = src.grant(60);
            for (int i = 0; i < 500; i++) {
                src.put("k" + (i % 50), "v" + i);
            }
            src.put("leased", "x", lease);
            src.del("k7");
            src.ok(new CompactRequest(300));
            while (src.ks.compactStep()) {
                // Physical compaction to the end, so the copy is the compacted layout.
            }
            long applied = src.ks.writeSnapshot(file);
            assertThat(applied).isEqualTo(src.ks.appliedIndex());
            hash = src.ks.hash(0);
            // Writes after the snapshot are not in it.
            src.put("after", "1");
        }
        assertThat(Files.size(file)).isPositive();

        try (Ks dst = new Ks(dir.resolve("dst"))) {
            dst.put("stale", "gone after restore");
            dst.ks.restoreSnapshot(file);
            assertThat(dst.ks.hash(0)).isEqualTo(hash);
            assertThat(dst.get("stale")).isNull();
            assertThat(dst.get("after")).isNull();
            assertThat(dst.get("k7")).isNull();
            assertThat(dst.get("k8").value()).isEqualTo(b("v458"));
            assertThat(dst.ks.compactedRevision()).isEqualTo(300);
            assertThat(dst.ks.leaseTimeToLive(lease, true).keys()).containsExactly(b("leased"));
            // The restored keyspace keeps applying from the snapshot's index on.
            long next = dst.ks.appliedIndex() + 1;
            dst.index = dst.ks.appliedIndex();
            assertThat(dst.put("new", "1").revision()).isEqualTo(dst.ks.currentRevision());
            assertThat(dst.ks.appliedIndex()).isEqualTo(next);
        }
        // And it survives a reopen.
        try (Ks again = new Ks(dir.resolve("dst"))) {
            assertThat(again.get("new").value()).isEqualTo(b("1"));
            assertThat(again.get("k8").value()).isEqualTo(b("v458"));
        }
    }

    @Test
    void aFileThatIsNotASnapshotIsRefused() throws Exception {
        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[8192]);
        try (Ks dst = new Ks(dir.resolve("dst"))) {
            dst.put("a", "1");
            assertThatThrownBy(() -> dst.ks.restoreSnapshot(junk)).isInstanceOf(CorruptKeyspaceException.class);
            assertThatThrownBy(() -> dst.ks.restoreSnapshot(dir.resolve("missing")))
                    .isInstanceOf(CorruptKeyspaceException.class).hasMessageContaining("does not exist");
            assertThat(dst.get("a").value()).as("a refused snapshot leaves the keyspace as it was").isEqualTo(b("1"));
        }
    }

    @Test
    void anExistingTargetFileIsNotOverwritten() throws Exception {
        Path file = dir.resolve("taken");
        Files.write(file, new byte[] {1});
        try (Ks src = new Ks(dir.resolve("src"))) {
            assertThatThrownBy(() -> src.ks.writeSnapshot(file)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already exists");
        }
    }
}
