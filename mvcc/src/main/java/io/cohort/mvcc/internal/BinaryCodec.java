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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The binary command encoding behind {@link io.cohort.mvcc.CommandCodec}. */
public final class BinaryCodec {
    static final byte VERSION = 1;
    private static final int T_PUT = 1;
    private static final int T_DELETE = 2;
    private static final int T_TXN = 3;
    private static final int T_COMPACT = 4;
    private static final int T_GRANT = 5;
    private static final int T_REVOKE = 6;
    private static final int T_RANGE = 7;
    private static final int T_EMPTY = 8;
    private static final int T_CHECKPOINT = 9;
    /** Nested txns deeper than this are refused when decoding (bounds the recursion). */
    private static final int MAX_DEPTH = 64;

    private BinaryCodec() {
    }

    /** Encodes a request. */
    public static byte[] encode(WriteRequest r) {
        Out out = new Out();
        out.b(VERSION);
        op(out, r);
        return out.toArray();
    }

    /** Decodes a request. */
    public static WriteRequest decode(byte[] bytes) {
        In in = new In(bytes);
        int v = in.b();
        if (v != VERSION) {
            throw new IllegalArgumentException("unknown command encoding version " + v);
        }
        Object o = readOp(in, 0);
        if (in.pos != bytes.length) {
            throw new IllegalArgumentException("trailing bytes after command: " + (bytes.length - in.pos));
        }
        if (!(o instanceof WriteRequest)) {
            throw new IllegalArgumentException("not a write request: " + o);
        }
        return (WriteRequest) o;
    }

    private static void op(Out out, Object r) {
        if (r instanceof PutRequest) {
            PutRequest p = (PutRequest) r;
            out.b(T_PUT);
            out.bytes(p.key());
            out.bytes(p.value());
            out.zz(p.lease());
            out.b((p.prevKv() ? 1 : 0) | (p.ignoreValue() ? 2 : 0) | (p.ignoreLease() ? 4 : 0));
        } else if (r instanceof DeleteRangeRequest) {
            DeleteRangeRequest d = (DeleteRangeRequest) r;
            out.b(T_DELETE);
            out.bytes(d.key());
            out.bytes(d.rangeEnd());
            out.b(d.prevKv() ? 1 : 0);
        } else if (r instanceof RangeRequest) {
            RangeRequest q = (RangeRequest) r;
            out.b(T_RANGE);
            out.bytes(q.key());
            out.bytes(q.rangeEnd());
            out.zz(q.limit());
            out.zz(q.revision());
            out.b(q.sortOrder().ordinal());
            out.b(q.sortTarget().ordinal());
            out.b((q.keysOnly() ? 1 : 0) | (q.countOnly() ? 2 : 0));
            out.zz(q.minModRevision());
            out.zz(q.maxModRevision());
            out.zz(q.minCreateRevision());
            out.zz(q.maxCreateRevision());
        } else if (r instanceof TxnRequest) {
            TxnRequest t = (TxnRequest) r;
            out.b(T_TXN);
            out.zz(t.compare().size());
            for (Compare c : t.compare()) {
                out.bytes(c.key());
                out.bytes(c.rangeEnd());
                out.b(c.target().ordinal());
                out.b(c.result().ordinal());
                out.b(c.operandField() == null ? 0 : c.operandField().ordinal() + 1);
                out.zz(c.number());
                out.bytes(c.value());
            }
            for (List<TxnOp> ops : List.of(t.success(), t.failure())) {
                out.zz(ops.size());
                for (TxnOp op : ops) {
                    op(out, op);
                }
            }
        } else if (r instanceof CompactRequest) {
            out.b(T_COMPACT);
            out.zz(((CompactRequest) r).revision());
        } else if (r instanceof LeaseGrantRequest) {
            out.b(T_GRANT);
            out.zz(((LeaseGrantRequest) r).ttlSeconds());
            out.zz(((LeaseGrantRequest) r).id());
        } else if (r instanceof LeaseRevokeRequest) {
            out.b(T_REVOKE);
            out.zz(((LeaseRevokeRequest) r).id());
        } else if (r instanceof LeaseCheckpointRequest) {
            out.b(T_CHECKPOINT);
            List<LeaseCheckpointRequest.Checkpoint> cps = ((LeaseCheckpointRequest) r).checkpoints();
            out.zz(cps.size());
            for (LeaseCheckpointRequest.Checkpoint cp : cps) {
                out.zz(cp.id());
                out.zz(cp.remainingTtlSeconds());
            }
        } else if (r instanceof TxnOp.Empty) {
            out.b(T_EMPTY);
        } else {
            throw new IllegalArgumentException("cannot encode " + r);
        }
    }

