package io.cohort.sim;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import io.cohort.mvcc.WatchResponse.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks one client's watch stream — its first watch and every watch it resumed with — against etcd's six watch
 * guarantees and against the committed {@link WriteHistory}:
 *
 * <ul>
 *   <li>ordered: revisions strictly increase along the stream;</li>
 *   <li>unique: no revision is delivered twice (nor after a bookmark that covered it);</li>
 *   <li>atomic: a revision's events arrive in one message, all of them (a split shows up as the rest arriving
 *       again under the same revision);</li>
 *   <li>reliable: between two delivered revisions, no committed revision with events the watch matches is
 *       skipped; every delivered event is exactly the committed put or delete at its revision (value, create and mod
 *       revision, version, lease; prev kv when asked, by etcd's watch rule);</li>
 *   <li>resumable: a cancellation's resume revision skips no matching event and repeats none, and the next watch
 *       starts there (or, after a disconnect, from the last seen revision + 1);</li>
 *   <li>bookmarkable: a progress notification at R comes after every matching event up to R, and R is no
 *       further than history reached (or than the watch's own start).</li>
 * </ul>
 *
 * A cancellation as compacted must name a committed compaction revision above the stream's next revision: only
 * then may the resumed stream start past a gap. Tombstones at exactly a compaction revision are not required
 * (compaction removes them, as etcd's does); every other event is.
 */
final class WatchStreamCheck {
    /** How a violation is reported (the simulation fails the run; a unit test throws). */
    interface Failer {
        void fail(String what);
    }

    private final String name;
    private final WriteHistory history;
    private final WatchRequest spec;
    private final Failer failer;
    /** The lowest revision not yet covered by a delivered event or a bookmark. */
    private long next = -1;
    private long lastDelivered;
    private long startRevision;
    /** After a cancellation: the resume revision it named; -1 while a watch is open. */
    private long cancelledResume = -1;
    private Kind cancelledKind;
    long eventsDelivered;
    long progressNotifications;
    long resumes;
    long compactedCancels;

    WatchStreamCheck(String name, WriteHistory history, WatchRequest spec, Failer failer) {
        this.name = name;
        this.history = history;
        this.spec = spec;
        this.failer = failer;
    }

    /** The stream's first watch was created; {@code startRevision <= 0} meant "from the creation revision + 1". */
    void started(long startRevision, long createdRevision) {
        next = startRevision <= 0 ? createdRevision + 1 : startRevision;
        this.startRevision = next;
    }

    /** The revision a client resumes from after a disconnect: the last seen revision + 1 (bookmarks count). */
    long next() {
        return next;
    }

    /** The resume revision the last cancellation named, or -1 if the stream is not cancelled. */
    long cancelledResume() {
        return cancelledResume;
    }

    /** The kind of the last cancellation (null if never cancelled). */
    Kind cancelledKind() {
        return cancelledKind;
    }

    /** The client opens a new watch from {@code from}: after a cancellation, or after losing its node. */
    void resumed(long from) {
        if (cancelledKind == Kind.CANCELLED_COMPACTED && cancelledResume >= 0) {
            if (from != cancelledResume) {
                fail("resumable", "after a compacted cancellation at " + cancelledResume + " the client resumed from "
                        + from);
            }
            // The gap [next, from) was compacted away (checked at the cancellation): the client re-reads it.
            next = from;
        } else {
            if (from <= lastDelivered) {
                fail("unique", "resumed from " + from + " though revision " + lastDelivered + " was delivered");
            }
            long skipped = firstRequired(next, from - 1);
            if (skipped > 0) {
                fail("resumable", "resumed from " + from + " skipping revision " + skipped + "'s events");
            }
            next = Math.max(next, from);
        }
        startRevision = from;
        cancelledResume = -1;
        resumes++;
    }

    /** One message of the stream's current watch. */
    void onMessage(WatchResponse m) {
        if (next < 0) {
            fail("ordered", "a message before the watch was created: " + m);
        }
        if (cancelledResume >= 0) {
            fail("ordered", "a message after the cancellation: " + m);
        }
        switch (m.kind()) {
            case EVENTS -> events(m);
            case PROGRESS -> progress(m.revision());
            default -> cancelled(m.kind(), m.revision());
        }
    }

    private void events(WatchResponse m) {
        List<Event> events = m.events();
        if (events.isEmpty()) {
            fail("reliable", "an EVENTS message without events at revision " + m.revision());
        }
        long lastInMessage = events.get(events.size() - 1).revision();
        if (m.revision() < lastInMessage) {
            fail("ordered", "the message's header revision " + m.revision() + " is below its last event's "
                    + lastInMessage);
        }
        if (m.revision() > history.latestRevision()) {
            fail("reliable", "the message's header revision " + m.revision() + " was never committed (latest "
                    + history.latestRevision() + ")");
        }
        int i = 0;
        while (i < events.size()) {
            long r = events.get(i).revision();
            int j = i;
            while (j < events.size() && events.get(j).revision() == r) {
                j++;
            }
            revision(r, events.subList(i, j));
            i = j;
        }
        eventsDelivered += events.size();
    }

    private void revision(long r, List<Event> delivered) {
        if (r <= lastDelivered) {
            fail("ordered/unique/atomic", "revision " + r + " delivered after revision " + lastDelivered
                    + " (out of order, twice, or a revision split across messages)");
        }
        if (r < next) {
            fail("unique/bookmarkable", "revision " + r + " delivered though the stream was already at " + next
                    + " (a bookmark or resume had covered it)");
        }
        long skipped = firstRequired(next, r - 1);
        if (skipped > 0) {
            fail("reliable", "revision " + r + " delivered but the matching events of revision " + skipped
                    + " never were: " + matching(skipped));
        }
        List<Event> allowed = matching(r);
        int a = 0;
        for (Event e : delivered) {
            int found = a;
            while (found < allowed.size() && !sameChange(allowed.get(found), e)) {
                found++;
            }
            if (found == allowed.size()) {
                fail("reliable", "at revision " + r + " the event " + e + " is not the committed change (committed,"
                        + " matching: " + allowed + ", in order)");
            }
            for (; a < found; a++) {
                if (required(r, allowed.get(a))) {
                    fail("atomic/reliable", "at revision " + r + " the committed event " + allowed.get(a)
                            + " is missing; delivered " + delivered + ", committed (matching) " + allowed);
                }
            }
            checkPrevKv(r, e);
            a++;
        }
        for (; a < allowed.size(); a++) {
            if (required(r, allowed.get(a))) {
                fail("atomic/reliable", "at revision " + r + " the committed event " + allowed.get(a)
                        + " is missing; delivered " + delivered);
            }
        }
        lastDelivered = r;
        next = r + 1;
    }

    private void progress(long r) {
        if (r < lastDelivered) {
            fail("bookmarkable", "a progress notification at " + r + " after an event at " + lastDelivered);
        }
        long skipped = firstRequired(next, r);
        if (skipped > 0) {
            fail("bookmarkable", "a progress notification at " + r + " but the matching events of revision "
                    + skipped + " were never delivered: " + matching(skipped));
        }
        if (r > Math.max(history.latestRevision(), startRevision - 1)) {
            fail("bookmarkable", "a progress notification at " + r + " beyond the latest committed revision "
                    + history.latestRevision() + " (the watch started at " + startRevision + ")");
        }
        next = Math.max(next, r + 1);
        progressNotifications++;
    }

    private void cancelled(Kind kind, long resume) {
        if (kind == Kind.CANCELLED_COMPACTED) {
            if (!history.isCompaction(resume)) {
                fail("reliable", "cancelled as compacted at " + resume + ", which is no committed compaction revision"
                        + " (max " + history.maxCompaction() + ")");
            }
            if (next >= resume) {
                fail("reliable", "cancelled as compacted at " + resume + " though the stream's next revision " + next
                        + " is retained");
            }
            compactedCancels++;
        } else {
            if (resume <= lastDelivered) {
                fail("resumable", kind + " names resume revision " + resume + " though revision " + lastDelivered
                        + " was delivered");
            }
            long skipped = firstRequired(next, resume - 1);
            if (skipped > 0) {
                fail("resumable", kind + " names resume revision " + resume + ", skipping the matching events of "
                        + "revision " + skipped + ": " + matching(skipped));
            }
            if (resume > Math.max(history.latestRevision() + 1, next)) {
                fail("resumable", kind + " names resume revision " + resume + " beyond the latest committed "
                        + history.latestRevision() + " + 1");
            }
        }
        cancelledResume = resume;
        cancelledKind = kind;
    }

    /**
     * At the end, after the stream's node applied everything up to {@code nodeRevision} and the stream answered a
     * progress request: every matching event up to it was delivered.
     */
    void caughtUpTo(long nodeRevision) {
        if (next <= nodeRevision) {
            long missing = firstRequired(next, nodeRevision);
            fail("reliable", "at the end the stream is at " + next + " but its node is at revision " + nodeRevision
                    + (missing > 0 ? "; revision " + missing + "'s events were never delivered" : "")
                    + " (no progress notification covered it)");
        }
    }

    // ------------------------------------------------------------------ the model

    /** The first revision in {@code [from, to]} with an event the stream must deliver, or 0. */
    private long firstRequired(long from, long to) {
        for (long r : history.revisionsIn(Math.max(from, 1), to)) {
            for (Event e : matching(r)) {
                if (required(r, e)) {
                    return r;
                }
            }
        }
        return 0;
    }

    /** A tombstone at exactly a compaction revision may be gone (compaction removes it), so it is not required. */
    private boolean required(long r, Event e) {
        return !(e.type() == Event.Type.DELETE && history.isCompaction(r));
    }

    /** The committed events of revision {@code r} the watch's range and filters select, in order. */
    List<Event> matching(long r) {
        List<Event> out = new ArrayList<>();
        for (Event e : history.eventsAt(r)) {
            if (inRange(e.kv().key()) && !(spec.noPut() && e.type() == Event.Type.PUT)
                    && !(spec.noDelete() && e.type() == Event.Type.DELETE)) {
                out.add(e);
            }
        }
        return out;
    }

    private boolean inRange(Bytes key) {
        if (spec.rangeEnd().isEmpty()) {
            return key.equals(spec.key());
        }
        boolean toEnd = spec.rangeEnd().size() == 1 && spec.rangeEnd().toStringUtf8().equals("\0");
        return spec.key().compareTo(key) <= 0 && (toEnd || key.compareTo(spec.rangeEnd()) < 0);
    }

    private static boolean sameChange(Event committed, Event delivered) {
        if (committed.type() != delivered.type() || !committed.kv().key().equals(delivered.kv().key())
                || committed.kv().modRevision() != delivered.kv().modRevision()) {
            return false;
        }
        return committed.type() == Event.Type.DELETE || sameState(committed.kv(), delivered.kv());
    }

    private static boolean sameState(KeyValue a, KeyValue b) {
        return a.key().equals(b.key()) && a.createRevision() == b.createRevision() && a.modRevision() == b.modRevision()
                && a.version() == b.version() && a.value().equals(b.value()) && a.lease() == b.lease();
    }

    /** etcd's watch rule: with prev kv asked, the key's state before the event (none for a create or if compacted). */
    private void checkPrevKv(long r, Event e) {
        KeyValue got = e.prevKv();
        if (!spec.prevKv()) {
            if (got != null) {
                fail("reliable", "revision " + r + ": a prev kv " + got + " though the watch did not ask for one");
            }
            return;
        }
        KeyValue before = history.stateBefore(e.kv().key(), r);
        if (got != null) {
            if (before == null || !sameState(before, got)) {
                fail("reliable", "revision " + r + ": prev kv " + got + " of " + e + " but the committed state before "
                        + "was " + before);
            }
        } else if (before != null && !e.isCreate() && r - 1 >= history.maxCompaction()) {
            fail("reliable", "revision " + r + ": no prev kv for " + e + " though the state before, " + before
                    + ", is retained");
        }
    }

    private void fail(String guarantee, String what) {
        failer.fail("watch " + name + " (" + describe() + "): " + guarantee + " violated: " + what);
    }

    private String describe() {
        return "key=" + spec.key() + " rangeEnd=" + spec.rangeEnd() + (spec.prevKv() ? " prevKv" : "")
                + (spec.noPut() ? " noPut" : "") + (spec.noDelete() ? " noDelete" : "") + ", started at "
                + startRevision + ", next " + next + ", last delivered " + lastDelivered;
    }

    @Override
    public String toString() {
        return Objects.toString(name) + ": " + describe();
    }
}
