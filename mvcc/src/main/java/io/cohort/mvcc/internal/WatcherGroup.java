package io.cohort.mvcc.internal;

import io.cohort.mvcc.Bytes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The synced watches, indexed for matching a changed key: single-key watches by key, range watches grouped by their
 * exact range so that many watches of one prefix cost one range check per event.
 */
final class WatcherGroup {
    private final Map<Bytes, List<Watcher>> byKey = new HashMap<>();
    private final Map<Range, List<Watcher>> byRange = new HashMap<>();
    /** The distinct ranges, for iteration without allocation. */
    private final ArrayList<Range> ranges = new ArrayList<>();
    private int size;

    private record Range(Bytes key, Bytes end) {
    }

    void add(Watcher w) {
        if (w.isSingleKey()) {
            byKey.computeIfAbsent(w.key, k -> new ArrayList<>()).add(w);
        } else {
            Range r = new Range(w.key, w.rangeEnd);
            List<Watcher> list = byRange.get(r);
            if (list == null) {
                list = new ArrayList<>();
                byRange.put(r, list);
                ranges.add(r);
            }
            list.add(w);
        }
        size++;
    }

    boolean remove(Watcher w) {
        boolean removed;
        if (w.isSingleKey()) {
            List<Watcher> list = byKey.get(w.key);
            removed = list != null && list.remove(w);
            if (list != null && list.isEmpty()) {
                byKey.remove(w.key);
            }
        } else {
            Range r = new Range(w.key, w.rangeEnd);
            List<Watcher> list = byRange.get(r);
            removed = list != null && list.remove(w);
            if (list != null && list.isEmpty()) {
                byRange.remove(r);
                ranges.remove(r);
            }
        }
        if (removed) {
            size--;
        }
        return removed;
    }

    int size() {
        return size;
    }

    /** Adds every watch whose key or range holds {@code key} to {@code out}. */
    void matching(Bytes key, List<Watcher> out) {
        List<Watcher> exact = byKey.get(key);
        if (exact != null) {
            out.addAll(exact);
        }
        for (int i = 0, n = ranges.size(); i < n; i++) {
            Range r = ranges.get(i);
            if (History.inRange(r.key, r.end, key)) {
                out.addAll(byRange.get(r));
            }
        }
    }

    /** Every watch in the group. */
    List<Watcher> all() {
        List<Watcher> out = new ArrayList<>(size);
        byKey.values().forEach(out::addAll);
        byRange.values().forEach(out::addAll);
        return out;
    }

    void clear() {
        byKey.clear();
        byRange.clear();
        ranges.clear();
        size = 0;
    }
}