    private static Object readOp(In in, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("txn nesting deeper than " + MAX_DEPTH);
        }
        int t = in.b();
        switch (t) {
            case T_PUT: {
                Bytes k = in.bytes();
                Bytes v = in.bytes();
                long lease = in.zz();
                int f = in.b();
                return new PutRequest(k, v, lease, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0);
            }
            case T_DELETE: {
                Bytes k = in.bytes();
                Bytes e = in.bytes();
                return new DeleteRangeRequest(k, e, in.b() != 0);
            }
            case T_RANGE: {
                Bytes k = in.bytes();
                Bytes e = in.bytes();
                long limit = in.zz();
                long rev = in.zz();
                RangeRequest.SortOrder so = enumAt(RangeRequest.SortOrder.values(), in.b());
                RangeRequest.SortTarget st = enumAt(RangeRequest.SortTarget.values(), in.b());
                int f = in.b();
                return new RangeRequest(k, e, limit, rev, so, st, (f & 1) != 0, (f & 2) != 0, in.zz(), in.zz(),
                        in.zz(), in.zz());
            }
            case T_TXN: {
                int nc = in.count();
                List<Compare> cs = new ArrayList<>(nc);
                for (int i = 0; i < nc; i++) {
                    Bytes k = in.bytes();
                    Bytes e = in.bytes();
                    Compare.Target target = enumAt(Compare.Target.values(), in.b());
                    Compare.Result result = enumAt(Compare.Result.values(), in.b());
                    int of = in.b();
                    Compare.Target operand = of == 0 ? null : enumAt(Compare.Target.values(), of - 1);
                    cs.add(new Compare(k, e, target, result, operand, in.zz(), in.bytes()));
                }
                List<List<TxnOp>> branches = new ArrayList<>(2);
                for (int b = 0; b < 2; b++) {
                    int n = in.count();
                    List<TxnOp> ops = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        Object o = readOp(in, depth + 1);
                        if (!(o instanceof TxnOp)) {
                            throw new IllegalArgumentException("not a txn op: " + o);
                        }
                        ops.add((TxnOp) o);
                    }
                    branches.add(ops);
                }
                return new TxnRequest(cs, branches.get(0), branches.get(1));
            }
            case T_COMPACT:
                return new CompactRequest(in.zz());
            case T_GRANT: {
                long ttl = in.zz();
                return new LeaseGrantRequest(ttl, in.zz());
            }
            case T_REVOKE:
                return new LeaseRevokeRequest(in.zz());
            case T_EMPTY:
                return TxnOp.EMPTY;
            case T_CHECKPOINT: {
                int n = in.count();
                List<LeaseCheckpointRequest.Checkpoint> cps = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long id = in.zz();
                    cps.add(new LeaseCheckpointRequest.Checkpoint(id, in.zz()));
                }
                return new LeaseCheckpointRequest(cps);
            }
            default:
                throw new IllegalArgumentException("unknown command type " + t);
        }
    }

    private static <E> E enumAt(E[] values, int i) {
        if (i < 0 || i >= values.length) {
            throw new IllegalArgumentException("enum ordinal out of range: " + i);
        }
        return values[i];
    }

    private static final class Out {
        private byte[] buf = new byte[64];
        private int pos;

        void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void b(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void zz(long v) {
            long u = (v << 1) ^ (v >> 63);
            ensure(10);
            while ((u & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((u & 0x7F) | 0x80);
                u >>>= 7;
            }
            buf[pos++] = (byte) u;
        }

        void bytes(Bytes b) {
            zz(b.size());
            ensure(b.size());
            for (int i = 0; i < b.size(); i++) {
                buf[pos++] = b.byteAt(i);
            }
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, pos);
        }
    }

    private static final class In {
        private final byte[] buf;
        private int pos;

        In(byte[] buf) {
            this.buf = buf;
        }

        int b() {
            if (pos >= buf.length) {
                throw new IllegalArgumentException("truncated command");
            }
            return buf[pos++] & 0xFF;
        }

        long zz() {
            long u = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = b();
                u |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return (u >>> 1) ^ -(u & 1);
                }
            }
            throw new IllegalArgumentException("malformed varint");
        }

        int count() {
            long n = zz();
            if (n < 0 || n > buf.length - pos) {
                throw new IllegalArgumentException("bad length " + n);
            }
            return (int) n;
        }

        Bytes bytes() {
            int n = count();
            Bytes b = Bytes.wrap(Arrays.copyOfRange(buf, pos, pos + n));
            pos += n;
            return b;
        }
    }
}
