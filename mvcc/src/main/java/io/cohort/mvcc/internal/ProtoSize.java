package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Compare;
import io.cohort.mvcc.CompactRequest;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.LeaseCheckpointRequest;
import io.cohort.mvcc.LeaseGrantRequest;
import io.cohort.mvcc.LeaseRevokeRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import io.cohort.mvcc.WriteRequest;

/** Protobuf encoded sizes of etcd's request messages (etcdserverpb/rpc.proto, raft_internal.proto). */
public final class ProtoSize {
    /** An etcd request ID is a 64-bit number with the high bits set: a 10-byte varint at most. */
    private static final int REQUEST_ID_BYTES = 10;

    private ProtoSize() {
    }

    /** The size of the client's gRPC request message. */
    public static long message(WriteRequest r) {
        if (r instanceof PutRequest) {
            return put((PutRequest) r);
        } else if (r instanceof DeleteRangeRequest) {
            return delete((DeleteRangeRequest) r);
        } else if (r instanceof TxnRequest) {
            return txn((TxnRequest) r);
        } else if (r instanceof CompactRequest) {
            return int64(1, ((CompactRequest) r).revision());
        } else if (r instanceof LeaseGrantRequest) {
            LeaseGrantRequest g = (LeaseGrantRequest) r;
            return int64(1, g.ttlSeconds()) + int64(2, g.id());
        } else if (r instanceof LeaseRevokeRequest) {
            return int64(1, ((LeaseRevokeRequest) r).id());
        } else {
            // etcd's LeaseCheckpointRequest: repeated LeaseCheckpoint{ID = 1, remaining_TTL = 2} as field 1.
            long n = 0;
            for (LeaseCheckpointRequest.Checkpoint cp : ((LeaseCheckpointRequest) r).checkpoints()) {
                long body = int64(1, cp.id()) + int64(2, cp.remainingTtlSeconds());
                n += 1 + varintSize(body) + body;
            }
            return n;
        }
    }

    /** The size of the InternalRaftRequest etcd builds and checks against --max-request-bytes. */
    public static long raftRequest(WriteRequest r) {
        long header = 1 + REQUEST_ID_BYTES;
        long headerField = 2 + varintSize(header) + header; // field 100: two-byte tag
        long body = message(r);
        return headerField + 1 + varintSize(body) + body;
    }

    static long put(PutRequest p) {
        return bytes(1, p.key()) + bytes(2, p.value()) + int64(3, p.lease()) + bool(p.prevKv()) + bool(p.ignoreValue())
                + bool(p.ignoreLease());
    }

    static long delete(DeleteRangeRequest d) {
        return bytes(1, d.key()) + bytes(2, d.rangeEnd()) + bool(d.prevKv());
    }

    static long range(RangeRequest r) {
        return bytes(1, r.key()) + bytes(2, r.rangeEnd()) + int64(3, r.limit()) + int64(4, r.revision())
                + int64(5, r.sortOrder().ordinal()) + int64(6, r.sortTarget().ordinal()) + bool(r.keysOnly())
                + bool(r.countOnly()) + int64(10, r.minModRevision()) + int64(11, r.maxModRevision())
                + int64(12, r.minCreateRevision()) + int64(13, r.maxCreateRevision());
    }

    static long txn(TxnRequest t) {
        long n = 0;
        for (Compare c : t.compare()) {
            n += embedded(compare(c));
        }
        for (TxnOp op : t.success()) {
            n += embedded(op(op));
        }
        for (TxnOp op : t.failure()) {
            n += embedded(op(op));
        }
        return n;
    }

    static long compare(Compare c) {
        long n = int64(1, c.result().ordinal()) + int64(2, c.target().ordinal()) + bytes(3, c.key());
        if (c.operandField() != null) {
            n += c.operandField() == Compare.Target.VALUE ? 1 + varintSize(c.value().size()) + c.value().size()
                    : 1 + varintSize(c.number());
        }
        if (!c.rangeEnd().isEmpty()) {
            n += 2 + varintSize(c.rangeEnd().size()) + c.rangeEnd().size();
        }
        return n;
    }

    static long op(TxnOp op) {
        if (op instanceof RangeRequest) {
            return embedded(range((RangeRequest) op));
        } else if (op instanceof PutRequest) {
            return embedded(put((PutRequest) op));
        } else if (op instanceof DeleteRangeRequest) {
            return embedded(delete((DeleteRangeRequest) op));
        } else if (op instanceof TxnRequest) {
            return embedded(txn((TxnRequest) op));
        }
        return 0;
    }

    private static long embedded(long size) {
        return 1 + varintSize(size) + size;
    }

    private static long bytes(int field, Bytes b) {
        return b.isEmpty() ? 0 : tagSize(field) + varintSize(b.size()) + b.size();
    }

    private static long int64(int field, long v) {
        return v == 0 ? 0 : tagSize(field) + varintSize(v);
    }

    private static long bool(boolean b) {
        return b ? 2 : 0;
    }

    private static int tagSize(int field) {
        return field < 16 ? 1 : 2;
    }

    /** The size of {@code v} as a protobuf varint (negative numbers take 10 bytes). */
    public static int varintSize(long v) {
        if (v < 0) {
            return 10;
        }
        int n = 1;
        while (v >= 0x80) {
            v >>>= 7;
            n++;
        }
        return n;
    }
}
