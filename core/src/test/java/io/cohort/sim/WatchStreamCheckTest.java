package io.cohort.sim;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.mvcc.WatchRequest;
import io.cohort.mvcc.WatchResponse;
import io.cohort.mvcc.WatchResponse.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The watch stream checker catches each kind of violation in a hand-made stream over a hand-made history, and
 * passes a correct one: so a green simulation means something.
 */
class WatchStreamCheckTest {
    // History: 2 put a (create), 3 put b (create), 4 txn put a + put b, 5 delete a, 6 put c (outside [a, c)).
    static final Event A2 = put("a", 2, 2, 1, "a1");
    static final Event B3 = put("b", 3, 3, 1, "b1");
    static final Event A4 = put("a", 2, 4, 2, "a2");
    static final Event B4 = put("b", 3, 4, 2, "b2");
    static final Event A5 = new Event(Event.Type.DELETE, new KeyValue(b("a"), 0, 5, 0, Bytes.EMPTY, 0), null);
    static final Event C6 = put("c", 6, 6, 1, "c1");

    final WriteHistory history = new WriteHistory();

    WatchStreamCheckTest() {
        history.record(List.of(A2));
        history.record(List.of(B3));
        history.record(List.of(A4, B4));
        history.record(List.of(A5));
        history.record(List.of(C6));
    }

    static Bytes b(String s) {
        return Bytes.ofUtf8(s);
    }

    static Event put(String key, long create, long mod, long version, String value) {
        return new Event(Event.Type.PUT, new KeyValue(b(key), create, mod, version, b(value), 0), null);
    }

    static WatchResponse events(long header, Event... events) {
        return new WatchResponse(1, Kind.EVENTS, header, List.of(events), "");
    }

    static WatchResponse progress(long revision) {
        return new WatchResponse(1, Kind.PROGRESS, revision, List.of(), "");
    }

    static WatchResponse cancelled(Kind kind, long revision) {
        return new WatchResponse(1, kind, revision, List.of(), "test");
    }

    /** A watch of [a, c) from revision 2. */
    WatchStreamCheck rangeWatch(boolean prevKv) {
        WatchRequest spec = WatchRequest.range(b("a"), b("c"));
        WatchStreamCheck check = new WatchStreamCheck("test", history, prevKv ? spec.withPrevKv() : spec, what -> {
            throw new AssertionError(what);
        });
        check.started(2, 6);
        return check;
    }

    @Test
    void aCorrectStreamPasses() {
        WatchStreamCheck check = rangeWatch(false);
        assertThatCode(() -> {
            check.onMessage(events(6, A2));
            check.onMessage(events(6, B3, A4, B4));
            check.onMessage(progress(4));
            check.onMessage(events(6, A5));
            check.onMessage(progress(6));
            check.onMessage(cancelled(Kind.CANCELLED_BY_REQUEST, 7));
            check.resumed(7);
            check.caughtUpTo(6);
        }).doesNotThrowAnyException();
    }

