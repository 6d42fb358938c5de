package io.cohort.sim;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The election and lock check catches hand-made bad wins over a hand-made history, and passes good ones. */
class RecipeCheckTest {
    static final String P = "lock/x/";
    static final Bytes A = Bytes.ofUtf8(P + "a");
    static final Bytes B = Bytes.ofUtf8(P + "b");
    static final WatchStreamCheck.Failer THROW = what -> {
        throw new AssertionError(what);
    };

    final WriteHistory history = new WriteHistory();

    // 2: put a (A's place), 3: put b (B's place), 4: delete a (A resigns), 5: delete b.
    RecipeCheckTest() {
        history.record(List.of(new Event(Event.Type.PUT, new KeyValue(A, 2, 2, 1, Bytes.EMPTY, 7), null)));
        history.record(List.of(new Event(Event.Type.PUT, new KeyValue(B, 3, 3, 1, Bytes.EMPTY, 8), null)));
        history.record(List.of(new Event(Event.Type.DELETE, new KeyValue(A, 0, 4, 0, Bytes.EMPTY, 0), null)));
        history.record(List.of(new Event(Event.Type.DELETE, new KeyValue(B, 0, 5, 0, Bytes.EMPTY, 0), null)));
    }

    @Test
    void successiveHoldersPass() {
        RecipeCheck check = new RecipeCheck(P, history, THROW);
        assertThatCode(() -> {
            check.won("A", A, 2, 3);
            check.won("B", B, 3, 4);
            check.verify();
        }).doesNotThrowAnyException();
    }

    @Test
    void aWinWhileAnOlderKeyIsThereIsCaught() {
        RecipeCheck check = new RecipeCheck(P, history, THROW);
        assertThatThrownBy(() -> check.won("B", B, 3, 3)).hasMessageContaining("created earlier at 2");
    }

    @Test
    void aWinWithTheOwnKeyGoneIsCaught() {
        RecipeCheck check = new RecipeCheck(P, history, THROW);
        assertThatThrownBy(() -> check.won("A", A, 2, 4)).hasMessageContaining("is gone");
    }

    @Test
    void overlappingLeadershipsAreCaught() {
        // The per-win check would catch B's win at 3; a lenient failer lets verify() see the overlap itself.
        StringBuilder failures = new StringBuilder();
        RecipeCheck check = new RecipeCheck(P, history, what -> failures.append(what).append('\n'));
        check.won("A", A, 2, 2);
        check.won("B", B, 3, 3);
        failures.setLength(0);
        check.verify();
        org.assertj.core.api.Assertions.assertThat(failures.toString()).contains("two leaders at once");
    }

    @Test
    void fencingTokensGoingBackAreCaught() {
        StringBuilder failures = new StringBuilder();
        RecipeCheck check = new RecipeCheck(P, history, what -> failures.append(what).append('\n'));
        check.won("B", B, 3, 4);
        check.won("A", A, 2, 5);
        failures.setLength(0);
        check.verify();
        org.assertj.core.api.Assertions.assertThat(failures.toString()).contains("not strictly increasing");
    }
}
