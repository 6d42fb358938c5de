package io.cohort.mvcc;

import java.util.List;

/** Thrown when Cohort is started in a JVM that lacks flags its storage libraries need. */
public final class MissingJvmFlagsException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final transient List<String> missingFlags;

    /** Creates the exception for {@code component}, naming the flags file to use and each missing flag. */
    public MissingJvmFlagsException(String component, String flagsFileName, List<String> missingFlags) {
        super(component + " cannot start: the JVM lacks " + missingFlags.size() + " required flag(s): "
                + String.join(" ", missingFlags)
                + ". Start the JVM with @" + flagsFileName + " (shipped in the cohort-mvcc jar under "
                + "META-INF/cohort/jvm-flags/, see the README).");
        this.missingFlags = List.copyOf(missingFlags);
    }

    /** The flags that were not in effect, as they appear in the flags file. */
    public List<String> missingFlags() {
        return missingFlags;
    }
}
