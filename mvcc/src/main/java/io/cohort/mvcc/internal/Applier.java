package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.CompactResponse;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.DeleteRangeResponse;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.InvalidRequestException;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseCheckpointResponse;
import io.cohort.mvcc.LeaseExistsException;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseGrantResponse;
import io.cohort.mvcc.LeaseNotFoundException;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.LeaseRevokeResponse;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.PutResponse;
import io.cohort.mvcc.QuotaExceededException;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.RevisionException;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.TxnResponse;
import io.cohort.mvcc.WriteRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies one write request to a {@link WriteBatch} with etcd 3.4's semantics (its {@code applierV3backend}).
 * Every check that can fail runs before the first write, so a failed request changes nothing.
 */
final class Applier {
    private final KeyspaceConfig config;
    private final WriteBatch b;
    private final long usedBytesAtStart;
    State state;
    /** Lease IDs granted or revoked in this command (for the in-memory expiry table). */
    final List<Long> granted = new ArrayList<>();
    final List<Long> revoked = new ArrayList<>();

    Applier(KeyspaceConfig config, WriteBatch batch, State state, long usedBytesAtStart) {
        this.config = config;
        this.b = batch;
        this.state = state;
        this.usedBytesAtStart = usedBytesAtStart;
    }

    /** Applies {@code r} at {@code appliedIndex}; returns the response and updates {@link #state}. */
    Response apply(long appliedIndex, WriteRequest r) {
        b.begin(state.revision());
        Validation.check(r, config, b.store.maxKeyBytes);
        Response resp;
        if (r instanceof PutRequest) {
            PutRequest p = (PutRequest) r;
            checkQuota(p.key().size() + p.value().size());
            if (p.lease() != 0 && !b.view.leaseExists(p.lease())) {
                throw new LeaseNotFoundException(ErrorCode.LEASE_NOT_FOUND, "lease " + p.lease());
            }
            resp = put(p);
        } else if (r instanceof DeleteRangeRequest) {
            resp = deleteRange((DeleteRangeRequest) r);
        } else if (r instanceof TxnRequest) {
            resp = txn((TxnRequest) r);
        } else if (r instanceof CompactRequest) {
            resp = compact((CompactRequest) r);
        } else if (r instanceof LeaseGrantRequest) {
            resp = grant((LeaseGrantRequest) r, appliedIndex);
        } else if (r instanceof LeaseRevokeRequest) {
            resp = revoke((LeaseRevokeRequest) r);
        } else {
            resp = checkpoint((LeaseCheckpointRequest) r);
        }
        long rev = state.revision() + (b.changes > 0 ? 1 : 0);
        state = state.withApplied(appliedIndex, rev);
        return resp;
    }

    private void checkQuota(long costBytes) {
        long used = usedBytesAtStart + b.writtenBytes;
        if (used + costBytes > config.quotaBytes()) {
            throw new QuotaExceededException(ErrorCode.NO_SPACE, "backend uses about " + used + " bytes, a write of "
                    + costBytes + " bytes would exceed the quota of " + config.quotaBytes() + " bytes");
        }
    }

    private PutResponse put(PutRequest p) {
        KeyValue prev = null;
        Bytes value = p.value();
        long lease = p.lease();
        if (p.ignoreValue() || p.ignoreLease() || p.prevKv()) {
            prev = b.view.get(p.key(), b.readRev(), false);
        }
        if (p.ignoreValue() || p.ignoreLease()) {
            if (prev == null) {
                throw new InvalidRequestException(ErrorCode.KEY_NOT_FOUND, "key " + p.key());
            }
            if (p.ignoreValue()) {
                value = prev.value();
            }
            if (p.ignoreLease()) {
                lease = prev.lease();
            }
        }
        long rev = b.put(p.key(), value, lease);
        return new PutResponse(rev, p.prevKv() ? prev : null);
    }

    private DeleteRangeResponse deleteRange(DeleteRangeRequest d) {
        List<KeyValue> prev = new ArrayList<>();
        if (d.prevKv()) {
            b.view.range(d.key(), d.rangeEnd(), b.readRev(), 0, false, false, prev);
        }
        long n = b.deleteRange(d.key(), d.rangeEnd());
        long rev = (n != 0 || b.changes > 0) ? b.beginRev + 1 : b.beginRev;
        return new DeleteRangeResponse(rev, n, prev);
    }

