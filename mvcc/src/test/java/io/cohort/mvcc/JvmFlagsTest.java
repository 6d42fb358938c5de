package io.cohort.mvcc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class JvmFlagsTest {

    @Test
    void theTestJvmHasEveryRequiredFlag() {
        assertThat(JvmFlags.required()).isNotEmpty().contains("--add-opens=java.base/java.nio=ALL-UNNAMED");
        assertThat(JvmFlags.missing()).isEmpty();
    }

    @Test
    void aJvmWithoutTheFlagsIsToldWhichAreMissing() throws Exception {
        // A child JVM without the flags, on our class path, calls require() and prints the outcome.
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            r.lines().forEach(l -> out.append(l).append('\n'));
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out.toString())
                .contains("the JVM lacks")
                .contains("--add-opens=java.base/java.nio=ALL-UNNAMED")
                .contains("--add-exports=java.base/sun.nio.ch=ALL-UNNAMED")
                .contains("-Dchronicle.analytics.disable=true")
                .contains("@" + JvmFlags.flagsFileName());
        assertThat(p.exitValue()).isEqualTo(3);
    }

    /** Entry point of the child JVM. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                JvmFlags.require("test keyspace");
                System.out.println("no error");
                System.exit(0);
            } catch (MissingJvmFlagsException e) {
                System.out.println(e.getMessage());
                System.exit(e.missingFlags().isEmpty() ? 4 : 3);
            }
        }
    }

    @Test
    void theShippedFlagsFilesMatchTheVerifiedLists() throws Exception {
        Path shared = Path.of(System.getProperty("user.dir")).resolve("../../shared/jvm-flags");
        if (!shared.toFile().isDirectory()) {
            return; // Outside the workplace layout there is nothing to compare with.
        }
        for (String name : List.of("jdk17.flags", "jdk25.flags")) {
            Path shipped = Path.of("src/main/resources/META-INF/cohort/jvm-flags", name);
            assertThat(shipped).hasSameTextualContentAs(shared.resolve(name));
        }
        assertThat(new File("src/main/resources/META-INF/cohort/jvm-flags").list()).hasSize(2);
    }
}
