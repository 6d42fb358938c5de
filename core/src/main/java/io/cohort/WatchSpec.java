package io.cohort;

import java.util.Objects;

/**
 * What a watch follows: a key, a prefix, a range or every key, from a start revision, with options. Immutable;
 * build with {@link #of(KeyRange)} or the shortcuts, then the {@code with...} methods.
 *
 * @param range the keys
 * @param startRevision the first revision to deliver: in the past (history is replayed first, if not compacted),
 *     the current one, or the future; {@code <= 0} means the revision after the current one
 * @param prevKv deliver each event with the key's previous value (etcd's watch rule)
 * @param noPut drop put events
 * @param noDelete drop delete events
 * @param progressNotify send a progress notification periodically while no events arrive
 */
public record WatchSpec(KeyRange range, long startRevision, boolean prevKv, boolean noPut, boolean noDelete,
                        boolean progressNotify) {
    /** Checks the fields. */
    public WatchSpec {
        Objects.requireNonNull(range, "range"); // Both filters at once is allowed, as etcd: only progress and the end.
    }

    /** A watch of {@code range} from the next revision. */
    public static WatchSpec of(KeyRange range) {
        return new WatchSpec(range, 0, false, false, false, false);
    }

    /** A watch of one key (UTF-8) from the next revision. */
    public static WatchSpec key(String key) {
        return of(KeyRange.key(key));
    }

    /** A watch of every key with {@code prefix} (UTF-8) from the next revision. */
    public static WatchSpec prefix(String prefix) {
        return of(KeyRange.prefix(prefix));
    }

    /** This watch starting at {@code revision}. */
    public WatchSpec fromRevision(long revision) {
        return new WatchSpec(range, revision, prevKv, noPut, noDelete, progressNotify);
    }

    /** This watch with previous key-values. */
    public WatchSpec withPrevKv() {
        return new WatchSpec(range, startRevision, true, noPut, noDelete, progressNotify);
    }

    /** This watch without put events. */
    public WatchSpec withoutPuts() {
        return new WatchSpec(range, startRevision, prevKv, true, noDelete, progressNotify);
    }

    /** This watch without delete events. */
    public WatchSpec withoutDeletes() {
        return new WatchSpec(range, startRevision, prevKv, noPut, true, progressNotify);
    }

    /** This watch with periodic progress notifications. */
    public WatchSpec withProgressNotify() {
        return new WatchSpec(range, startRevision, prevKv, noPut, noDelete, true);
    }
}
