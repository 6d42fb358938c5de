package io.cohort.sim;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.mvcc.Bytes;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lease revocation checks catch hand-made bad revocations and pass a correct one. */
class LeaseRevokeCheckTest {
    static final WatchStreamCheck.Failer THROW = what -> {
        throw new AssertionError(what);
    };

    static Event delete(String key, long revision) {
        return new Event(Event.Type.DELETE, new KeyValue(Bytes.ofUtf8(key), 0, revision, 0, Bytes.EMPTY, 0), null);
    }

    static List<Bytes> keys(String... keys) {
        return java.util.Arrays.stream(keys).map(Bytes::ofUtf8).toList();
    }

    /** Lease 7, TTL 2 s, last kept alive at 10,000 ms. */
    static LeaseClients.LeaseModel lease() {
        return new LeaseClients.LeaseModel(7, 2, 10_000);
    }

    @Test
    void aCorrectExpiryPasses() {
        assertThatCode(() -> LeaseClients.checkRevoke(7, List.of(delete("a", 5), delete("b", 5)), keys("a", "b"), true,
                12_000, lease(), THROW)).doesNotThrowAnyException();
    }

    @Test
    void anExpiryWithinTheTtlAfterAKeepAliveIsCaught() {
        assertThatThrownBy(() -> LeaseClients.checkRevoke(7, List.of(delete("a", 5)), keys("a"), true, 11_999, lease(),
                THROW)).hasMessageContaining("within its TTL");
    }

    @Test
    void keysDeletedAtTwoRevisionsAreCaught() {
        assertThatThrownBy(() -> LeaseClients.checkRevoke(7, List.of(delete("a", 5), delete("b", 6)), keys("a", "b"),
                true, 12_000, lease(), THROW)).hasMessageContaining("not at one");
    }

    @Test
    void aKeyLeftBehindIsCaught() {
        assertThatThrownBy(() -> LeaseClients.checkRevoke(7, List.of(delete("a", 5)), keys("a", "b"), true, 12_000,
                lease(), THROW)).hasMessageContaining("the keys bound to it were");
    }

    @Test
    void aKeyOfAnotherLeaseDeletedIsCaught() {
        assertThatThrownBy(() -> LeaseClients.checkRevoke(7, List.of(delete("a", 5), delete("x", 5)), keys("a"), false,
                12_000, lease(), THROW)).hasMessageContaining("the keys bound to it were");
    }
}
