package io.cohort.mvcc;

import java.util.Objects;

/**
 * What to watch, as etcd's {@code WatchCreateRequest}: the keys {@code [key, rangeEnd)} by etcd's range convention
 * (empty {@code rangeEnd}: the one key; {@code "\0"}: every key from {@code key} on), from {@code startRevision}
 * ({@code <= 0}: from the next revision), with filters.
 *
 * @param key the key, or the start of the range
 * @param rangeEnd the end of the range (exclusive), empty for a single key, {@code "\0"} for "to the end"
 * @param startRevision the first revision to deliver; {@code <= 0} means the revision after the current one
 * @param prevKv attach each event's previous key-value (etcd's watch rule)
 * @param noPut drop PUT events
 * @param noDelete drop DELETE events
 * @param progressNotify ask for periodic progress notifications while no events arrive
 */
public record WatchRequest(Bytes key, Bytes rangeEnd, long startRevision, boolean prevKv, boolean noPut,
                           boolean noDelete, boolean progressNotify) {
    /** Checks the fields. */
    public WatchRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
        if (key.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.EMPTY_KEY, "a watch needs a key (use \"\\0\" for every key)");
        }
    }

    /** A watch of one key from the next revision. */
    public static WatchRequest key(Bytes key) {
        return new WatchRequest(key, Bytes.EMPTY, 0, false, false, false, false);
    }

    /** A watch of {@code [key, rangeEnd)} from the next revision. */
    public static WatchRequest range(Bytes key, Bytes rangeEnd) {
        return new WatchRequest(key, rangeEnd, 0, false, false, false, false);
    }

    /** This request starting at {@code revision}. */
    public WatchRequest fromRevision(long revision) {
        return new WatchRequest(key, rangeEnd, revision, prevKv, noPut, noDelete, progressNotify);
    }

    /** This request with prev kvs. */
    public WatchRequest withPrevKv() {
        return new WatchRequest(key, rangeEnd, startRevision, true, noPut, noDelete, progressNotify);
    }

    /** This request with put and delete filters. */
    public WatchRequest withFilters(boolean dropPuts, boolean dropDeletes) {
        return new WatchRequest(key, rangeEnd, startRevision, prevKv, dropPuts, dropDeletes, progressNotify);
    }

    /** This request with periodic progress notifications. */
    public WatchRequest withProgressNotify() {
        return new WatchRequest(key, rangeEnd, startRevision, prevKv, noPut, noDelete, true);
    }
}
