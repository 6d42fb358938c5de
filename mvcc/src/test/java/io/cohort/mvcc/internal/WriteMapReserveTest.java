package io.cohort.mvcc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.mvcc.ApplyResult;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store runs MDB_WRITEMAP and writes zeros ahead of LMDB's high-water mark before each write transaction: the
 * zeros must never land on live pages, across many reservation steps, in one session and after a reopen.
 */
class WriteMapReserveTest {
    private static final int VALUE_BYTES = 48 * 1024;
    private static final int KEYS = 40;

    @TempDir
    Path dir;

    @Test
    void growingPastManyReservationsKeepsEveryValue() {
        KeyspaceConfig config = KeyspaceConfig.builder().quotaBytes(96L << 20).mapSizeBytes(128L << 20).build();
        Random random = new Random(42);
        byte[][] latest = new byte[KEYS][];
        long index = 0;
        long usedAtStart;
        long usedAtEnd;
        try (Engine e = Engine.open(dir, config)) {
            usedAtStart = e.usedBytes();
            // Batches of 1 to 8 puts; about 60 MiB of history in all, so the high-water mark crosses the reservation
            // (16 MiB ahead) several times, sometimes with many new pages in one transaction.
            int round = 0;
            while (e.usedBytes() < usedAtStart + 4 * Store.RESERVE_AHEAD_BYTES) {
                List<Command> batch = new ArrayList<>();
                int n = 1 + random.nextInt(8);
                for (int i = 0; i < n; i++) {
                    int k = random.nextInt(KEYS);
                    byte[] v = new byte[VALUE_BYTES];
                    random.nextBytes(v);
                    latest[k] = v;
                    batch.add(new Command(++index, PutRequest.of(key(k), Bytes.wrap(v))));
                }
                for (ApplyResult r : e.apply(batch)) {
                    assertThat(r.status()).isEqualTo(ApplyResult.Status.APPLIED);
                }
                assertThat(e.usedBytes()).as("LMDB grew only into written blocks")
                        .isLessThanOrEqualTo(e.storeForTest().reservedBytesForTest());
                if (++round % 50 == 0) {
                    assertAllLatest(e, latest);
                }
            }
            usedAtEnd = e.usedBytes();
            assertAllLatest(e, latest);
        }
        assertThat(usedAtEnd - usedAtStart).isGreaterThan(4 * Store.RESERVE_AHEAD_BYTES);
        // The file is the sparse map (WRITEMAP sizes it so); every committed page survives the reopen.
        assertThat(dir.resolve("data.mdb")).satisfies(p -> assertThat(Files.size(p)).isEqualTo(128L << 20));
        try (Engine e = Engine.open(dir, config)) {
            assertThat(e.state().appliedIndex()).isEqualTo(index);
            assertAllLatest(e, latest);
        }
    }

    private static Bytes key(int k) {
        return Bytes.ofUtf8("key-" + k);
    }

    private static void assertAllLatest(Engine e, byte[][] latest) {
        for (int k = 0; k < KEYS; k++) {
            List<KeyValue> kvs = e.range(RangeRequest.key(key(k))).kvs();
            if (latest[k] == null) {
                assertThat(kvs).isEmpty();
            } else {
                assertThat(kvs).hasSize(1);
                assertThat(kvs.get(0).value()).isEqualTo(Bytes.wrap(latest[k]));
            }
        }
    }
}
