package io.cohort.benchmarks.etcd;

import io.cohort.benchmarks.load.Target;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * etcd through jetcd: {@code clients} {@link Client}s (one gRPC channel each; requests spread over them by key) to
 * the etcd leader's client URL, found at start from the member list and a status call, so both systems are driven
 * on their leader.
 */
public final class EtcdTarget implements Target {
    private static final String MAIN_PREFIX = "bench/key/";
    private static final String WATCH_PREFIX = "bench/watch/";

    private final Client[] clients;
    private final KV[] kvs;
    private final Watch watchClient;
    private final String endpoint;
    private final GetOption linearizable = GetOption.builder().withSerializable(false).build();
    private final GetOption serializable = GetOption.builder().withSerializable(true).build();
    private ByteSequence[] keys;
    private ByteSequence[] watchedKeys;

    private EtcdTarget(Client[] clients, String endpoint) {
        this.clients = clients;
        this.kvs = new KV[clients.length];
        for (int i = 0; i < clients.length; i++) {
            kvs[i] = clients[i].getKVClient();
        }
        this.watchClient = clients[0].getWatchClient();
        this.endpoint = endpoint;
    }

    /** Connects {@code clients} jetcd clients to the leader of the cluster reachable at {@code endpoints}. */
    public static EtcdTarget connectToLeader(List<String> endpoints, int clients) throws Exception {
        if (clients < 1 || clients > 64) {
            throw new IllegalArgumentException("etcd clients must be in [1, 64], got " + clients);
        }
        String leaderEndpoint;
        try (Client any = Client.builder().endpoints(endpoints.toArray(String[]::new)).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            leaderEndpoint = null;
            while (leaderEndpoint == null) {
                StatusResponse status = any.getMaintenanceClient().statusMember(endpoints.get(0)).get(10,
                        TimeUnit.SECONDS);
                long leader = status.getLeader();
                for (Member m : any.getClusterClient().listMember().get(10, TimeUnit.SECONDS).getMembers()) {
                    if (leader != 0 && m.getId() == leader && !m.getClientURIs().isEmpty()) {
                        leaderEndpoint = m.getClientURIs().get(0).toString();
                    }
                }
                if (leaderEndpoint == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("etcd at " + endpoints + " has no leader after 30 s");
                    }
                    Thread.sleep(100);
                }
            }
        }
        Client[] connected = new Client[clients];
        for (int i = 0; i < clients; i++) {
            connected[i] = Client.builder().endpoints(leaderEndpoint).build();
        }
        return new EtcdTarget(connected, leaderEndpoint);
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public void prepare(int keyCount, byte[] value) throws Exception {
        keys = new ByteSequence[keyCount];
        watchedKeys = new ByteSequence[keyCount];
        for (int i = 0; i < keyCount; i++) {
            keys[i] = ByteSequence.from(String.format("%s%08d", MAIN_PREFIX, i), StandardCharsets.UTF_8);
            watchedKeys[i] = ByteSequence.from(String.format("%s%08d", WATCH_PREFIX, i), StandardCharsets.UTF_8);
        }
        Target.preload(this, keyCount, value);
    }

    @Override
    public CompletableFuture<?> putAsync(int keyIndex, byte[] value) {
        return kv(keyIndex).put(keys[keyIndex], ByteSequence.from(value));
    }

    private KV kv(int keyIndex) {
        return kvs[keyIndex % kvs.length];
    }

    @Override
    public CompletableFuture<?> rangeAsync(int keyIndex, boolean linearizableRead) {
        return kv(keyIndex).get(keys[keyIndex], linearizableRead ? linearizable : serializable);
    }

    @Override
    public CompletableFuture<Boolean> casAsync(int keyIndex, byte[] expected, byte[] value) {
        ByteSequence k = keys[keyIndex];
        return kv(keyIndex).txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(expected))))
                .Then(Op.put(k, ByteSequence.from(value), PutOption.DEFAULT))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit()
                .thenApply(r -> r.isSucceeded());
    }

    @Override
    public CompletableFuture<?> putWatchedAsync(int keyIndex, byte[] value) {
        return kv(keyIndex).put(watchedKeys[keyIndex], ByteSequence.from(value));
    }

    @Override
    public AutoCloseable watch(EventSink sink) {
        ByteSequence prefix = ByteSequence.from(WATCH_PREFIX, StandardCharsets.UTF_8);
        Watch.Watcher w = watchClient.watch(prefix, WatchOption.builder().isPrefix(true).build(), response -> {
            for (WatchEvent e : response.getEvents()) {
                if (e.getEventType() == WatchEvent.EventType.PUT) {
                    byte[] v = e.getKeyValue().getValue().getBytes();
                    long stamp = 0;
                    for (int b = 0; b < Long.BYTES; b++) {
                        stamp = (stamp << 8) | (v[b] & 0xFF);
                    }
                    sink.onEvent(stamp);
                }
            }
        });
        return w::close;
    }

    @Override
    public String describe() {
        return "etcd leader at " + endpoint + " through jetcd (" + clients.length + " client(s), one gRPC channel each)";
    }

    @Override
    public void close() {
        for (Client c : clients) {
            c.close();
        }
    }
}
