package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A hub in driven mode delivers nothing until its owner calls doWork, and times progress by the owner's clock. */
class DrivenWatchHubTest {
    @TempDir
    Path dir;

    @Test
    void messagesMoveOnlyWhenTheOwnerDrivesTheHub() {
        long[] nowNanos = {0};
        try (Ks k = new Ks(dir.resolve("ks"));
             WatchHub hub = WatchHub.startDriven(k.ks, WatchHubConfig.defaults().withProgressIntervalMs(100),
                     () -> nowNanos[0])) {
            k.put("a", "1");
            List<WatchResponse> seen = new ArrayList<>();
            hub.watch(WatchRequest.key(b("a")).fromRevision(1).withProgressNotify(), Runnable::run, seen::add);
            ApplyResult r = k.apply(PutRequest.of(b("a"), b("2")));
            hub.publish(List.of(r));
            assertThat(seen).isEmpty();
            int rounds = 0;
            while (hub.doWork() > 0) {
                rounds++;
            }
            assertThat(rounds).isPositive();
            assertThat(seen).extracting(WatchResponse::kind).containsOnly(WatchResponse.Kind.EVENTS);
            assertThat(seen.stream().flatMap(m -> m.events().stream()).map(Event::revision)).containsExactly(2L, 3L);

            assertThat(hub.doWork()).as("nothing due yet").isZero();
            nowNanos[0] += TimeUnit.MILLISECONDS.toNanos(100);
            while (hub.doWork() > 0) {
                // deliver the progress notification
            }
            assertThat(seen.get(seen.size() - 1)).extracting(WatchResponse::kind, WatchResponse::revision)
                    .containsExactly(WatchResponse.Kind.PROGRESS, 3L);
            hub.close();
            assertThat(seen.get(seen.size() - 1).kind()).isEqualTo(WatchResponse.Kind.CANCELLED_CLOSED);
            assertThat(hub.size()).isZero();
        }
    }

    @Test
    void publicationsQueuedForTheDispatcherReachExactlyTheWatchesThatTakeThem() {
        try (Ks k = new Ks(dir.resolve("ks"));
             WatchHub hub = WatchHub.startDriven(k.ks, WatchHubConfig.defaults(), () -> 0L)) {
            k.put("p/1", "old");
            List<WatchResponse> all = new ArrayList<>();
            hub.watch(WatchRequest.range(b("p/"), b("p0")), Runnable::run, all::add);
            ApplyResult first = k.apply(PutRequest.of(b("p/1"), b("v2")));
            long r2 = first.events().get(0).revision();
            hub.publish(List.of(first));
            // Still queued for the dispatcher: a watch of a new filter combination joins the group now, so its
            // lists exist only from the next publication on, which must not be joined with this one for it.
            List<WatchResponse> putsWithPrev = new ArrayList<>();
            hub.watch(WatchRequest.range(b("p/"), b("p0")).withPrevKv().withFilters(false, true), Runnable::run,
                    putsWithPrev::add);
            hub.publish(List.of(k.apply(PutRequest.of(b("p/2"), b("v3")))));
            hub.publish(List.of(k.apply(DeleteRangeRequest.of(b("p/1")))));
            hub.publish(List.of(k.apply(PutRequest.of(b("p/1"), b("v5")))));
            hub.publish(List.of(k.apply(PutRequest.of(b("p/2"), b("v6")))));
            assertThat(all).as("nothing moves before the owner drives the hub").isEmpty();
            while (hub.doWork() > 0) {
                // fan out, deliver
            }
            assertThat(all.stream().flatMap(m -> m.events().stream()).map(Event::revision))
                    .containsExactly(r2, r2 + 1, r2 + 2, r2 + 3, r2 + 4);
            assertThat(putsWithPrev.stream().flatMap(m -> m.events().stream()))
                    .extracting(Event::revision, e -> e.kv().value().toStringUtf8(),
                            e -> e.previous().map(kv -> kv.value().toStringUtf8()).orElse("none"))
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(r2 + 1, "v3", "none"),
                            org.assertj.core.groups.Tuple.tuple(r2 + 3, "v5", "none"),
                            org.assertj.core.groups.Tuple.tuple(r2 + 4, "v6", "v3"));
        }
    }

    @Test
    void aThreadedHubRefusesToBeDriven() {
        try (Ks k = new Ks(dir.resolve("ks")); WatchHub hub = WatchHub.start(k.ks, WatchHubConfig.defaults(), "w")) {
            assertThatThrownBy(hub::doWork).isInstanceOf(IllegalStateException.class).hasMessageContaining("startDriven");
        }
    }
}