    private CompactResponse compact(CompactRequest c) {
        long rev = c.revision();
        if (rev <= state.compactedRevision()) {
            throw new RevisionException(ErrorCode.COMPACTED,
                    "revision " + rev + " <= compacted revision " + state.compactedRevision());
        }
        if (rev > state.revision()) {
            throw new RevisionException(ErrorCode.FUTURE_REVISION,
                    "revision " + rev + " > current revision " + state.revision());
        }
        state = state.withCompacted(rev);
        return new CompactResponse(state.revision());
    }

    private LeaseGrantResponse grant(LeaseGrantRequest g, long appliedIndex) {
        checkQuota(64);
        long id = g.id();
        if (id == 0) {
            id = generateId(appliedIndex);
        }
        if (g.ttlSeconds() > KeyspaceConfig.MAX_LEASE_TTL_SECONDS) {
            throw new RevisionException(ErrorCode.LEASE_TTL_TOO_LARGE,
                    "TTL " + g.ttlSeconds() + " s > " + KeyspaceConfig.MAX_LEASE_TTL_SECONDS + " s");
        }
        if (b.view.leaseExists(id)) {
            throw new LeaseExistsException(ErrorCode.LEASE_EXISTS, "lease " + id);
        }
        long ttl = Math.max(g.ttlSeconds(), config.minLeaseTtlSeconds());
        b.grantLease(id, ttl);
        granted.add(id);
        return new LeaseGrantResponse(state.revision(), id, ttl);
    }

    /** A positive lease ID derived from the applied index: the same on every replica. */
    private long generateId(long appliedIndex) {
        for (long attempt = 0; ; attempt++) {
            long z = appliedIndex * 0x9E3779B97F4A7C15L + attempt * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = (z ^ (z >>> 31)) & Long.MAX_VALUE;
            if (z != 0 && !b.view.leaseExists(z)) {
                return z;
            }
        }
    }

    private LeaseCheckpointResponse checkpoint(LeaseCheckpointRequest r) {
        int n = 0;
        for (LeaseCheckpointRequest.Checkpoint cp : r.checkpoints()) {
            if (b.checkpointLease(cp.id(), cp.remainingTtlSeconds())) {
                n++;
            }
        }
        return new LeaseCheckpointResponse(state.revision(), n);
    }

    private LeaseRevokeResponse revoke(LeaseRevokeRequest r) {
        if (!b.view.leaseExists(r.id())) {
            throw new LeaseNotFoundException(ErrorCode.LEASE_NOT_FOUND, "lease " + r.id());
        }
        for (Bytes key : Leases.keys(b.store, b.txn, r.id())) {
            b.delete(key);
        }
        b.removeLease(r.id());
        revoked.add(r.id());
        return new LeaseRevokeResponse(state.revision() + (b.changes > 0 ? 1 : 0));
    }

    // ---- txn (etcd's apply.go Txn) ----

    private TxnResponse txn(TxnRequest rt) {
        long beginRev = b.beginRev;
        List<Boolean> path = new ArrayList<>();
        compareToPath(rt, path);
        if (!rt.isReadOnly()) {
            checkQuota(ProtoSize.txn(rt));
        }
        int[] pos = {0};
        checkRequests(rt, path, pos, true);
        pos[0] = 0;
        checkRequests(rt, path, pos, false);
        pos[0] = 0;
        TxnResponse nested = applyTxn(rt, path, pos);
        long rev = beginRev + (b.changes > 0 ? 1 : 0);
        return new TxnResponse(rev, nested.succeeded(), nested.responses());
    }

    private void compareToPath(TxnRequest rt, List<Boolean> path) {
        boolean ok = true;
        for (Compare c : rt.compare()) {
            if (!applyCompare(c)) {
                ok = false;
                break;
            }
        }
        path.add(ok);
        for (TxnOp op : ok ? rt.success() : rt.failure()) {
            if (op instanceof TxnRequest) {
                compareToPath((TxnRequest) op, path);
            }
        }
    }

