package io.cohort.examples;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Command;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.Keyspace;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.KeyspaceException;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.TxnResponse;
import io.cohort.mvcc.WriteRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo: opens a keyspace, writes a few keys, runs a compare-and-swap transaction, and reads
 * history back — the etcd revision model on one node. (It grows into the three-node cluster demo
 * once the replicated node lands.)
 */
public final class Demo {
    private static long appliedIndex;

    private Demo() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("cohort-demo");
        say("Opening a Cohort keyspace in " + dir);
        try (Keyspace keyspace = Keyspace.open(dir, KeyspaceConfig.defaults())) {
            say("A fresh keyspace starts at revision " + keyspace.currentRevision() + ".");

            say("\n1. Writes. Every write makes a new revision of the whole keyspace:");
            apply(keyspace, PutRequest.of(utf8("config/checkout/timeout-ms"), utf8("2500")));
            apply(keyspace, PutRequest.of(utf8("config/checkout/retries"), utf8("3")));
            apply(keyspace, PutRequest.of(utf8("config/checkout/timeout-ms"), utf8("4000")));
            show(keyspace.range(RangeRequest.of(utf8("config/"), prefixEnd("config/"))), "all keys under config/");

            say("\n2. A transaction: raise timeout-ms to 5000 only if nobody changed it since revision 4.");
            TxnResponse won = (TxnResponse) apply(keyspace, casTimeout(4, "5000"));
            say("   compare mod_revision == 4 -> " + (won.succeeded() ? "succeeded, the put ran" : "failed"));
            TxnResponse lost = (TxnResponse) apply(keyspace, casTimeout(4, "6000"));
            say("   the same txn again -> " + (lost.succeeded() ? "succeeded" : "failed: the key moved on to revision "
                    + keyspace.range(RangeRequest.key(utf8("config/checkout/timeout-ms"))).kvs().get(0).modRevision()));

            say("\n3. History. Past revisions stay readable until compacted:");
            for (long revision = 2; revision <= keyspace.currentRevision(); revision++) {
                RangeResponse r = keyspace.range(RangeRequest.key(utf8("config/checkout/timeout-ms")).atRevision(revision));
                say("   at revision " + revision + ": timeout-ms = "
                        + (r.kvs().isEmpty() ? "(absent)" : r.kvs().get(0).value().toStringUtf8()));
            }
            say("   the events a watcher from revision 1 would receive:");
            for (Event e : keyspace.history(1, utf8("config/"), prefixEnd("config/"), true, 100)) {
                say("     rev " + e.kv().modRevision() + " " + e.type() + " " + e.kv().key().toStringUtf8() + " = "
                        + e.kv().value().toStringUtf8()
                        + (e.prevKv() == null ? "" : " (was " + e.prevKv().value().toStringUtf8() + ")"));
            }

            say("\n4. Compaction at revision 4 drops older history:");
            apply(keyspace, new CompactRequest(4));
            try {
                keyspace.range(RangeRequest.key(utf8("config/checkout/timeout-ms")).atRevision(3));
            } catch (KeyspaceException e) {
                say("   reading revision 3 now fails: " + e.getMessage());
            }
            say("   the keyspace hash at revision " + keyspace.currentRevision() + " is "
                    + Long.toHexString(keyspace.hash(0)) + " (replicas compare these)");
        } finally {
            deleteRecursively(dir);
        }
        say("\nDone.");
    }

    private static TxnRequest casTimeout(long expectedModRevision, String value) {
        Bytes key = utf8("config/checkout/timeout-ms");
        return new TxnRequest(
                List.of(Compare.number(key, Compare.Target.MOD, Compare.Result.EQUAL, expectedModRevision)),
                List.of(PutRequest.of(key, utf8(value))),
                List.of(RangeRequest.key(key)));
    }

    private static Response apply(Keyspace keyspace, WriteRequest request) {
        Response response = keyspace.apply(List.of(new Command(++appliedIndex, request))).get(0).responseOrThrow();
        say("   applied " + describe(request) + " -> revision " + response.revision());
        return response;
    }

    private static String describe(WriteRequest request) {
        if (request instanceof PutRequest) {
            PutRequest p = (PutRequest) request;
            return "put " + p.key().toStringUtf8() + "=" + p.value().toStringUtf8();
        }
        return request.getClass().getSimpleName().replace("Request", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static void show(RangeResponse r, String what) {
        say("   " + what + " at revision " + r.revision() + ":");
        for (KeyValue kv : r.kvs()) {
            say("     " + kv.key().toStringUtf8() + " = " + kv.value().toStringUtf8() + "  (created at "
                    + kv.createRevision() + ", modified at " + kv.modRevision() + ", version " + kv.version() + ")");
        }
    }

    private static Bytes utf8(String s) {
        return Bytes.ofUtf8(s);
    }

    /** The end of the range holding every key that starts with {@code prefix}. */
    private static Bytes prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        end[end.length - 1]++;
        return Bytes.wrap(end);
    }

    private static void say(String line) {
        System.out.println(line);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
