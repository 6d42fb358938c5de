package io.cohort.mvcc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays every etcd 3.4 trace under {@code conformance.dir} (see FORMAT.md) against a fresh keyspace per file and
 * compares every response, error and watch event semantically. Published in the test jar: {@link Replayer} can be
 * pointed at another implementation (the replicated node) by overriding its request hooks.
 */
public class ConformanceReplayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** etcd's gRPC receive limit: max request bytes plus 512 KiB of overhead. */
    private static final long GRPC_OVERHEAD_BYTES = 512 * 1024;

    @TempDir
    Path tmp;

    /**
     * The traces' directory: the {@code conformance.dir} system property, else the workplace's shared folder beside the
     * repository, else the copy of it kept in this module's test resources (so a lone clone runs them too).
     */
    public static Path conformanceDir() {
        String p = System.getProperty("conformance.dir");
        if (p != null && !p.isBlank() && !p.startsWith("${")) {
            return Path.of(p);
        }
        Path shared = Path.of("../../shared/conformance");
        return Files.isDirectory(shared) ? shared : vendoredConformanceDir();
    }

    /** The copy of the shared traces in this module's test resources (a module's working directory is its own). */
    static Path vendoredConformanceDir() {
        return Path.of(System.getProperty("user.dir")).getParent().resolve("mvcc/src/test/resources/conformance");
    }

    @Test
    void theVendoredTracesMatchTheSharedOnes() throws IOException {
        Path shared = Path.of("../../shared/conformance");
        Path vendored = vendoredConformanceDir();
        List<Path> vendoredFiles = relativeFiles(vendored);
        assertThat(vendoredFiles).as("traces in %s", vendored.toAbsolutePath()).isNotEmpty();
        if (!Files.isDirectory(shared)) {
            return; // A lone clone: the vendored copy is all there is to replay.
        }
        assertThat(vendoredFiles).as("files of %s against %s", vendored, shared).isEqualTo(relativeFiles(shared));
        for (Path f : vendoredFiles) {
            assertThat(vendored.resolve(f)).as("%s", f).hasSameBinaryContentAs(shared.resolve(f));
        }
    }

    private static List<Path> relativeFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> replayEveryTrace() throws IOException {
        Path dir = conformanceDir();
        assertThat(dir).as("conformance dir %s", dir.toAbsolutePath()).isDirectory();
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(dir.relativize(f).toString(),
                () -> new Replayer(f, tmp.resolve(f.getFileName().toString() + "-ks")).run()));
    }

    @Test
    void theReplayerDetectsMismatches() throws IOException {
        Path src = conformanceDir().resolve("scenarios/errors.jsonl");
        List<String> lines = Files.readAllLines(src, StandardCharsets.US_ASCII);
        assertThat(lines.get(8)).contains("\"step\":8,").contains("{\"header\":{\"revision\":\"2\"}}");
        List<List<String>> tampered = List.of(
                replace(lines, 8, "{\"header\":{\"revision\":\"2\"}}", "{\"header\":{\"revision\":\"3\"}}"),
                replace(lines, 4, "key is not provided", "key is missing"),
                replace(lines, 10, "\"version\":\"1\"", "\"version\":\"2\""),
                replace(lines, 12, "\"error\":{\"grpcCode\":3,\"message\":\"etcdserver: key not found\"}",
                        "\"response\":{\"header\":{\"revision\":\"3\"}}"));
        int n = 0;
        for (List<String> t : tampered) {
            Path f = tmp.resolve("tampered-" + n + ".jsonl");
            Path ksDir = tmp.resolve("ks-" + n++);
            Files.write(f, t, StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> new Replayer(f, ksDir).run()).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("tampered-");
        }
    }

    private static List<String> replace(List<String> lines, int index, String from, String to) {
        List<String> copy = new ArrayList<>(lines);
        assertThat(copy.get(index)).contains(from);
        copy.set(index, copy.get(index).replace(from, to));
        return copy;
    }

    /** Collects one watch's messages as the real {@link WatchHub} delivers them. */
    public static final class CollectedWatch implements WatchListener {
        final List<Event> events = new ArrayList<>();
        final java.util.concurrent.BlockingQueue<WatchResponse> marks = new java.util.concurrent.LinkedBlockingQueue<>();
        long watchId;
        volatile WatchResponse cancellation;

        /** The ID of the watch feeding this collector. */
        public long watchId() {
            return watchId;
        }

        @Override
        public synchronized void onResponse(WatchResponse r) {
            if (r.kind() == WatchResponse.Kind.EVENTS) {
                events.addAll(r.events());
            } else {
                if (r.cancelled()) {
                    cancellation = r;
                }
                marks.add(r);
            }
        }

        /** Waits until every event up to {@code revision} was delivered (a progress mark), or the watch ended. */
        void awaitDelivered(Replayer replayer, long revision, String where) {
            if (cancellation != null) {
                return;
            }
            // A watch still catching up answers with the revision it has reached so far: ask again until done.
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() - deadline < 0) {
                // False once cancelled: the cancellation is on its way.
                boolean open = replayer.requestProgress(this);
                WatchResponse r;
                try {
                    r = marks.poll(1, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                if (r != null && (r.cancelled() || open && r.revision() >= revision)) {
                    return;
                }
            }
            throw new AssertionError(where + ": the watch did not deliver up to revision " + revision + " within 10 s");
        }

        synchronized List<Event> events() {
            return new ArrayList<>(events);
        }
    }

    /**
     * Replays one trace file step by step. By default against a fresh local keyspace and watch hub; a subclass
     * overrides {@link #run()} (to set up its target, then {@link #runSteps}), {@link #skipReason} and the request
     * hooks {@link #submit}, {@link #read}, {@link #timeToLive} and {@link #leases}.
     */
    public static class Replayer {
        final Path file;
        final Path dataDir;
        final Map<String, Long> bindings = new HashMap<>();
        final Map<String, CollectedWatch> watches = new LinkedHashMap<>();
        WatchHub hub;
        /** Where watch listeners run; shut down at the end of {@link #runSteps}. */
        private final java.util.concurrent.ExecutorService listenerPool = java.util.concurrent.Executors
                .newFixedThreadPool(2, r -> {
                    Thread t = new Thread(r, "conformance-watch-listener");
                    t.setDaemon(true);
                    return t;
                });
        int nextBinding = 1;
        long index;
        Keyspace ks;
        JsonNode step;

        final List<String> skipped = new ArrayList<>();

        /** A replayer of {@code file}; the default target keeps its keyspace in {@code dataDir}. */
        public Replayer(Path file, Path dataDir) {
            this.file = file;
            this.dataDir = dataDir;
        }

        /** Replays the file against a fresh local keyspace and watch hub. */
        public void run() throws IOException {
            KeyspaceConfig cfg = KeyspaceConfig.builder().quotaBytes(256L << 20).compactionBatchRevisions(7).build();
            try (Keyspace k = Keyspace.open(dataDir, cfg);
                 WatchHub h = WatchHub.start(k, WatchHubConfig.defaults(), "conformance-watch")) {
                ks = k;
                hub = h;
                runSteps();
            }
        }

        /** Replays every step of the file against the target set up by {@link #run()}. */
        protected final void runSteps() throws IOException {
            try {
                replaySteps();
            } finally {
                listenerPool.shutdownNow();
            }
        }

        /** The executor watch listeners run on. */
        protected final java.util.concurrent.Executor listenerPool() {
            return listenerPool;
        }

        private void replaySteps() throws IOException {
            List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                step = JSON.readTree(line);
                String reason = skipReason(step);
                if (reason != null) {
                    skipped.add(where() + ": " + reason);
                    continue;
                }
                runStep();
            }
        }

        /** The steps skipped, each with where it is and why. */
        public List<String> skipped() {
            return List.copyOf(skipped);
        }

        /** Why {@code step} cannot be replayed against this target, or null to replay it (the default: all). */
        protected String skipReason(JsonNode step) {
            return null;
        }

        /** Runs a write request; returns its response or throws its {@link KeyspaceException}. */
        protected Response submit(WriteRequest r) {
            long before = ks.currentRevision();
            ApplyResult res = applyLocally(r);
            if (r instanceof TxnRequest && res.events().isEmpty()) {
                assertThat(ks.currentRevision()).as(where()).isEqualTo(before);
            }
            return res.response();
        }

        /** Runs a range read. */
        protected RangeResponse read(RangeRequest r) {
            return ks.range(r);
        }

        /** Reads a lease's time to live. */
        protected LeaseTimeToLive timeToLive(long id, boolean withKeys) {
            return ks.leaseTimeToLive(id, withKeys);
        }

        /** Lists the leases. */
        protected LeaseList leases() {
            return ks.leaseList();
        }



        String where() {
            return file.getFileName() + " step " + step.path("step").asInt() + " (" + step.path("call").asText()
                    + ") note: " + step.path("note").asText();
        }

        void runStep() {
            String call = step.path("call").asText();
            JsonNode req = step.path("request");
            JsonNode expected = step.get("response");
            JsonNode expectedError = step.get("error");
            ObjectNode got;
            try {
                got = execute(call, req);
            } catch (KeyspaceException e) {
                assertThat(expectedError).as("%s: unexpected error %s", where(), e.getMessage()).isNotNull();
                assertThat(e.grpcCode()).as("%s: grpc code (%s)", where(), e.getMessage())
                        .isEqualTo(expectedError.path("grpcCode").asInt());
                if (!"code".equals(step.path("errorMatch").asText())) {
                    assertThat(e.etcdMessage()).as("%s: message", where())
                            .isEqualTo(expectedError.path("message").asText());
                }
                return;
            }
            assertThat(expectedError).as("%s: expected error %s but got %s", where(), expectedError, got).isNull();
            if (call.equals("leaseGrant") && expected.path("ID").asText().startsWith("$lease")) {
                String sym = expected.path("ID").asText();
                assertThat(sym).as(where()).isEqualTo("$lease" + nextBinding);
                long id = got.path("ID").asLong();
                assertThat(id).as("%s: generated lease IDs must be positive", where()).isPositive();
                assertThat(bindings).as("%s: generated lease IDs must be unique", where()).doesNotContainValue(id);
                bindings.put(sym, id);
                nextBinding++;
            }
            ObjectNode want = normalizeExpected(call, expected, got);
            assertThat(got).as("%s%n expected: %s%n actual:   %s", where(), want, got).isEqualTo(want);
        }

        // ---------------------------------------------------------------- execution

        Response write(WriteRequest r) {
            long grpcSize = EncodedSize.grpcMessageBytes(r);
            long grpcLimit = KeyspaceConfig.defaults().maxRequestBytes() + GRPC_OVERHEAD_BYTES;
            if (grpcSize > grpcLimit) {
                throw new GrpcTransportException(grpcSize, grpcLimit);
            }
            return submit(r);
        }

        ApplyResult applyLocally(WriteRequest r) {
            byte[] encoded = CommandCodec.encode(r);
            Command cmd = Command.decode(++index, encoded);
            assertThat(cmd.request()).as("%s: codec round trip", where()).isEqualTo(r);
            ApplyResult res = ks.apply(List.of(cmd)).get(0);
            assertThat(res.status()).as(where()).isNotEqualTo(ApplyResult.Status.SKIPPED);
            if (res.status() == ApplyResult.Status.FAILED) {
                assertThat(res.events()).isEmpty();
                throw res.error();
            }
            hub.publish(List.of(res));
            return res;
        }

        ObjectNode execute(String call, JsonNode req) {
            switch (call) {
                case "put":
                    return putResp((PutResponse) write(put(req)));
                case "range":
                    return rangeResp(read(range(req)));
                case "deleteRange":
                    return deleteResp((DeleteRangeResponse) write(delete(req)));
                case "txn":
                    return txnResp((TxnResponse) write(txn(req)));
                case "compact":
                    return header(write(new CompactRequest(num(req, "revision"))).revision());
                case "leaseGrant": {
                    LeaseGrantResponse g = (LeaseGrantResponse) write(
                            new LeaseGrantRequest(num(req, "TTL"), lease(req.get("ID"))));
                    ObjectNode o = header(g.revision());
                    o.put("ID", g.id());
                    o.put("TTL", g.ttlSeconds());
                    return o;
                }
                case "leaseRevoke":
                    return header(write(new LeaseRevokeRequest(lease(req.get("ID")))).revision());
                case "leaseTimeToLive": {
                    LeaseTimeToLive t = timeToLive(lease(req.get("ID")), req.path("keys").asBoolean());
                    ObjectNode o = header(t.revision());
                    o.put("ID", t.id());
                    o.put("TTL", t.ttlSeconds());
                    o.put("grantedTTL", t.grantedTtlSeconds());
                    o.set("keys", sortedKeys(t.keys().stream().map(ConformanceReplayTest::b64).toList()));
                    return o;
                }
                case "leaseLeases": {
                    LeaseList l = leases();
                    ObjectNode o = header(l.revision());
                    o.set("leases", sortedKeys(l.ids().stream().map(String::valueOf).toList()));
                    return o;
                }
                case "watchOpen":
                    return watchOpen(req.path("create_request"));
                case "watchCollect":
                    return watchCollect(watches.get(step.path("watch").asText()));
                default:
                    throw new AssertionError("unknown call " + call);
            }
        }

        ObjectNode watchOpen(JsonNode cr) {
            List<String> filters = new ArrayList<>();
            cr.path("filters").forEach(n -> filters.add(n.asText()));
            WatchRequest r = new WatchRequest(bytes(cr, "key"), bytes(cr, "range_end"), num(cr, "start_revision"),
                    cr.path("prev_kv").asBoolean(), filters.contains("NOPUT"), filters.contains("NODELETE"), false);
            CollectedWatch w = new CollectedWatch();
            WatchCreated created;
            synchronized (w) {
                created = openWatch(r, w);
                w.watchId = created.watchId();
            }
            // The recorder waited for etcd's creation response, by which time etcd's catch-up had run: wait until
            // this watch has delivered everything up to now (a progress mark), so later compactions find it synced.
            w.awaitDelivered(this, created.revision(), where());
            watches.put(step.path("watch").asText(), w);
            ObjectNode o = header(created.revision());
            o.put("created", true);
            return o;
        }

        /** Opens a watch whose messages go to {@code listener}; the default target uses the local watch hub. */
        protected WatchCreated openWatch(WatchRequest r, CollectedWatch listener) {
            return hub.watch(r, listenerPool, listener);
        }

        /** Asks for a progress notification on a watch opened by {@link #openWatch}; false if it has ended. */
        protected boolean requestProgress(CollectedWatch w) {
            return hub.requestProgress(w.watchId);
        }

        /** The target's current revision (every acknowledged write is at or below it). */
        protected long currentRevision() {
            return ks.currentRevision();
        }

        ObjectNode watchCollect(CollectedWatch w) {
            assertThat(w).as(where()).isNotNull();
            w.awaitDelivered(this, currentRevision(), where());
            ObjectNode o = F.objectNode();
            ArrayNode evs = o.putArray("events");
            for (Event e : w.events()) {
                evs.add(event(e));
            }
            WatchResponse c = w.cancellation;
            o.put("canceled", c != null);
            o.put("compact_revision", c != null && c.kind() == WatchResponse.Kind.CANCELLED_COMPACTED ? c.revision() : 0);
            return o;
        }

        // ---------------------------------------------------------------- requests

        long lease(JsonNode n) {
            if (n == null || n.isNull()) {
                return 0;
            }
            String s = n.asText();
            if (s.startsWith("$lease")) {
                Long id = bindings.get(s);
                assertThat(id).as("%s: unbound %s", where(), s).isNotNull();
                return id;
            }
            return Long.parseLong(s);
        }

        PutRequest put(JsonNode r) {
            return new PutRequest(bytes(r, "key"), bytes(r, "value"), lease(r.get("lease")), r.path("prev_kv").asBoolean(),
                    r.path("ignore_value").asBoolean(), r.path("ignore_lease").asBoolean());
        }

        RangeRequest range(JsonNode r) {
            return new RangeRequest(bytes(r, "key"), bytes(r, "range_end"), num(r, "limit"), num(r, "revision"),
                    RangeRequest.SortOrder.valueOf(r.path("sort_order").asText("NONE")),
                    RangeRequest.SortTarget.valueOf(r.path("sort_target").asText("KEY")), r.path("keys_only").asBoolean(),
                    r.path("count_only").asBoolean(), num(r, "min_mod_revision"), num(r, "max_mod_revision"),
                    num(r, "min_create_revision"), num(r, "max_create_revision"));
        }

        DeleteRangeRequest delete(JsonNode r) {
            return new DeleteRangeRequest(bytes(r, "key"), bytes(r, "range_end"), r.path("prev_kv").asBoolean());
        }

        TxnRequest txn(JsonNode r) {
            List<Compare> cs = new ArrayList<>();
            for (JsonNode c : r.path("compare")) {
                Compare.Target target = Compare.Target.valueOf(c.path("target").asText("VERSION"));
                Compare.Result result = Compare.Result.valueOf(c.path("result").asText("EQUAL"));
                Compare.Target operand = null;
                long number = 0;
                Bytes value = Bytes.EMPTY;
                if (c.has("version")) {
                    operand = Compare.Target.VERSION;
                    number = num(c, "version");
                } else if (c.has("create_revision")) {
                    operand = Compare.Target.CREATE;
                    number = num(c, "create_revision");
                } else if (c.has("mod_revision")) {
                    operand = Compare.Target.MOD;
                    number = num(c, "mod_revision");
                } else if (c.has("value")) {
                    operand = Compare.Target.VALUE;
                    value = bytes(c, "value");
                } else if (c.has("lease")) {
                    operand = Compare.Target.LEASE;
                    number = lease(c.get("lease"));
                }
                cs.add(new Compare(bytes(c, "key"), bytes(c, "range_end"), target, result, operand, number, value));
            }
            return new TxnRequest(cs, ops(r.path("success")), ops(r.path("failure")));
        }

        List<TxnOp> ops(JsonNode list) {
            List<TxnOp> ops = new ArrayList<>();
            for (JsonNode op : list) {
                if (op.has("request_range")) {
                    ops.add(range(op.get("request_range")));
                } else if (op.has("request_put")) {
                    ops.add(put(op.get("request_put")));
                } else if (op.has("request_delete_range")) {
                    ops.add(delete(op.get("request_delete_range")));
                } else if (op.has("request_txn")) {
                    ops.add(txn(op.get("request_txn")));
                } else {
                    ops.add(TxnOp.EMPTY);
                }
            }
            return ops;
        }

        // ---------------------------------------------------------------- actual -> canonical JSON

        ObjectNode putResp(PutResponse p) {
            ObjectNode o = header(p.revision());
            o.set("prev_kv", p.prevKv() == null ? F.nullNode() : kv(p.prevKv()));
            return o;
        }

        ObjectNode rangeResp(RangeResponse r) {
            ObjectNode o = header(r.revision());
            ArrayNode kvs = o.putArray("kvs");
            r.kvs().forEach(kv -> kvs.add(kv(kv)));
            o.put("count", r.count());
            o.put("more", r.more());
            return o;
        }

        ObjectNode deleteResp(DeleteRangeResponse d) {
            ObjectNode o = header(d.revision());
            o.put("deleted", d.deleted());
            ArrayNode kvs = o.putArray("prev_kvs");
            d.prevKvs().forEach(kv -> kvs.add(kv(kv)));
            return o;
        }

        ObjectNode txnResp(TxnResponse t) {
            ObjectNode o = header(t.revision());
            o.put("succeeded", t.succeeded());
            ArrayNode rs = o.putArray("responses");
            for (Response r : t.responses()) {
                ObjectNode w = F.objectNode();
                if (r instanceof RangeResponse) {
                    w.set("response_range", rangeResp((RangeResponse) r));
                } else if (r instanceof PutResponse) {
                    w.set("response_put", putResp((PutResponse) r));
                } else if (r instanceof DeleteRangeResponse) {
                    w.set("response_delete_range", deleteResp((DeleteRangeResponse) r));
                } else {
                    w.set("response_txn", txnResp((TxnResponse) r));
                }
                rs.add(w);
            }
            return o;
        }

        ObjectNode event(Event e) {
            ObjectNode o = F.objectNode();
            o.put("type", e.type().name());
            o.set("kv", kv(e.kv()));
            o.set("prev_kv", e.prevKv() == null ? F.nullNode() : kv(e.prevKv()));
            return o;
        }

        // ---------------------------------------------------------------- expected -> canonical JSON

        ObjectNode normalizeExpected(String call, JsonNode e, ObjectNode got) {
            switch (call) {
                case "put": {
                    ObjectNode o = expHeader(e);
                    o.set("prev_kv", e.has("prev_kv") ? expKv(e.get("prev_kv")) : F.nullNode());
                    return o;
                }
                case "range":
                    return expRange(e);
                case "deleteRange":
                    return expDelete(e);
                case "txn":
                    return expTxn(e);
                case "compact":
                case "leaseRevoke":
                    return expHeader(e);
                case "leaseGrant": {
                    ObjectNode o = expHeader(e);
                    o.put("ID", lease(e.get("ID")));
                    o.put("TTL", num(e, "TTL"));
                    return o;
                }
                case "leaseTimeToLive": {
                    ObjectNode o = expHeader(e);
                    o.put("ID", lease(e.get("ID")));
                    String ttl = e.path("TTL").asText("0");
                    if (ttl.equals("<ignored>")) {
                        long actual = got.path("TTL").asLong();
                        assertThat(actual).as("%s: remaining TTL", where()).isPositive()
                                .isLessThanOrEqualTo(num(e, "grantedTTL"));
                        o.put("TTL", actual);
                    } else {
                        o.put("TTL", Long.parseLong(ttl));
                    }
                    o.put("grantedTTL", num(e, "grantedTTL"));
                    List<String> keys = new ArrayList<>();
                    e.path("keys").forEach(k -> keys.add(k.asText()));
                    o.set("keys", sortedKeys(keys));
                    return o;
                }
                case "leaseLeases": {
                    ObjectNode o = expHeader(e);
                    List<String> ids = new ArrayList<>();
                    e.path("leases").forEach(l -> ids.add(String.valueOf(lease(l.get("ID")))));
                    o.set("leases", sortedKeys(ids));
                    return o;
                }
                case "watchOpen": {
                    ObjectNode o = expHeader(e);
                    o.put("created", e.path("created").asBoolean());
                    return o;
                }
                case "watchCollect": {
                    ObjectNode o = F.objectNode();
                    ArrayNode evs = o.putArray("events");
                    for (JsonNode ev : e.path("events")) {
                        ObjectNode x = F.objectNode();
                        x.put("type", ev.path("type").asText("PUT"));
                        x.set("kv", expKv(ev.path("kv")));
                        x.set("prev_kv", ev.has("prev_kv") ? expKv(ev.get("prev_kv")) : F.nullNode());
                        evs.add(x);
                    }
                    o.put("canceled", e.path("canceled").asBoolean());
                    o.put("compact_revision", num(e, "compact_revision"));
                    return o;
                }
                default:
                    throw new AssertionError(call);
            }
        }

        ObjectNode expRange(JsonNode e) {
            ObjectNode o = expHeader(e);
            ArrayNode kvs = o.putArray("kvs");
            e.path("kvs").forEach(kv -> kvs.add(expKv(kv)));
            o.put("count", num(e, "count"));
            o.put("more", e.path("more").asBoolean());
            return o;
        }

        ObjectNode expDelete(JsonNode e) {
            ObjectNode o = expHeader(e);
            o.put("deleted", num(e, "deleted"));
            ArrayNode kvs = o.putArray("prev_kvs");
            e.path("prev_kvs").forEach(kv -> kvs.add(expKv(kv)));
            return o;
        }

        ObjectNode expTxn(JsonNode e) {
            ObjectNode o = expHeader(e);
            o.put("succeeded", e.path("succeeded").asBoolean());
            ArrayNode rs = o.putArray("responses");
            for (JsonNode r : e.path("responses")) {
                ObjectNode w = F.objectNode();
                if (r.has("response_range")) {
                    w.set("response_range", expRange(r.get("response_range")));
                } else if (r.has("response_put")) {
                    JsonNode p = r.get("response_put");
                    ObjectNode x = expHeader(p);
                    x.set("prev_kv", p.has("prev_kv") ? expKv(p.get("prev_kv")) : F.nullNode());
                    w.set("response_put", x);
                } else if (r.has("response_delete_range")) {
                    w.set("response_delete_range", expDelete(r.get("response_delete_range")));
                } else {
                    w.set("response_txn", expTxn(r.get("response_txn")));
                }
                rs.add(w);
            }
            return o;
        }

        ObjectNode expHeader(JsonNode e) {
            return header(num(e.path("header"), "revision"));
        }

        ObjectNode expKv(JsonNode kv) {
            ObjectNode o = F.objectNode();
            o.put("key", kv.path("key").asText(""));
            o.put("create_revision", num(kv, "create_revision"));
            o.put("mod_revision", num(kv, "mod_revision"));
            o.put("version", num(kv, "version"));
            o.put("value", kv.path("value").asText(""));
            o.put("lease", lease(kv.get("lease")));
            return o;
        }
    }

    // ---------------------------------------------------------------- helpers

    static ObjectNode header(long revision) {
        ObjectNode o = F.objectNode();
        o.put("revision", revision);
        return o;
    }

    static ObjectNode kv(KeyValue kv) {
        ObjectNode o = F.objectNode();
        o.put("key", b64(kv.key()));
        o.put("create_revision", kv.createRevision());
        o.put("mod_revision", kv.modRevision());
        o.put("version", kv.version());
        o.put("value", b64(kv.value()));
        o.put("lease", kv.lease());
        return o;
    }

    static ArrayNode sortedKeys(List<String> items) {
        ArrayNode a = F.arrayNode();
        items.stream().sorted().forEach(a::add);
        return a;
    }

    static String b64(Bytes b) {
        return Base64.getEncoder().encodeToString(b.toByteArray());
    }

    static long num(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? 0 : Long.parseLong(v.asText());
    }

    static Bytes bytes(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return Bytes.EMPTY;
        }
        String s = v.asText();
        if (s.startsWith("$fill:")) {
            String[] parts = s.split(":");
            byte[] b = new byte[Integer.parseInt(parts[2])];
            Arrays.fill(b, (byte) Integer.parseInt(parts[1], 16));
            return Bytes.wrap(b);
        }
        return Bytes.wrap(Base64.getDecoder().decode(s));
    }

    /** The gRPC layer's receive limit, which etcd enforces before the request reaches the server. */
    static final class GrpcTransportException extends KeyspaceException {
        private static final long serialVersionUID = 1L;

        GrpcTransportException(long size, long limit) {
            super(ErrorCode.REQUEST_TOO_LARGE, size + " vs. " + limit);
        }

        @Override
        public int grpcCode() {
            return 8;
        }

        @Override
        public String etcdMessage() {
            return getMessage();
        }
    }
}
