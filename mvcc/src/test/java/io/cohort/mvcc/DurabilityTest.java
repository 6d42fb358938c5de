package io.cohort.mvcc;

import static io.cohort.mvcc.Ks.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Applied-index idempotence, reopen, and a crash (kill -9 of a child JVM) between batches. */
class DurabilityTest {
    @TempDir
    Path dir;

    static List<Command> batch(long from, long to) {
        List<Command> cmds = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            cmds.add(new Command(i, PutRequest.of(b("k" + (i % 7)), b("v" + i))));
        }
        return cmds;
    }

    @Test
    void reappliedCommandsAreSkippedAlsoAfterReopen() {
        long hash;
        try (Keyspace ks = Keyspace.open(dir, KeyspaceConfig.defaults())) {
            List<ApplyResult> r = ks.apply(batch(1, 10));
            assertThat(r).allMatch(x -> x.status() == ApplyResult.Status.APPLIED);
            List<ApplyResult> again = ks.apply(batch(5, 12));
            assertThat(again).extracting(ApplyResult::status).containsExactly(
                    ApplyResult.Status.SKIPPED, ApplyResult.Status.SKIPPED, ApplyResult.Status.SKIPPED,
                    ApplyResult.Status.SKIPPED, ApplyResult.Status.SKIPPED, ApplyResult.Status.SKIPPED,
                    ApplyResult.Status.APPLIED, ApplyResult.Status.APPLIED);
            assertThat(again.get(0).events()).isEmpty();
            assertThat(again.get(0).response()).isNull();
            // a failed command also consumes its index
            ApplyResult failed = ks.apply(13, PutRequest.of(Bytes.EMPTY, b("x")));
            assertThat(failed.status()).isEqualTo(ApplyResult.Status.FAILED);
            assertThat(ks.appliedIndex()).isEqualTo(13);
            assertThat(ks.currentRevision()).isEqualTo(13);
            hash = ks.hash(0);
        }
        try (Keyspace ks = Keyspace.open(dir, KeyspaceConfig.defaults())) {
            assertThat(ks.appliedIndex()).isEqualTo(13);
            assertThat(ks.currentRevision()).isEqualTo(13);
            assertThat(ks.hash(0)).isEqualTo(hash);
            assertThat(ks.apply(batch(1, 13))).allMatch(x -> x.status() == ApplyResult.Status.SKIPPED);
            assertThat(ks.currentRevision()).isEqualTo(13);
        }
    }

    /** Child JVM: applies batch 1 (indexes 1..10) without sync, reports, then waits to be killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Keyspace ks = Keyspace.open(Path.of(args[0]), KeyspaceConfig.defaults());
            ks.apply(batch(1, 10));
            System.out.println("applied " + ks.appliedIndex());
            System.out.flush();
            Thread.sleep(60_000);
        }
    }

    @Test
    void crashBetweenBatchesKeepsBatchOneAndSkipsItOnReplay() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access")
                    || arg.startsWith("--sun-misc") || arg.startsWith("-Dchronicle")) {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.startsWith("applied")) {
                // skip log lines
            }
            assertThat(line).isEqualTo("applied 10");
            p.destroyForcibly(); // SIGKILL: no close, no sync
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (Keyspace ks = Keyspace.open(dir, KeyspaceConfig.defaults())) {
            assertThat(ks.appliedIndex()).isEqualTo(10);
            assertThat(ks.currentRevision()).isEqualTo(11);
            assertThat(ks.range(RangeRequest.key(b("k3"))).kvs().get(0).value()).isEqualTo(b("v10"));
            List<ApplyResult> replay = ks.apply(batch(1, 20));
            assertThat(replay.subList(0, 10)).allMatch(x -> x.status() == ApplyResult.Status.SKIPPED);
            assertThat(replay.subList(10, 20)).allMatch(x -> x.status() == ApplyResult.Status.APPLIED);
            assertThat(ks.currentRevision()).isEqualTo(21);
            ks.sync();
        }
    }
}
