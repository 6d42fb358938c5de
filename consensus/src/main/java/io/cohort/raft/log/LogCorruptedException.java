package io.cohort.raft.log;

import java.nio.file.Path;

/**
 * The log on disk is damaged somewhere other than its torn tail (a record that fails its checksum
 * or format checks is followed by valid records, or entries are missing). Never skipped: the node
 * must not start on such a log. Names the cycle file and the byte position of the bad record.
 */
public final class LogCorruptedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final long positionBytes;

    /** Creates the exception for damage in {@code file} at byte {@code positionBytes} (-1 if unknown). */
    public LogCorruptedException(Path file, long positionBytes, String reason) {
        super("Raft log corrupted in " + file + (positionBytes >= 0 ? " at byte " + positionBytes : "") + ": " + reason);
        this.file = file;
        this.positionBytes = positionBytes;
    }

    /** The cycle file (or log directory) holding the damage. */
    public Path file() {
        return file;
    }

    /** The byte position of the bad record in {@link #file()}, or -1 if not known. */
    public long positionBytes() {
        return positionBytes;
    }
}
