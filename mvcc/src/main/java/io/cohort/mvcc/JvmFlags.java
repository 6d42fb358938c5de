package io.cohort.mvcc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Checks that the JVM runs with the flags Cohort's libraries (LMDB, Chronicle Queue, Agrona) need.
 *
 * <p>The verified lists ship inside this jar as {@code META-INF/cohort/jvm-flags/jdk17.flags} (JDK
 * 17 to 24) and {@code jdk25.flags} (JDK 25 and later); pass one to the JVM with {@code java @file}.
 * A keyspace or node opened without them fails at once with {@link MissingJvmFlagsException}
 * naming every missing flag, rather than failing later inside a library.
 */
public final class JvmFlags {
    private static final String RESOURCE_DIR = "/META-INF/cohort/jvm-flags/";

    private static volatile boolean verified;

    private JvmFlags() {
    }

    /** The name of the flags file that fits the running JDK ({@code jdk17.flags} or {@code jdk25.flags}). */
    public static String flagsFileName() {
        return Runtime.version().feature() >= 25 ? "jdk25.flags" : "jdk17.flags";
    }

    /** The flags Cohort needs on the running JDK, one per element, as in the shipped file. */
    public static List<String> required() {
        String name = RESOURCE_DIR + flagsFileName();
        try (InputStream in = JvmFlags.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the Cohort jar is missing its JVM flags resource " + name);
            }
            List<String> flags = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    String flag = line.strip();
                    if (!flag.isEmpty() && !flag.startsWith("#")) {
                        flags.add(flag);
                    }
                }
            }
            return List.copyOf(flags);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the JVM flags resource " + name, e);
        }
    }

    /** The required flags that the running JVM lacks (empty when all are in effect). */
    public static List<String> missing() {
        List<String> missing = new ArrayList<>();
        List<String> inputArguments = null;
        for (String flag : required()) {
            boolean present;
            if (flag.startsWith("--add-opens=") || flag.startsWith("--add-exports=")) {
                present = moduleAccessInEffect(flag);
            } else if (flag.startsWith("-D")) {
                int eq = flag.indexOf('=');
                String key = flag.substring(2, eq < 0 ? flag.length() : eq);
                String value = eq < 0 ? "" : flag.substring(eq + 1);
                present = value.equals(System.getProperty(key));
            } else if (flag.startsWith("--enable-native-access=")) {
                present = nativeAccessEnabled();
            } else {
                if (inputArguments == null) {
                    inputArguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
                }
                present = inputArguments.contains(flag);
            }
            if (!present) {
                missing.add(flag);
            }
        }
        return missing;
    }

    /**
     * Throws {@link MissingJvmFlagsException} naming every missing flag if the JVM lacks any;
     * {@code component} says what was being opened. Cheap after the first success.
     */
    public static void require(String component) {
        if (verified) {
            return;
        }
        List<String> missing = missing();
        if (!missing.isEmpty()) {
            throw new MissingJvmFlagsException(component, flagsFileName(), missing);
        }
        verified = true;
    }

    /** True if an {@code --add-opens/--add-exports=module/package=ALL-UNNAMED} flag is in effect for our module. */
    private static boolean moduleAccessInEffect(String flag) {
        boolean opens = flag.startsWith("--add-opens=");
        String spec = flag.substring(flag.indexOf('=') + 1);
        int slash = spec.indexOf('/');
        int eq = spec.indexOf('=');
        if (slash < 0 || eq < slash) {
            throw new IllegalStateException("malformed JVM flag in Cohort's flags file: " + flag);
        }
        String moduleName = spec.substring(0, slash);
        String packageName = spec.substring(slash + 1, eq);
        Optional<Module> module = ModuleLayer.boot().findModule(moduleName);
        if (module.isEmpty()) {
            // A module absent from this runtime (e.g. jdk.compiler on a JRE): its flag cannot matter.
            return true;
        }
        Module self = JvmFlags.class.getModule();
        return opens ? module.get().isOpen(packageName, self) : module.get().isExported(packageName, self);
    }

    private static boolean nativeAccessEnabled() {
        if (Runtime.version().feature() < 22) {
            return true; // No restriction on native access before JDK 22.
        }
        try {
            Method m = Module.class.getMethod("isNativeAccessEnabled");
            return (Boolean) m.invoke(JvmFlags.class.getModule());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot query native access on JDK " + Runtime.version(), e);
        }
    }
}
