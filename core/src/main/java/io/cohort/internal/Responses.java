package io.cohort.internal;

import io.cohort.DeleteResult;
import io.cohort.GetResult;
import io.cohort.OpResult;
import io.cohort.PutResult;
import io.cohort.TxnResult;
import io.cohort.mvcc.DeleteRangeResponse;
import io.cohort.mvcc.PutResponse;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.Response;
import io.cohort.mvcc.TxnResponse;
import java.util.ArrayList;
import java.util.List;

/** Maps the keyspace's responses to the public results. */
public final class Responses {
    private Responses() {
    }

    /** A put's result. */
    public static PutResult put(PutResponse r) {
        return new PutResult(r.revision(), r.prevKv());
    }

    /** A range's result. */
    public static GetResult get(RangeResponse r) {
        return new GetResult(r.revision(), r.kvs(), r.more(), r.count());
    }

    /** A delete's result. */
    public static DeleteResult delete(DeleteRangeResponse r) {
        return new DeleteResult(r.revision(), r.deleted(), r.prevKvs());
    }

    /** A txn's result, nested results included. */
    public static TxnResult txn(TxnResponse r) {
        List<OpResult> results = new ArrayList<>(r.responses().size());
        for (Response each : r.responses()) {
            results.add(any(each));
        }
        return new TxnResult(r.revision(), r.succeeded(), results);
    }

    private static OpResult any(Response r) {
        if (r instanceof PutResponse p) {
            return put(p);
        } else if (r instanceof RangeResponse g) {
            return get(g);
        } else if (r instanceof DeleteRangeResponse d) {
            return delete(d);
        } else if (r instanceof TxnResponse t) {
            return txn(t);
        }
        throw new IllegalStateException("a txn op cannot produce " + r);
    }
}
