package io.cohort.internal;

import io.cohort.Compare;
import io.cohort.DeleteOptions;
import io.cohort.GetOptions;
import io.cohort.KeyRange;
import io.cohort.Op;
import io.cohort.PutOptions;
import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.DeleteRangeRequest;
import io.cohort.mvcc.PutRequest;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.TxnOp;
import io.cohort.mvcc.TxnRequest;
import java.util.ArrayList;
import java.util.List;

/** Maps the public request values to the keyspace's requests. */
public final class Requests {
    private Requests() {
    }

    /** A put. */
    public static PutRequest put(Bytes key, Bytes value, PutOptions o) {
        return new PutRequest(key, value, o.lease(), o.prevKv(), o.ignoreValue(), o.ignoreLease());
    }

    /** A range read. */
    public static RangeRequest range(KeyRange keys, GetOptions o) {
        return new RangeRequest(keys.key(), keys.rangeEnd(), o.limit(), o.revision(),
                RangeRequest.SortOrder.valueOf(o.sortOrder().name()),
                RangeRequest.SortTarget.valueOf(o.sortTarget().name()), o.keysOnly(), o.countOnly(),
                o.minModRevision(), o.maxModRevision(), o.minCreateRevision(), o.maxCreateRevision());
    }

    /** A delete. */
    public static DeleteRangeRequest delete(KeyRange keys, DeleteOptions o) {
        return new DeleteRangeRequest(keys.key(), keys.rangeEnd(), o.prevKv());
    }

    /** A txn, nested txns included. */
    public static TxnRequest txn(Op.Txn t) {
        List<io.cohort.mvcc.Compare> compares = new ArrayList<>(t.when().size());
        for (Compare c : t.when()) {
            compares.add(compare(c));
        }
        return new TxnRequest(compares, ops(t.then()), ops(t.otherwise()));
    }

    private static List<TxnOp> ops(List<Op> ops) {
        List<TxnOp> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            out.add(op(op));
        }
        return out;
    }

    private static TxnOp op(Op op) {
        if (op instanceof Op.Put p) {
            return put(p.key(), p.value(), p.options());
        } else if (op instanceof Op.Get g) {
            return range(g.keys(), g.options());
        } else if (op instanceof Op.Delete d) {
            return delete(d.keys(), d.options());
        } else {
            return txn((Op.Txn) op);
        }
    }

    private static io.cohort.mvcc.Compare compare(Compare c) {
        io.cohort.mvcc.Compare.Target target = io.cohort.mvcc.Compare.Target.valueOf(c.target().name());
        return new io.cohort.mvcc.Compare(c.keys().key(), c.keys().rangeEnd(), target,
                io.cohort.mvcc.Compare.Result.valueOf(c.operator().name()), target, c.number(), c.value());
    }
}
