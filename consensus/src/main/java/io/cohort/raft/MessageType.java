package io.cohort.raft;

/** The kinds of Raft messages exchanged between members; stored as one byte (its {@link #code()}). */
public enum MessageType {
    /** Log entries (possibly none) after {@code index}/{@code logTerm}, with the leader's commit. */
    APPEND(1),
    /** Answer to {@link #APPEND}: accepted up to {@code index}, or rejected with a hint. */
    APPEND_RESPONSE(2),
    /** Request for a vote in {@code term}. */
    VOTE(3),
    /** Answer to {@link #VOTE}. */
    VOTE_RESPONSE(4),
    /** Pre-vote: would you vote for me in {@code term} (no state change)? */
    PRE_VOTE(5),
    /** Answer to {@link #PRE_VOTE}. */
    PRE_VOTE_RESPONSE(6),
    /** Leader liveness and commit propagation; {@code context} carries a read round. */
    HEARTBEAT(7),
    /** Answer to {@link #HEARTBEAT}, echoing its {@code context}. */
    HEARTBEAT_RESPONSE(8),
    /** One chunk of a snapshot. */
    SNAPSHOT_CHUNK(9),
    /** Follower tells which snapshot byte offset it wants next. */
    SNAPSHOT_RESPONSE(10),
    /** Proposals forwarded from a follower to the leader. */
    PROPOSE(11),
    /** Read-index request forwarded from a follower to the leader. */
    READ_INDEX(12),
    /** Answer to {@link #READ_INDEX}: the read may be served once {@code index} is applied. */
    READ_INDEX_RESPONSE(13),
    /** Leadership transfer: start an election now, skipping pre-vote. */
    TIMEOUT_NOW(14);

    private static final MessageType[] BY_CODE = new MessageType[16];

    static {
        for (MessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final byte code;

    MessageType(int code) {
        this.code = (byte) code;
    }

    /** The wire byte for this type. */
    public byte code() {
        return code;
    }

    /** The type for a wire byte; throws on an unknown code. */
    public static MessageType fromCode(byte code) {
        MessageType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new IllegalArgumentException("unknown message type code " + code);
        }
        return t;
    }
}
