package io.cohort.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.CohortNode;
import io.cohort.DeleteOptions;
import io.cohort.DeleteResult;
import io.cohort.GetOptions;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.Leases;
import io.cohort.Op;
import io.cohort.OpResult;
import io.cohort.PutOptions;
import io.cohort.PutResult;
import io.cohort.TxnResult;
import io.cohort.Watch;
import io.cohort.WatchCancellation;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.CompactResponse;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.ConformanceReplayTest;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.DeleteRangeResponse;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseList;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.LeaseRevokeResponse;
import io.cohort.mvcc.LeaseTimeToLive;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.PutResponse;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.TxnResponse;
import io.cohort.mvcc.WatchCreated;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import io.cohort.mvcc.WriteRequest;
import io.cohort.testkit.TestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every etcd 3.4 trace (the mvcc module's replayer, {@code conformance.dir}) through the public API against
 * a fresh 3-member {@link TestCluster} per file, sending the requests round-robin to the leader and the two
 * followers; watches are opened through {@link io.cohort.Watcher} on the members in turn. The one step whose request
 * the public API cannot express (an empty txn op) is skipped; every skipped step is listed and checked.
 */
class ReplicatedConformanceTest {
    private static final Map<String, List<String>> SKIPPED = new TreeMap<>();

    @TestFactory
    Stream<DynamicTest> replayEveryTraceThroughAReplicatedGroup() throws IOException {
        Path dir = ConformanceReplayTest.conformanceDir();
        assertThat(dir).as("conformance dir %s (set -Dconformance.dir)", dir.toAbsolutePath()).isDirectory();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        assertThat(files).as("traces in %s", dir.toAbsolutePath()).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(dir.relativize(f).toString(), () -> {
            ClusterReplayer r = new ClusterReplayer(f);
            r.run();
            SKIPPED.put(f.getFileName().toString(), r.skipped());
            for (String s : r.skipped()) {
                assertThat(s).as("only the empty txn op is skipped").contains("empty txn op");
            }
        }));
    }

    @org.junit.jupiter.api.Test
    void theReplicatedReplayDetectsAMismatch(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path src = ConformanceReplayTest.conformanceDir().resolve("scenarios/delete-recreate.jsonl");
        List<String> lines = Files.readAllLines(src);
        int i = 1;
        while (!lines.get(i).contains("\"call\":\"put\"") || !lines.get(i).contains("\"revision\":\"2\"")) {
            i++;
        }
        lines.set(i, lines.get(i).replace("\"revision\":\"2\"", "\"revision\":\"3\""));
        Path tampered = tmp.resolve("tampered.jsonl");
        Files.write(tampered, lines);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ClusterReplayer(tampered).run())
                .isInstanceOf(AssertionError.class).hasMessageContaining("tampered.jsonl step");
    }

    @AfterAll
    static void onlyTheExpectedStepsWereSkipped() {
        long emptyOp = SKIPPED.values().stream().flatMap(List::stream).filter(s -> s.contains("empty txn op")).count();
        if (SKIPPED.containsKey("txn-semantics.jsonl")) {
            assertThat(emptyOp).isEqualTo(1);
        }
    }

    /** The replayer pointed at a 3-member group through the public API. */
    static final class ClusterReplayer extends ConformanceReplayTest.Replayer {
        private List<CohortNode> targets;
        private int next;

        ClusterReplayer(Path file) {
            super(file, null);
        }

        @Override
        public void run() throws IOException {
            try (TestCluster cluster = TestCluster.builder().size(3).tuning(b -> b.quotaBytes(256L << 20)).start()) {
                CohortNode leader = cluster.awaitLeader();
                targets = new ArrayList<>();
                targets.add(leader);
                targets.addAll(cluster.followers());
                runSteps();
                // Every member applied the same history.
                Map<Long, Long> hashes = cluster.awaitConvergedHashes();
                assertThat(hashes.values()).as("keyspace hashes by member %s", hashes).containsOnly(hashes.get(1L));
            }
        }

        private final Map<ConformanceReplayTest.CollectedWatch, Watch> openWatches = new java.util.HashMap<>();

        @Override
        protected WatchCreated openWatch(WatchRequest r, ConformanceReplayTest.CollectedWatch collector) {
            CohortNode member = nextMember();
            // A linearizable read first: the member has then applied every acknowledged write, so its revision at
            // creation is the one etcd reported.
            member.kv().get(KeyRange.key("\0"));
            WatchSpec spec = new WatchSpec(new KeyRange(r.key(), r.rangeEnd()), r.startRevision(), r.prevKv(),
                    r.noPut(), r.noDelete(), false);
            Watch w = member.watcher().watch(spec, listenerPool(), new io.cohort.WatchListener() {
                @Override
                public void onEvents(List<Event> events, long revision) {
                    collector.onResponse(new WatchResponse(collector.watchId(), WatchResponse.Kind.EVENTS, revision,
                            events, ""));
                }

                @Override
                public void onProgress(long revision) {
                    collector.onResponse(new WatchResponse(collector.watchId(), WatchResponse.Kind.PROGRESS, revision,
                            List.of(), ""));
                }

                @Override
                public void onCancelled(WatchCancellation c) {
                    WatchResponse.Kind kind = switch (c.reason()) {
                        case COMPACTED -> WatchResponse.Kind.CANCELLED_COMPACTED;
                        case SLOW_CONSUMER -> WatchResponse.Kind.CANCELLED_SLOW_CONSUMER;
                        case CANCELLED -> WatchResponse.Kind.CANCELLED_BY_REQUEST;
                        case NODE_CLOSED -> WatchResponse.Kind.CANCELLED_CLOSED;
                    };
                    collector.onResponse(new WatchResponse(collector.watchId(), kind, c.resumeRevision(), List.of(),
                            c.message()));
                }
            });
            openWatches.put(collector, w);
            return new WatchCreated(w.id(), w.createdRevision());
        }

        @Override
        protected boolean requestProgress(ConformanceReplayTest.CollectedWatch collector) {
            return openWatches.get(collector).requestProgress();
        }

        @Override
        protected long currentRevision() {
            return targets.get(0).kv().get(KeyRange.key("\0")).revision();
        }

        private CohortNode nextMember() {
            return targets.get(next++ % targets.size());
        }

        @Override
        protected String skipReason(JsonNode step) {
            String call = step.path("call").asText();
            if (call.equals("txn") && hasEmptyOp(step.path("request"))) {
                return "empty txn op (the public API cannot express one; etcd rejects it with 'key not found')";
            }
            return null;
        }

        private static boolean hasEmptyOp(JsonNode txn) {
            for (String branch : List.of("success", "failure")) {
                for (JsonNode op : txn.path(branch)) {
                    if (op.isEmpty() || op.has("request_txn") && hasEmptyOp(op.get("request_txn"))) {
                        return true;
                    }
                }
            }
            return false;
        }

        @Override
        protected Response submit(WriteRequest r) {
            CohortNode node = nextMember();
            if (r instanceof PutRequest p) {
                PutResult res = node.kv().put(p.key(), p.value(), putOptions(p));
                return new PutResponse(res.revision(), res.prevKv());
            } else if (r instanceof DeleteRangeRequest d) {
                DeleteResult res = node.kv().delete(new KeyRange(d.key(), d.rangeEnd()), deleteOptions(d));
                return new DeleteRangeResponse(res.revision(), res.deleted(), res.prevKvs());
            } else if (r instanceof TxnRequest t) {
                return txnResponse(io.cohort.internal.Await.result(node.kv().txnAsync(txn(t))));
            } else if (r instanceof CompactRequest c) {
                return new CompactResponse(node.kv().compact(c.revision()));
            } else if (r instanceof LeaseGrantRequest g) {
                Leases.Grant res = node.leases().grant(g.ttlSeconds(), g.id());
                return new LeaseGrantResponse(res.revision(), res.id(), res.ttlSeconds());
            } else if (r instanceof LeaseRevokeRequest v) {
                return new LeaseRevokeResponse(node.leases().revoke(v.id()));
            }
            throw new AssertionError("unknown request " + r);
        }

        @Override
        protected RangeResponse read(RangeRequest r) {
            GetResult res = nextMember().kv().get(new KeyRange(r.key(), r.rangeEnd()), getOptions(r));
            return new RangeResponse(res.revision(), res.kvs(), res.more(), res.count());
        }

        @Override
        protected LeaseTimeToLive timeToLive(long id, boolean withKeys) {
            Leases.Info i = nextMember().leases().timeToLive(id, withKeys);
            return new LeaseTimeToLive(i.revision(), i.id(), i.ttlSeconds(), i.grantedTtlSeconds(), i.keys());
        }

        @Override
        protected LeaseList leases() {
            Leases.Listing l = nextMember().leases().list();
            return new LeaseList(l.revision(), l.ids());
        }
    }

    // ---------------------------------------------------------------- keyspace request -> public API

    static PutOptions putOptions(PutRequest p) {
        PutOptions o = PutOptions.defaults().withLease(p.lease());
        o = p.prevKv() ? o.withPrevKv() : o;
        o = p.ignoreValue() ? o.withIgnoreValue() : o;
        return p.ignoreLease() ? o.withIgnoreLease() : o;
    }

    static DeleteOptions deleteOptions(DeleteRangeRequest d) {
        return d.prevKv() ? DeleteOptions.defaults().withPrevKv() : DeleteOptions.defaults();
    }

    static GetOptions getOptions(RangeRequest r) {
        GetOptions o = GetOptions.defaults().withLimit(r.limit()).withRevision(r.revision())
                .withSort(GetOptions.SortTarget.valueOf(r.sortTarget().name()),
                        GetOptions.SortOrder.valueOf(r.sortOrder().name()))
                .withModRevisions(r.minModRevision(), r.maxModRevision())
                .withCreateRevisions(r.minCreateRevision(), r.maxCreateRevision());
        o = r.keysOnly() ? o.withKeysOnly() : o;
        return r.countOnly() ? o.withCountOnly() : o;
    }

    static Op.Txn txn(TxnRequest t) {
        List<io.cohort.Compare> when = new ArrayList<>();
        for (Compare c : t.compare()) {
            when.add(compare(c));
        }
        return Op.txn(when, ops(t.success()), ops(t.failure()));
    }

    /**
     * A keyspace compare as the public API expresses it. etcd compares against 0 (or empty bytes) when the operand
     * field set differs from the target (proto3 defaults); the public API states that operand directly.
     */
    static io.cohort.Compare compare(Compare c) {
        boolean operandMatches = c.operandField() == c.target();
        long number = operandMatches ? c.number() : 0;
        Bytes value = operandMatches ? c.value() : Bytes.EMPTY;
        return new io.cohort.Compare(new KeyRange(c.key(), c.rangeEnd()),
                io.cohort.Compare.Target.valueOf(c.target().name()),
                io.cohort.Compare.Operator.valueOf(c.result().name()), number, value);
    }

    static List<Op> ops(List<TxnOp> ops) {
        List<Op> out = new ArrayList<>();
        for (TxnOp op : ops) {
            if (op instanceof PutRequest p) {
                out.add(Op.put(p.key(), p.value(), putOptions(p)));
            } else if (op instanceof RangeRequest g) {
                out.add(Op.get(new KeyRange(g.key(), g.rangeEnd()), getOptions(g)));
            } else if (op instanceof DeleteRangeRequest d) {
                out.add(Op.delete(new KeyRange(d.key(), d.rangeEnd()), deleteOptions(d)));
            } else if (op instanceof TxnRequest t) {
                out.add(txn(t));
            } else {
                throw new AssertionError("an empty op cannot be expressed (skipped by skipReason)");
            }
        }
        return out;
    }

    static TxnResponse txnResponse(TxnResult t) {
        List<Response> rs = new ArrayList<>();
        for (OpResult r : t.results()) {
            if (r instanceof PutResult p) {
                rs.add(new PutResponse(p.revision(), p.prevKv()));
            } else if (r instanceof GetResult g) {
                rs.add(new RangeResponse(g.revision(), g.kvs(), g.more(), g.count()));
            } else if (r instanceof DeleteResult d) {
                rs.add(new DeleteRangeResponse(d.revision(), d.deleted(), d.prevKvs()));
            } else {
                rs.add(txnResponse((TxnResult) r));
            }
        }
        return new TxnResponse(t.revision(), t.succeeded(), rs);
    }
}
