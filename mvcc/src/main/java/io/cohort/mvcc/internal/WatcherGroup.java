package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The synced watches, indexed for matching a changed key: watches of one key, or of one exact range, form one
 * {@link SameRange}, so that many watches of one prefix cost one range check per event and share the lists of events
 * they are sent.
 */
final class WatcherGroup {
    /** Watches of one key or one range: a changed key matches all of them or none of them. */
    static final class SameRange {
        final Bytes key;
        final Bytes end;
        final ArrayList<Watcher> watchers = new ArrayList<>();
        /** Publication scratch: the batch's events in this range, in order. */
        final ArrayList<Event> matched = new ArrayList<>();
        /** Watches per filter combination ({@link Watcher#variant}): the event lists a publication builds. */
        final int[] variantCounts = new int[Watcher.VARIANTS];

        SameRange(Bytes key, Bytes end) {
            this.key = key;
            this.end = end;
        }
    }

    private record Range(Bytes key, Bytes end) {
    }

    private final Map<Bytes, SameRange> byKey = new HashMap<>();
    private final Map<Range, SameRange> byRange = new HashMap<>();
    /** The distinct ranges, for iteration without allocation. */
    private final ArrayList<SameRange> ranges = new ArrayList<>();
    private int size;

    void add(Watcher w) {
        SameRange g;
        if (w.isSingleKey()) {
            g = byKey.computeIfAbsent(w.key, k -> new SameRange(k, Bytes.EMPTY));
        } else {
            Range r = new Range(w.key, w.rangeEnd);
            g = byRange.get(r);
            if (g == null) {
                g = new SameRange(w.key, w.rangeEnd);
                byRange.put(r, g);
                ranges.add(g);
            }
        }
        g.watchers.add(w);
        g.variantCounts[w.variant]++;
        size++;
    }

    boolean remove(Watcher w) {
        boolean removed;
        if (w.isSingleKey()) {
            SameRange g = byKey.get(w.key);
            removed = g != null && removeFrom(g, w);
            if (g != null && g.watchers.isEmpty()) {
                byKey.remove(w.key);
            }
        } else {
            Range r = new Range(w.key, w.rangeEnd);
            SameRange g = byRange.get(r);
            removed = g != null && removeFrom(g, w);
            if (g != null && g.watchers.isEmpty()) {
                byRange.remove(r);
                ranges.remove(g);
            }
        }
        if (removed) {
            size--;
        }
        return removed;
    }

    private static boolean removeFrom(SameRange g, Watcher w) {
        if (!g.watchers.remove(w)) {
            return false;
        }
        g.variantCounts[w.variant]--;
        assert g.variantCounts[w.variant] >= 0 : "variant counts follow the watches";
        return true;
    }

    int size() {
        return size;
    }

    /**
     * Appends {@code e} to the {@link SameRange#matched} list of every group whose key or range holds its key; a
     * group whose list was empty is added to {@code touched}.
     */
    void match(Event e, List<SameRange> touched) {
        Bytes key = e.kv().key();
        SameRange exact = byKey.get(key);
        if (exact != null) {
            addMatch(exact, e, touched);
        }
        for (int i = 0, n = ranges.size(); i < n; i++) {
            SameRange g = ranges.get(i);
            if (History.inRange(g.key, g.end, key)) {
                addMatch(g, e, touched);
            }
        }
    }

    private static void addMatch(SameRange g, Event e, List<SameRange> touched) {
        if (g.matched.isEmpty()) {
            touched.add(g);
        }
        g.matched.add(e);
    }

    /** Every watch in the group. */
    List<Watcher> all() {
        List<Watcher> out = new ArrayList<>(size);
        byKey.values().forEach(g -> out.addAll(g.watchers));
        byRange.values().forEach(g -> out.addAll(g.watchers));
        return out;
    }

    void clear() {
        byKey.clear();
        byRange.clear();
        ranges.clear();
        size = 0;
    }
}
