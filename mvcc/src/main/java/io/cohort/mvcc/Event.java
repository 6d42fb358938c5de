package io.cohort.mvcc;

import java.util.Objects;
import java.util.Optional;

/**
 * One change to one key at one revision.
 *
 * <p>A DELETE event's {@code kv} holds only the key and the delete's revision as mod revision.
 *
 * @param type PUT or DELETE
 * @param kv the key's new state
 * @param prevKv the key's previous state when it was asked for and known, else null
 */
public record Event(Type type, KeyValue kv, KeyValue prevKv) {
    /** The kind of change. */
    public enum Type {
        /** A put. */
        PUT,
        /** A delete (tombstone). */
        DELETE
    }

    /** Checks the fields. */
    public Event {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kv, "kv");
    }

    /** The previous state, if present. */
    public Optional<KeyValue> previous() {
        return Optional.ofNullable(prevKv);
    }

    /** This event with {@code prev} as previous state. */
    public Event withPrevKv(KeyValue prev) {
        return new Event(type, kv, prev);
    }

    /** The revision of the change. */
    public long revision() {
        return kv.modRevision();
    }

    /** True for a PUT that created the key (etcd's {@code IsCreateEvent}). */
    public boolean isCreate() {
        return type == Type.PUT && kv.createRevision() == kv.modRevision();
    }
}
