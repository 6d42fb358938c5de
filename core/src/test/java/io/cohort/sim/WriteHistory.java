package io.cohort.sim;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The one committed history of writes of a simulated cluster: every revision's events (as the first replica to apply
 * it produced them; the simulation checks every other replica produced the same), each key's states over time, and
 * the revisions history was compacted at. What watch streams, lease expiry and the recipes are checked against.
 */
final class WriteHistory {
    private final TreeMap<Long, List<Event>> eventsAt = new TreeMap<>();
    /** Per key: revision -> its state from then on (null: deleted). */
    private final Map<Bytes, TreeMap<Long, KeyValue>> states = new HashMap<>();
    private final TreeSet<Long> compactions = new TreeSet<>();
    /** The store starts at revision 1, with no events. */
    private long latestRevision = 1;

    /** Records the events one committed command produced (all at one revision, after every earlier revision). */
    void record(List<Event> events) {
        if (events.isEmpty()) {
            return;
        }
        long revision = events.get(0).revision();
        for (Event e : events) {
            if (e.revision() != revision) {
                throw new AssertionError("one command's events span revisions " + revision + " and " + e.revision());
            }
        }
        if (revision <= latestRevision) {
            throw new AssertionError("revision " + revision + " committed after revision " + latestRevision);
        }
        latestRevision = revision;
        eventsAt.put(revision, List.copyOf(events));
        for (Event e : events) {
            states.computeIfAbsent(e.kv().key(), k -> new TreeMap<>())
                    .put(revision, e.type() == Event.Type.PUT ? e.kv() : null);
        }
    }

    /** A compaction at {@code revision} was committed and applied. */
    void compacted(long revision) {
        compactions.add(revision);
    }

    /** The latest committed revision (1, the store's first, before any write). */
    long latestRevision() {
        return latestRevision;
    }

    /** The highest revision history was compacted at (0 if never). */
    long maxCompaction() {
        return compactions.isEmpty() ? 0 : compactions.last();
    }

    /** True if a compaction at exactly {@code revision} was committed. */
    boolean isCompaction(long revision) {
        return compactions.contains(revision);
    }

    /** The events of {@code revision} (empty if none). */
    List<Event> eventsAt(long revision) {
        return eventsAt.getOrDefault(revision, List.of());
    }

    /** The revisions in {@code [from, to]} that have events, in order. */
    Iterable<Long> revisionsIn(long from, long to) {
        if (from > to) {
            return List.of();
        }
        return eventsAt.subMap(from, true, to, true).keySet();
    }

    /** {@code key}'s state just before {@code revision} (null if absent then). */
    KeyValue stateBefore(Bytes key, long revision) {
        TreeMap<Long, KeyValue> s = states.get(key);
        if (s == null) {
            return null;
        }
        Map.Entry<Long, KeyValue> e = s.lowerEntry(revision);
        return e == null ? null : e.getValue();
    }

    /** {@code key}'s state at {@code revision} (null if absent then). */
    KeyValue stateAt(Bytes key, long revision) {
        return stateBefore(key, revision + 1);
    }

    /** The live key-values whose keys start with {@code prefix} at {@code revision}, in key order. */
    List<KeyValue> liveWithPrefix(String prefix, long revision) {
        Bytes p = Bytes.ofUtf8(prefix);
        List<KeyValue> out = new ArrayList<>();
        for (Map.Entry<Bytes, TreeMap<Long, KeyValue>> e : states.entrySet()) {
            if (e.getKey().startsWith(p)) {
                Map.Entry<Long, KeyValue> at = e.getValue().floorEntry(revision);
                if (at != null && at.getValue() != null) {
                    out.add(at.getValue());
                }
            }
        }
        out.sort((a, b) -> a.key().compareTo(b.key()));
        return out;
    }

    /**
     * The first revision after {@code from} at which {@code key} no longer holds the incarnation created at
     * {@code createRevision} (deleted, or deleted and created again), or {@link Long#MAX_VALUE} if it still does.
     */
    long endOfIncarnation(Bytes key, long createRevision, long from) {
        TreeMap<Long, KeyValue> s = states.get(key);
        if (s == null) {
            return Long.MAX_VALUE;
        }
        for (Map.Entry<Long, KeyValue> e : s.tailMap(from, false).entrySet()) {
            if (e.getValue() == null || e.getValue().createRevision() != createRevision) {
                return e.getKey();
            }
        }
        return Long.MAX_VALUE;
    }

    /** Every key whose latest state is a put bound to {@code leaseId}, in key order. */
    List<Bytes> keysBoundTo(long leaseId) {
        List<Bytes> out = new ArrayList<>();
        for (Map.Entry<Bytes, TreeMap<Long, KeyValue>> e : states.entrySet()) {
            KeyValue last = e.getValue().lastEntry().getValue();
            if (last != null && last.lease() == leaseId) {
                out.add(e.getKey());
            }
        }
        out.sort(Bytes::compareTo);
        return out;
    }
}