    @Test
    void outOfOrderIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3, A4, B4));
        assertThatThrownBy(() -> check.onMessage(events(6, B3))).hasMessageContaining("ordered");
    }

    @Test
    void aHeaderRevisionBelowItsEventsIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        assertThatThrownBy(() -> check.onMessage(events(1, A2))).hasMessageContaining("ordered");
    }

    @Test
    void aDuplicateIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2));
        assertThatThrownBy(() -> check.onMessage(events(6, A2))).hasMessageContaining("unique");
    }

    @Test
    void aRevisionSplitAcrossMessagesIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3));
        assertThatThrownBy(() -> check.onMessage(events(6, A4))).hasMessageContaining("atomic");
    }

    @Test
    void aGapIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2));
        assertThatThrownBy(() -> check.onMessage(events(6, A4, B4))).hasMessageContaining("reliable violated")
                .hasMessageContaining("revision 3");
    }

    @Test
    void anEventThatIsNotTheCommittedChangeIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        assertThatThrownBy(() -> check.onMessage(events(6, put("a", 2, 2, 1, "other"))))
                .hasMessageContaining("reliable violated").hasMessageContaining("not the committed change");
    }

    @Test
    void anEventOutsideTheWatchedRangeIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3, A4, B4, A5));
        assertThatThrownBy(() -> check.onMessage(events(6, C6))).hasMessageContaining("not the committed change");
    }

    @Test
    void aWrongPrevKvIsCaught() {
        WatchStreamCheck check = rangeWatch(true);
        check.onMessage(events(6, A2, B3));
        Event wrongPrev = A4.withPrevKv(new KeyValue(b("a"), 2, 2, 1, b("not-a1"), 0));
        assertThatThrownBy(() -> check.onMessage(events(6, wrongPrev, B4.withPrevKv(B3.kv()))))
                .hasMessageContaining("prev kv");
    }

    @Test
    void aMissingPrevKvIsCaught() {
        WatchStreamCheck check = rangeWatch(true);
        check.onMessage(events(6, A2, B3));
        assertThatThrownBy(() -> check.onMessage(events(6, A4.withPrevKv(A2.kv()), B4)))
                .hasMessageContaining("no prev kv");
    }

    @Test
    void aBookmarkBeforeAnUndeliveredEventIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2));
        assertThatThrownBy(() -> check.onMessage(progress(4))).hasMessageContaining("bookmarkable");
    }

    @Test
    void aBookmarkBeyondHistoryIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3, A4, B4, A5));
        assertThatThrownBy(() -> check.onMessage(progress(9))).hasMessageContaining("bookmarkable");
    }

    @Test
    void aResumeRevisionThatSkipsEventsIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2));
        assertThatThrownBy(() -> check.onMessage(cancelled(Kind.CANCELLED_SLOW_CONSUMER, 4)))
                .hasMessageContaining("resumable");
    }

    @Test
    void aResumeRevisionThatRepeatsEventsIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3));
        assertThatThrownBy(() -> check.onMessage(cancelled(Kind.CANCELLED_CLOSED, 3))).hasMessageContaining("resumable");
    }

    @Test
    void resumingPastTheLastSeenRevisionIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2));
        assertThatThrownBy(() -> check.resumed(4)).hasMessageContaining("resumable");
    }

    @Test
    void aCompactedCancellationAtNoCompactionIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        assertThatThrownBy(() -> check.onMessage(cancelled(Kind.CANCELLED_COMPACTED, 4)))
                .hasMessageContaining("no committed compaction");
    }

    @Test
    void aCompactedCancellationOfRetainedHistoryIsCaught() {
        history.compacted(3);
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3));
        assertThatThrownBy(() -> check.onMessage(cancelled(Kind.CANCELLED_COMPACTED, 3))).hasMessageContaining("retained");
    }

    @Test
    void aCompactedCancellationLetsTheStreamResumeAtTheCompactedRevision() {
        history.compacted(4);
        WatchStreamCheck check = rangeWatch(false);
        assertThatCode(() -> {
            check.onMessage(cancelled(Kind.CANCELLED_COMPACTED, 4));
            check.resumed(4);
            check.onMessage(events(6, A4, B4, A5));
            check.onMessage(progress(6));
            check.caughtUpTo(6);
        }).doesNotThrowAnyException();
    }

    @Test
    void aMessageAfterTheCancellationIsCaught() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(cancelled(Kind.CANCELLED_BY_REQUEST, 2));
        assertThatThrownBy(() -> check.onMessage(events(6, A2))).hasMessageContaining("after the cancellation");
    }

    @Test
    void aStreamThatStopsShortIsCaughtAtTheEnd() {
        WatchStreamCheck check = rangeWatch(false);
        check.onMessage(events(6, A2, B3));
        assertThatThrownBy(() -> check.caughtUpTo(6)).hasMessageContaining("reliable").hasMessageContaining("revision 4");
    }
}
