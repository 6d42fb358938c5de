package io.cohort.mvcc.internal;

import io.cohort.mvcc.ErrorCode;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.RangeRequest;
import io.cohort.mvcc.RangeResponse;
import io.cohort.mvcc.RevisionException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A range request with etcd 3.4's options, limits, filters and sort rules ({@code applierV3backend.Range}). */
public final class Ranges {
    private Ranges() {
    }

    /** Runs {@code r} on {@code view} where {@code curRev} is the current revision. */
    public static RangeResponse range(ReadView view, RangeRequest r, long curRev, long compactedRev) {
        long limit = r.limit();
        boolean filters = r.minModRevision() != 0 || r.maxModRevision() != 0 || r.minCreateRevision() != 0
                || r.maxCreateRevision() != 0;
        if (r.sortOrder() != RangeRequest.SortOrder.NONE || filters) {
            limit = 0;
        }
        if (limit > 0) {
            limit++;
        }
        long rev = r.revision();
        if (rev > curRev) {
            throw new RevisionException(ErrorCode.FUTURE_REVISION,
                    "revision " + rev + " > current revision " + curRev);
        }
        if (rev <= 0) {
            rev = curRev;
        }
        if (rev < compactedRev) {
            throw new RevisionException(ErrorCode.COMPACTED,
                    "revision " + rev + " < compacted revision " + compactedRev);
        }
        List<KeyValue> kvs = new ArrayList<>();
        // Values are needed to sort by VALUE even with keys_only (etcd clears them after sorting).
        boolean dropValues = r.keysOnly() && r.sortTarget() != RangeRequest.SortTarget.VALUE;
        long count = view.range(r.key(), r.rangeEnd(), rev, limit, r.countOnly(), dropValues, kvs);
        if (filters) {
            kvs.removeIf(kv -> (r.maxModRevision() != 0 && kv.modRevision() > r.maxModRevision())
                    || (r.minModRevision() != 0 && kv.modRevision() < r.minModRevision())
                    || (r.maxCreateRevision() != 0 && kv.createRevision() > r.maxCreateRevision())
                    || (r.minCreateRevision() != 0 && kv.createRevision() < r.minCreateRevision()));
        }
        RangeRequest.SortOrder order = r.sortOrder();
        if (r.sortTarget() != RangeRequest.SortTarget.KEY && order == RangeRequest.SortOrder.NONE) {
            order = RangeRequest.SortOrder.ASCEND;
        }
        if (order != RangeRequest.SortOrder.NONE) {
            Comparator<KeyValue> cmp;
            switch (r.sortTarget()) {
                case VERSION:
                    cmp = Comparator.comparingLong(KeyValue::version);
                    break;
                case CREATE:
                    cmp = Comparator.comparingLong(KeyValue::createRevision);
                    break;
                case MOD:
                    cmp = Comparator.comparingLong(KeyValue::modRevision);
                    break;
                case VALUE:
                    cmp = Comparator.comparing(KeyValue::value);
                    break;
                default:
                    cmp = Comparator.comparing(KeyValue::key);
                    break;
            }
            // A stable sort: equal elements keep ascending key order, also when descending.
            kvs.sort(order == RangeRequest.SortOrder.DESCEND ? cmp.reversed() : cmp);
        }
        boolean more = false;
        if (r.limit() > 0 && kvs.size() > r.limit()) {
            kvs = kvs.subList(0, (int) r.limit());
            more = true;
        }
        if (r.keysOnly() && !dropValues) {
            kvs.replaceAll(KeyValue::withoutValue);
        }
        return new RangeResponse(curRev, kvs, more, count);
    }
}
