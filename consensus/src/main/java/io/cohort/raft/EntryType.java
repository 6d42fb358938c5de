package io.cohort.raft;

/** What a log entry carries; stored as one byte (its {@link #code()}). */
public enum EntryType {
    /** An opaque command for the {@link StateMachine}. */
    COMMAND((byte) 1),
    /** A membership change, interpreted by the Raft core. */
    CONFIG_CHANGE((byte) 2),
    /** The empty entry a new leader appends to commit entries of earlier terms. */
    EMPTY((byte) 3);

    private final byte code;

    EntryType(byte code) {
        this.code = code;
    }

    /** The byte that stands for this type on disk and on the wire. */
    public byte code() {
        return code;
    }

    /** The type for a stored byte; throws if the byte is not a known type (a corrupt record). */
    public static EntryType fromCode(byte code) {
        switch (code) {
            case 1: return COMMAND;
            case 2: return CONFIG_CHANGE;
            case 3: return EMPTY;
            default: throw new IllegalArgumentException("unknown entry type code " + code);
        }
    }
}
