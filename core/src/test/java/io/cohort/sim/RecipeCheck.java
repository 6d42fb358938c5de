package io.cohort.sim;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.KeyValue;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks an election's (or a lock's) wins against the committed {@link WriteHistory}. A contender that wins believes,
 * at the revision its last read was served at, that its key is the oldest under the prefix; it leads (holds) from
 * there until its key goes. Checked:
 *
 * <ul>
 *   <li>at its win revision, the winner's key exists with its create revision (the fencing token) and no key under
 *       the prefix is older: so at most one contender believes it leads at any revision;</li>
 *   <li>the leaderships, each from its win revision until its key is deleted, never overlap;</li>
 *   <li>in the order they were won, the fencing tokens strictly increase.</li>
 * </ul>
 */
final class RecipeCheck {
    /** One win: {@code who} believes it leads from {@code revision} on, with {@code key} created at {@code token}. */
    record Win(String who, Bytes key, long token, long revision) {
    }

    private final String prefix;
    private final WriteHistory history;
    private final WatchStreamCheck.Failer failer;
    private final List<Win> wins = new ArrayList<>();

    RecipeCheck(String prefix, WriteHistory history, WatchStreamCheck.Failer failer) {
        this.prefix = prefix;
        this.history = history;
        this.failer = failer;
    }

    /** {@code who} read at {@code revision} that no key older than its own is left: it believes it leads. */
    void won(String who, Bytes key, long token, long revision) {
        Win w = new Win(who, key, token, revision);
        wins.add(w);
        KeyValue own = null;
        for (KeyValue kv : history.liveWithPrefix(prefix, revision)) {
            if (kv.key().equals(key)) {
                own = kv;
            } else if (kv.createRevision() < token) {
                failer.fail(prefix + ": " + who + " believes it leads at revision " + revision + " (token " + token
                        + ") but " + kv.key() + ", created earlier at " + kv.createRevision() + ", is still there");
            }
        }
        if (own == null || own.createRevision() != token) {
            failer.fail(prefix + ": " + who + " believes it leads at revision " + revision + " with token " + token
                    + " but its key " + key + " is " + (own == null ? "gone" : "another, created at "
                    + own.createRevision()) + " at that revision: another contender may lead at the same time");
        }
    }

    /** At the end: leaderships never overlap, and fencing tokens strictly increase in the order of the wins. */
    void verify() {
        List<Win> byRevision = new ArrayList<>(wins);
        byRevision.sort(Comparator.comparingLong(Win::revision).thenComparingLong(Win::token));
        for (int i = 1; i < byRevision.size(); i++) {
            Win before = byRevision.get(i - 1);
            Win after = byRevision.get(i);
            long end = history.endOfIncarnation(before.key(), before.token(), before.revision());
            if (end > after.revision()) {
                failer.fail(prefix + ": " + before.who() + " leads from revision " + before.revision() + " until "
                        + (end == Long.MAX_VALUE ? "the end" : "revision " + end) + ", but " + after.who()
                        + " believes it leads from revision " + after.revision() + ": two leaders at once");
            }
            if (after.token() <= before.token()) {
                failer.fail(prefix + ": fencing token went from " + before.token() + " (" + before.who() + ", won at "
                        + before.revision() + ") to " + after.token() + " (" + after.who() + ", won at "
                        + after.revision() + "): not strictly increasing");
            }
        }
    }

    int wins() {
        return wins.size();
    }
}
