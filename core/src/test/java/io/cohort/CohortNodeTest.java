package io.cohort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.raft.transport.InMemoryNetwork;
import io.cohort.testkit.TestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's life: restart on its data, snapshots, close, and the builder's checks. */
class CohortNodeTest {
    @TempDir
    Path tmp;

    @Test
    void aRestartedMemberRejoinsWithAllItsDataAndCatchesUp() {
        try (TestCluster cluster = TestCluster.start(3)) {
            CohortNode follower = cluster.followers().get(0);
            for (int i = 0; i < 20; i++) {
                follower.kv().put("r/" + i, "before-" + i);
            }
            cluster.kill(follower);
            assertThatThrownBy(() -> follower.kv().put("r/x", "v")).isInstanceOf(CohortException.Closed.class);
            // The group still has a quorum.
            for (int i = 0; i < 20; i++) {
                cluster.leader().kv().put("r/" + i, "while-down-" + i);
            }
            CohortNode back = cluster.restart(follower);
            assertThat(back.kv().get(KeyRange.prefix("r/")).kvs()).hasSize(20)
                    .allMatch(kv -> kv.value().toStringUtf8().startsWith("while-down-"));
            Map<Long, Long> hashes = cluster.awaitConvergedHashes();
            assertThat(hashes).hasSize(3);
            assertThat(hashes.values()).containsOnly(hashes.get(1L));
        }
    }

    @Test
    void aMemberFarBehindCatchesUpFromASnapshotAfterTheLogWasDiscarded() {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.snapshotIntervalEntries(25)).start()) {
            CohortNode lagging = cluster.followers().get(0);
            cluster.kill(lagging);
            KvStore kv = cluster.leader().kv();
            for (int i = 0; i < 120; i++) {
                kv.put("s/" + (i % 30), "v" + i);
            }
            long compactAt = kv.get("s/0").revision() - 5;
            kv.compact(compactAt);
            Path snapshotMeta = cluster.dataRoot().resolve("member-" + cluster.leader().memberId())
                    .resolve("snapshot").resolve("snapshot.meta");
            assertThat(snapshotMeta).exists();
            CohortNode back = cluster.restart(lagging);
            GetResult r = back.kv().get(KeyRange.prefix("s/"));
            assertThat(r.kvs()).hasSize(30);
            assertThat(r.kvs()).allMatch(k -> k.version() == 4);
            Map<Long, Long> hashes = cluster.awaitConvergedHashes();
            assertThat(hashes.values()).containsOnly(hashes.get(1L));
            assertThat(back.maintenance().status().compactedRevision()).isEqualTo(compactAt);
            // And it restarts from its own snapshot too.
            CohortNode again = cluster.restart(back);
            assertThat(again.kv().get(KeyRange.prefix("s/"), GetOptions.serializableRead()).kvs()).hasSize(30);
        }
    }

    @Test
    void closeIsIdempotentAndFailsRequestsInFlightWithoutHanging() throws Exception {
        try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.requestTimeoutMs(60_000)).start()) {
            CohortNode leader = cluster.leader();
            leader.kv().put("c/k", "v");
            // Cut the leader off so its writes cannot commit, then close it with them pending.
            cluster.isolate(leader);
            List<CompletableFuture<PutResult>> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pending.add(leader.kv().putAsync("c/" + i, "v"));
            }
            CompletableFuture<GetResult> read = leader.kv().getAsync(KeyRange.key("c/k"), GetOptions.defaults());
            leader.close();
            leader.close();
            for (CompletableFuture<PutResult> f : pending) {
                assertThat(f).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
                        .withCauseInstanceOf(CohortException.Closed.class)
                        .withMessageContaining("may or may not have taken effect");
            }
            assertThat(read).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(CohortException.Closed.class);
            assertThatThrownBy(() -> leader.kv().get(KeyRange.key("c/k"), GetOptions.serializableRead()))
                    .isInstanceOf(CohortException.Closed.class);
            assertThatThrownBy(() -> leader.maintenance().status()).isInstanceOf(CohortException.Closed.class);
            assertThat(leader.isClosed()).isTrue();
        }
    }

    @Test
    void aSingleMemberGroupWorksAndKeepsItsDataAcrossRestarts() {
        InMemoryNetwork network = InMemoryNetwork.create(1);
        try {
            CohortNode.Builder b = CohortNode.builder().memberId(7).dataDir(tmp.resolve("solo"))
                    .members(Map.of(7L, "in-memory:7")).transport(TransportFactory.of(network::transport))
                    .tickMs(10).electionTimeoutMs(100);
            long rev;
            try (CohortNode node = b.start()) {
                rev = node.kv().put("solo", "1").revision();
            }
            try (CohortNode node = b.start()) {
                GetResult r = node.kv().get("solo");
                assertThat(r.valueUtf8()).contains("1");
                assertThat(r.revision()).isEqualTo(rev);
                assertThat(node.kv().put("solo", "2").revision()).isEqualTo(rev + 1);
            }
            assertThat(Files.exists(tmp.resolve("solo").resolve("keyspace"))).isTrue();
            assertThat(Files.exists(tmp.resolve("solo").resolve("raft"))).isTrue();
        } finally {
            network.close();
        }
    }

    @Test
    void aFullQuotaRefusesWritesWithEtcdsErrorAndTheNodeKeepsServing() {
        InMemoryNetwork network = InMemoryNetwork.create(1);
        try (CohortNode node = CohortNode.builder().memberId(1).dataDir(tmp.resolve("quota"))
                .members(Map.of(1L, "in-memory:1")).transport(TransportFactory.of(network::transport))
                .tickMs(10).electionTimeoutMs(100).quotaBytes(1 << 20).start()) {
            byte[] value = new byte[8 * 1024];
            io.cohort.mvcc.KeyspaceException full = null;
            int written = 0;
            for (int i = 0; i < 1_000 && full == null; i++) {
                try {
                    node.kv().put(("q/" + i).getBytes(), value);
                    written++;
                } catch (io.cohort.mvcc.KeyspaceException e) {
                    full = e;
                }
            }
            assertThat(full).as("the quota of 1 MiB refuses writes before 8 MiB were written").isNotNull();
            assertThat(full.code()).isEqualTo(io.cohort.mvcc.ErrorCode.NO_SPACE);
            assertThat(full.etcdMessage()).isEqualTo("etcdserver: mvcc: database space exceeded");
            assertThat(written).isPositive();
            assertThat(node.kv().get(KeyRange.prefix("q/"), GetOptions.defaults().withCountOnly()).count())
                    .isEqualTo(written);
            assertThat(node.maintenance().status().dataSizeBytes()).isGreaterThan(1 << 19);
        } finally {
            network.close();
        }
    }

    @Test
    void theBuilderRejectsBadSettingsWithTheLimit() {
        InMemoryNetwork network = InMemoryNetwork.create(1);
        try {
            CohortNode.Builder b = CohortNode.builder().memberId(1).dataDir(tmp)
                    .members(Map.of(1L, "a")).transport(TransportFactory.of(network::transport));
            assertThatThrownBy(() -> CohortNode.builder().dataDir(tmp).start())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memberId must be > 0");
            assertThatThrownBy(() -> b.memberId(2).start())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must include this member 2");
            assertThatThrownBy(() -> b.memberId(1).tickMs(100).electionTimeoutMs(150).start())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2 ticks");
            assertThatThrownBy(() -> b.electionTimeoutMs(1000).maxPendingRequests(0).start())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPendingRequests");
        } finally {
            network.close();
        }
    }
}
