package io.cohort.mvcc;

import java.nio.file.Path;
import java.util.List;

/** Test helpers: short constructors and an applied-index counter around a keyspace. */
final class Ks implements AutoCloseable {
    final Keyspace ks;
    long index;

    Ks(Path dir) {
        this(dir, KeyspaceConfig.defaults());
    }

    Ks(Path dir, KeyspaceConfig cfg) {
        ks = Keyspace.open(dir, cfg);
        index = ks.appliedIndex();
    }

    static Bytes b(String s) {
        return Bytes.ofUtf8(s);
    }

    static final Bytes INF = Bytes.wrap(new byte[] {0});

    ApplyResult apply(WriteRequest r) {
        return ks.apply(++index, r);
    }

    Response ok(WriteRequest r) {
        return apply(r).responseOrThrow();
    }

    PutResponse put(String k, String v) {
        return (PutResponse) ok(PutRequest.of(b(k), b(v)));
    }

    PutResponse put(String k, String v, long lease) {
        return (PutResponse) ok(new PutRequest(b(k), b(v), lease, false, false, false));
    }

    DeleteRangeResponse del(String k) {
        return (DeleteRangeResponse) ok(DeleteRangeRequest.of(b(k)));
    }

    DeleteRangeResponse del(String k, String end) {
        return (DeleteRangeResponse) ok(new DeleteRangeRequest(b(k), b(end), true));
    }

    KeyValue get(String k) {
        List<KeyValue> kvs = ks.range(RangeRequest.key(b(k))).kvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    KeyValue get(String k, long rev) {
        List<KeyValue> kvs = ks.range(RangeRequest.key(b(k)).atRevision(rev)).kvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    List<String> keys(String k, String end, long rev) {
        return ks.range(RangeRequest.of(b(k), end.equals("\0") ? INF : b(end)).atRevision(rev)).kvs().stream()
                .map(kv -> kv.key().toStringUtf8()).toList();
    }

    long grant(long ttl) {
        return ((LeaseGrantResponse) ok(new LeaseGrantRequest(ttl, 0))).id();
    }

    @Override
    public void close() {
        ks.close();
    }
}
