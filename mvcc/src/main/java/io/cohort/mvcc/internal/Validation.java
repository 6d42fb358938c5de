package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.InvalidRequestException;
import io.cohort.mvcc.KeyspaceConfig;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.WriteRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The request checks etcd makes before a request reaches the store (its gRPC layer, {@code v3rpc/key.go}),
 * then the request size check, in etcd's order.
 */
public final class Validation {
    private Validation() {
    }

    /** Checks a write request; throws the error etcd would return. */
    public static void check(WriteRequest r, KeyspaceConfig config, int maxKeyBytes) {
        if (r instanceof PutRequest) {
            checkPut((PutRequest) r, maxKeyBytes);
        } else if (r instanceof DeleteRangeRequest) {
            checkKey(((DeleteRangeRequest) r).key());
        } else if (r instanceof TxnRequest) {
            TxnRequest t = (TxnRequest) r;
            checkTxn(t, config.maxTxnOps(), maxKeyBytes);
            checkIntervals(t.success());
            checkIntervals(t.failure());
            if (t.isReadOnly()) {
                return; // etcd serves read-only txns without Raft: no size check
            }
        }
        long size = ProtoSize.raftRequest(r);
        if (size > config.maxRequestBytes()) {
            throw new InvalidRequestException(ErrorCode.REQUEST_TOO_LARGE,
                    "encoded request is " + size + " bytes, limit is " + config.maxRequestBytes() + " bytes");
        }
    }

    /** Checks a range request. */
    public static void checkRange(RangeRequest r) {
        checkKey(r.key());
    }

    private static void checkKey(Bytes key) {
        if (key.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.EMPTY_KEY, null);
        }
    }

    private static void checkPut(PutRequest p, int maxKeyBytes) {
        checkKey(p.key());
        if (p.ignoreValue() && !p.value().isEmpty()) {
            throw new InvalidRequestException(ErrorCode.VALUE_PROVIDED, null);
        }
        if (p.ignoreLease() && p.lease() != 0) {
            throw new InvalidRequestException(ErrorCode.LEASE_PROVIDED, null);
        }
        if (p.key().size() > maxKeyBytes) {
            throw new InvalidRequestException(ErrorCode.KEY_TOO_LONG,
                    "key is " + p.key().size() + " bytes, the limit is " + maxKeyBytes + " bytes");
        }
    }

    private static void checkTxn(TxnRequest t, int maxTxnOps, int maxKeyBytes) {
        int opc = Math.max(t.compare().size(), Math.max(t.success().size(), t.failure().size()));
        if (opc > maxTxnOps) {
            throw new InvalidRequestException(ErrorCode.TOO_MANY_OPS,
                    opc + " entries in one list, the limit is " + maxTxnOps + " per list");
        }
        for (Compare c : t.compare()) {
            checkKey(c.key());
        }
        for (List<TxnOp> ops : List.of(t.success(), t.failure())) {
            for (TxnOp op : ops) {
                checkOp(op, maxTxnOps - opc, maxKeyBytes);
            }
        }
    }

    private static void checkOp(TxnOp op, int maxTxnOps, int maxKeyBytes) {
        if (op instanceof RangeRequest) {
            checkKey(((RangeRequest) op).key());
        } else if (op instanceof PutRequest) {
            checkPut((PutRequest) op, maxKeyBytes);
        } else if (op instanceof DeleteRangeRequest) {
            checkKey(((DeleteRangeRequest) op).key());
        } else if (op instanceof TxnRequest) {
            checkTxn((TxnRequest) op, maxTxnOps, maxKeyBytes);
        } else {
            throw new InvalidRequestException(ErrorCode.KEY_NOT_FOUND, "empty op in txn");
        }
    }

    /** An interval [begin, end) of keys; a point is [k, k\0). An end <= begin (e.g. "\0") contains nothing. */
    private record Interval(Bytes begin, Bytes end, boolean point) {
        boolean contains(Bytes k) {
            if (point) {
                return begin.equals(k);
            }
            return begin.compareTo(k) <= 0 && k.compareTo(end) < 0;
        }
    }

    private static final class Result {
        final Set<Bytes> puts = new HashSet<>();
        final List<Interval> dels = new ArrayList<>();
    }

    private static boolean intersects(List<Interval> dels, Bytes k) {
        for (Interval iv : dels) {
            if (iv.contains(k)) {
                return true;
            }
        }
        return false;
    }

    /** etcd's {@code checkIntervals}: the duplicate-key rules of one txn list (nested txns included). */
    private static Result checkIntervals(List<TxnOp> reqs) {
        Result res = new Result();
        for (TxnOp op : reqs) {
            if (op instanceof DeleteRangeRequest) {
                DeleteRangeRequest d = (DeleteRangeRequest) op;
                res.dels.add(d.rangeEnd().isEmpty() ? new Interval(d.key(), null, true)
                        : new Interval(d.key(), d.rangeEnd(), false));
            }
        }
        for (TxnOp op : reqs) {
            if (!(op instanceof TxnRequest)) {
                continue;
            }
            TxnRequest t = (TxnRequest) op;
            Result then = checkIntervals(t.success());
            Result otherwise = checkIntervals(t.failure());
            for (Bytes k : then.puts) {
                if (res.puts.contains(k) || intersects(res.dels, k)) {
                    throw duplicate(k);
                }
                res.puts.add(k);
            }
            for (Bytes k : otherwise.puts) {
                if (res.puts.contains(k) && !then.puts.contains(k)) {
                    throw duplicate(k);
                }
                if (intersects(res.dels, k)) {
                    throw duplicate(k);
                }
                res.puts.add(k);
            }
            res.dels.addAll(then.dels);
            res.dels.addAll(otherwise.dels);
        }
        for (TxnOp op : reqs) {
            if (!(op instanceof PutRequest)) {
                continue;
            }
            Bytes k = ((PutRequest) op).key();
            if (res.puts.contains(k) || intersects(res.dels, k)) {
                throw duplicate(k);
            }
            res.puts.add(k);
        }
        return res;
    }

    private static InvalidRequestException duplicate(Bytes k) {
        return new InvalidRequestException(ErrorCode.DUPLICATE_KEY, "key " + k);
    }
}
