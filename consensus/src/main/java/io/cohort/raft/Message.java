package io.cohort.raft;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An immutable Raft message. Fields not used by a {@link MessageType} are zero, empty or null.
 * For {@link MessageType#SNAPSHOT_CHUNK}, {@code snapshot} is the snapshot's position,
 * {@code snapshotOffset}/{@code snapshotSize} locate {@code chunk} inside the snapshot's bytes and
 * {@code snapshotChecksum} is the CRC-32C of all of them, which the receiver verifies before installing.
 * For {@link MessageType#SNAPSHOT_RESPONSE}, {@code index} is the next byte offset wanted and
 * {@code logTerm} the snapshot's index. Forwarded proposals ({@link MessageType#PROPOSE}) carry
 * entries whose index and term are placeholders (1) that the leader re-stamps.
 */
public final class Message {
    private static final byte[] NO_BYTES = new byte[0];

    private final MessageType type;
    private final long from;
    private final long to;
    private final long term;
    private final long logTerm;
    private final long index;
    private final long commit;
    private final boolean reject;
    private final long rejectHint;
    private final List<Entry> entries;
    private final byte[] context;
    private final SnapshotMeta snapshot;
    private final long snapshotOffset;
    private final long snapshotSize;
    private final int snapshotChecksum;
    private final byte[] chunk;

    /** Creates a message; arrays and lists are owned by the message from now on. */
    public Message(MessageType type, long from, long to, long term, long logTerm, long index, long commit,
                   boolean reject, long rejectHint, List<Entry> entries, byte[] context,
                   SnapshotMeta snapshot, long snapshotOffset, long snapshotSize, int snapshotChecksum,
                   byte[] chunk) {
        this.type = Objects.requireNonNull(type, "type");
        this.from = from;
        this.to = to;
        this.term = term;
        this.logTerm = logTerm;
        this.index = index;
        this.commit = commit;
        this.reject = reject;
        this.rejectHint = rejectHint;
        this.entries = entries == null ? List.of() : List.copyOf(entries);
        this.context = context == null ? NO_BYTES : context;
        this.snapshot = snapshot;
        this.snapshotOffset = snapshotOffset;
        this.snapshotSize = snapshotSize;
        this.snapshotChecksum = snapshotChecksum;
        this.chunk = chunk == null ? NO_BYTES : chunk;
    }

    /** Starts a builder for a message of {@code type}. */
    public static Builder builder(MessageType type) {
        return new Builder(type);
    }

    /** A builder pre-filled with this message's fields. */
    public Builder toBuilder() {
        Builder b = new Builder(type);
        b.from = from;
        b.to = to;
        b.term = term;
        b.logTerm = logTerm;
        b.index = index;
        b.commit = commit;
        b.reject = reject;
        b.rejectHint = rejectHint;
        b.entries = entries;
        b.context = context;
        b.snapshot = snapshot;
        b.snapshotOffset = snapshotOffset;
        b.snapshotSize = snapshotSize;
        b.snapshotChecksum = snapshotChecksum;
        b.chunk = chunk;
        return b;
    }

    /** The message kind. */
    public MessageType type() {
        return type;
    }

    /** Sender member ID. */
    public long from() {
        return from;
    }

    /** Recipient member ID. */
    public long to() {
        return to;
    }

    /** The sender's term (or the term a vote is asked for). */
    public long term() {
        return term;
    }

    /** Term of the entry at {@link #index()} (appends, votes, reject hints). */
    public long logTerm() {
        return logTerm;
    }

    /** A log index whose meaning depends on the type. */
    public long index() {
        return index;
    }

    /** The sender's commit index (appends and heartbeats). */
    public long commit() {
        return commit;
    }

    /** True if the request was refused. */
    public boolean reject() {
        return reject;
    }

    /** For a rejected append: the follower's suggested index to retry from. */
    public long rejectHint() {
        return rejectHint;
    }

    /** Log entries carried (appends, forwarded proposals). */
    public List<Entry> entries() {
        return entries;
    }

    /** Opaque bytes: read context, read round or campaign kind; callers must not modify. */
    public byte[] context() {
        return context;
    }

    /** The snapshot position a chunk belongs to, or null. */
    public SnapshotMeta snapshot() {
        return snapshot;
    }

    /** Byte offset of {@link #chunk()} inside the snapshot data. */
    public long snapshotOffset() {
        return snapshotOffset;
    }

    /** Total snapshot size in bytes. */
    public long snapshotSize() {
        return snapshotSize;
    }

    /** CRC-32C of the whole snapshot a chunk belongs to. */
    public int snapshotChecksum() {
        return snapshotChecksum;
    }

    /** Snapshot bytes of this chunk; callers must not modify. */
    public byte[] chunk() {
        return chunk;
    }

    /** Payload bytes of the entries carried. */
    public long entriesBytes() {
        long n = 0;
        for (Entry e : entries) {
            n += e.sizeBytes();
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Message)) {
            return false;
        }
        Message m = (Message) o;
        return type == m.type && from == m.from && to == m.to && term == m.term && logTerm == m.logTerm
                && index == m.index && commit == m.commit && reject == m.reject && rejectHint == m.rejectHint
                && entries.equals(m.entries) && Arrays.equals(context, m.context)
                && Objects.equals(snapshot, m.snapshot) && snapshotOffset == m.snapshotOffset
                && snapshotSize == m.snapshotSize && snapshotChecksum == m.snapshotChecksum && Arrays.equals(chunk, m.chunk);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, from, to, term, logTerm, index, commit, reject, rejectHint, entries, snapshot)
                * 31 + Arrays.hashCode(context);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(type).append(' ').append(from).append("->").append(to).append(" t").append(term)
                .append(" lt").append(logTerm).append(" i").append(index).append(" c").append(commit);
        if (reject) {
            sb.append(" REJECT hint=").append(rejectHint);
        }
        if (!entries.isEmpty()) {
            sb.append(" ents=[").append(entries.get(0).index()).append("..")
                    .append(entries.get(entries.size() - 1).index()).append(']');
        }
        if (snapshot != null) {
            sb.append(" snap=").append(snapshot.index()).append('@').append(snapshot.term())
                    .append(" off=").append(snapshotOffset).append('/').append(snapshotSize)
                    .append(" len=").append(chunk.length);
        }
        return sb.toString();
    }

    /** Mutable builder for {@link Message}. */
    public static final class Builder {
        private final MessageType type;
        private long from;
        private long to;
        private long term;
        private long logTerm;
        private long index;
        private long commit;
        private boolean reject;
        private long rejectHint;
        private List<Entry> entries;
        private byte[] context;
        private SnapshotMeta snapshot;
        private long snapshotOffset;
        private long snapshotSize;
        private int snapshotChecksum;
        private byte[] chunk;

        private Builder(MessageType type) {
            this.type = type;
        }

        /** Sets the sender. */
        public Builder from(long v) {
            from = v;
            return this;
        }

        /** Sets the recipient. */
        public Builder to(long v) {
            to = v;
            return this;
        }

        /** Sets the term. */
        public Builder term(long v) {
            term = v;
            return this;
        }

        /** Sets the log term. */
        public Builder logTerm(long v) {
            logTerm = v;
            return this;
        }

        /** Sets the index. */
        public Builder index(long v) {
            index = v;
            return this;
        }

        /** Sets the commit index. */
        public Builder commit(long v) {
            commit = v;
            return this;
        }

        /** Sets the reject flag. */
        public Builder reject(boolean v) {
            reject = v;
            return this;
        }

        /** Sets the reject hint. */
        public Builder rejectHint(long v) {
            rejectHint = v;
            return this;
        }

        /** Sets the entries. */
        public Builder entries(List<Entry> v) {
            entries = v;
            return this;
        }

        /** Sets the context bytes. */
        public Builder context(byte[] v) {
            context = v;
            return this;
        }

        /** Sets the snapshot position. */
        public Builder snapshot(SnapshotMeta v) {
            snapshot = v;
            return this;
        }

        /** Sets the snapshot chunk offset. */
        public Builder snapshotOffset(long v) {
            snapshotOffset = v;
            return this;
        }

        /** Sets the snapshot total size. */
        public Builder snapshotSize(long v) {
            snapshotSize = v;
            return this;
        }

        /** Sets the CRC-32C of the whole snapshot. */
        public Builder snapshotChecksum(int v) {
            snapshotChecksum = v;
            return this;
        }

        /** Sets the snapshot chunk bytes. */
        public Builder chunk(byte[] v) {
            chunk = v;
            return this;
        }

        /** Builds the immutable message. */
        public Message build() {
            return new Message(type, from, to, term, logTerm, index, commit, reject, rejectHint, entries, context,
                    snapshot, snapshotOffset, snapshotSize, snapshotChecksum, chunk);
        }
    }
}