    private boolean applyCompare(Compare c) {
        List<KeyValue> kvs = new ArrayList<>();
        b.view.range(c.key(), c.rangeEnd(), b.readRev(), 0, false, false, kvs);
        if (kvs.isEmpty()) {
            if (c.target() == Compare.Target.VALUE) {
                return false;
            }
            return compareKv(c, new KeyValue(c.key(), 0, 0, 0, Bytes.EMPTY, 0));
        }
        for (KeyValue kv : kvs) {
            if (!compareKv(c, kv)) {
                return false;
            }
        }
        return true;
    }

    private static boolean compareKv(Compare c, KeyValue kv) {
        boolean operandSet = c.operandField() == c.target();
        int result;
        switch (c.target()) {
            case VALUE:
                result = kv.value().compareTo(operandSet ? c.value() : Bytes.EMPTY);
                break;
            case CREATE:
                result = Long.compare(kv.createRevision(), operandSet ? c.number() : 0);
                break;
            case MOD:
                result = Long.compare(kv.modRevision(), operandSet ? c.number() : 0);
                break;
            case VERSION:
                result = Long.compare(kv.version(), operandSet ? c.number() : 0);
                break;
            default:
                result = Long.compare(kv.lease(), operandSet ? c.number() : 0);
                break;
        }
        switch (c.result()) {
            case EQUAL:
                return result == 0;
            case NOT_EQUAL:
                return result != 0;
            case GREATER:
                return result > 0;
            default:
                return result < 0;
        }
    }

    /** etcd's checkRequests with checkPut ({@code puts}) or checkRange, along the taken path. */
    private void checkRequests(TxnRequest rt, List<Boolean> path, int[] pos, boolean puts) {
        boolean ok = path.get(pos[0]++);
        for (TxnOp op : ok ? rt.success() : rt.failure()) {
            if (op instanceof TxnRequest) {
                checkRequests((TxnRequest) op, path, pos, puts);
            } else if (puts && op instanceof PutRequest) {
                PutRequest p = (PutRequest) op;
                if (p.ignoreValue() || p.ignoreLease()) {
                    if (b.view.get(p.key(), b.beginRev, true) == null) {
                        throw new InvalidRequestException(ErrorCode.KEY_NOT_FOUND, "key " + p.key());
                    }
                }
                if (p.lease() != 0 && !b.view.leaseExists(p.lease())) {
                    throw new LeaseNotFoundException(ErrorCode.LEASE_NOT_FOUND, "lease " + p.lease());
                }
            } else if (!puts && op instanceof RangeRequest) {
                long rev = ((RangeRequest) op).revision();
                if (rev == 0) {
                    continue;
                }
                if (rev > b.beginRev) {
                    throw new RevisionException(ErrorCode.FUTURE_REVISION,
                            "revision " + rev + " > current revision " + b.beginRev);
                }
                if (rev < state.compactedRevision()) {
                    throw new RevisionException(ErrorCode.COMPACTED,
                            "revision " + rev + " < compacted revision " + state.compactedRevision());
                }
            }
        }
    }

    private TxnResponse applyTxn(TxnRequest rt, List<Boolean> path, int[] pos) {
        boolean ok = path.get(pos[0]++);
        List<Response> responses = new ArrayList<>();
        for (TxnOp op : ok ? rt.success() : rt.failure()) {
            if (op instanceof RangeRequest) {
                responses.add(Ranges.range(b.view, (RangeRequest) op, b.readRev(), state.compactedRevision()));
            } else if (op instanceof PutRequest) {
                responses.add(put((PutRequest) op));
            } else if (op instanceof DeleteRangeRequest) {
                responses.add(deleteRange((DeleteRangeRequest) op));
            } else if (op instanceof TxnRequest) {
                TxnResponse nested = applyTxn((TxnRequest) op, path, pos);
                responses.add(new TxnResponse(0, nested.succeeded(), nested.responses()));
            }
        }
        return new TxnResponse(0, ok, responses);
    }
}
