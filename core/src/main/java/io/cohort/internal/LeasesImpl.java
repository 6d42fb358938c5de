package io.cohort.internal;

import io.cohort.Leases;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseList;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.LeaseTimeToLive;
import java.util.concurrent.CompletableFuture;

/** The {@link Leases} of a node: grants and revokes through Raft, reads (linearizable) from the local keyspace. */
public final class LeasesImpl implements Leases {
    private final NodeCore node;

    /** The leases served by {@code node}. */
    public LeasesImpl(NodeCore node) {
        this.node = node;
    }

    @Override
    public CompletableFuture<Grant> grantAsync(long ttlSeconds, long id) {
        return node.write(new LeaseGrantRequest(ttlSeconds, id)).thenApply(r -> {
            LeaseGrantResponse g = (LeaseGrantResponse) r;
            return new Grant(g.id(), g.ttlSeconds(), g.revision());
        });
    }

    @Override
    public CompletableFuture<Long> revokeAsync(long id) {
        return node.write(new LeaseRevokeRequest(id)).thenApply(r -> r.revision());
    }

    @Override
    public CompletableFuture<Info> timeToLiveAsync(long id, boolean withKeys) {
        return node.read(false, ks -> {
            LeaseTimeToLive t = ks.leaseTimeToLive(id, withKeys);
            return new Info(t.id(), t.ttlSeconds(), t.grantedTtlSeconds(), t.keys(), t.revision());
        });
    }

    @Override
    public CompletableFuture<Listing> listAsync() {
        return node.read(false, ks -> {
            LeaseList l = ks.leaseList();
            return new Listing(l.ids(), l.revision());
        });
    }
}
