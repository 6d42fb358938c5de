package io.cohort.raft.log;

import java.nio.ByteOrder;
import java.util.zip.CRC32C;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The one definition of the on-disk record format of the Raft log: a flyweight over a
 * {@link DirectBuffer}. Each record is the whole body of one Chronicle Queue document.
 *
 * <pre>
 * offset size field
 *  0      1   recordType    ENTRY=1, HARD_STATE=2, SNAPSHOT=3, CUT=4
 *  1      1   entryType     ENTRY: {@link io.cohort.raft.EntryType#code()}; SNAPSHOT: 1 if the entries after it
 *                           were kept (the log matched), 0 if the whole log was discarded; else 0
 *  2      2   version       {@link #VERSION}
 *  4      4   payloadLength bytes of payload that follow the header
 *  8      8   raftIndex     ENTRY: entry index; SNAPSHOT: snapshot index; CUT: first cut queue index; else 0
 * 16      8   term          ENTRY/SNAPSHOT: term; HARD_STATE: current term; else 0
 * 24      n   payload       ENTRY: command bytes; HARD_STATE: votedFor(8) commitIndex(8);
 *                           SNAPSHOT: nVoters(4) voters(8 each) nLearners(4) learners(8 each)
 * 24+n    4   crc32c        CRC32C of bytes [0, 24+n)
 * </pre>
 * All integers little-endian. The total length of a record is {@code 28 + payloadLength}; the
 * Chronicle document length must match it exactly.
 */
final class LogRecord {
    static final byte TYPE_ENTRY = 1;
    static final byte TYPE_HARD_STATE = 2;
    static final byte TYPE_SNAPSHOT = 3;
    static final byte TYPE_CUT = 4;

    static final short VERSION = 1;
    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    static final int RECORD_TYPE_OFFSET = 0;
    static final int ENTRY_TYPE_OFFSET = 1;
    static final int VERSION_OFFSET = 2;
    static final int PAYLOAD_LENGTH_OFFSET = 4;
    static final int RAFT_INDEX_OFFSET = 8;
    static final int TERM_OFFSET = 16;
    static final int HEADER_LENGTH_BYTES = 24;
    static final int CRC_LENGTH_BYTES = 4;
    static final int OVERHEAD_BYTES = HEADER_LENGTH_BYTES + CRC_LENGTH_BYTES;
    /** Largest payload a record may carry (64 MiB): bounds reads of damaged lengths and single documents. */
    static final int MAX_PAYLOAD_BYTES = 64 << 20;

    private DirectBuffer buffer;
    private int offset;
    private int lengthBytes;

    private LogRecord() {
    }

    /** A reusable flyweight; wrap it over a buffer before use. */
    static LogRecord flyweight() {
        return new LogRecord();
    }

    /** Points this flyweight at {@code lengthBytes} bytes of a record at {@code offset} of {@code buffer}. */
    LogRecord wrap(DirectBuffer buffer, int offset, int lengthBytes) {
        this.buffer = buffer;
        this.offset = offset;
        this.lengthBytes = lengthBytes;
        return this;
    }

    /** Writes a record header into {@code header} at {@code offset} (24 bytes). */
    static void encodeHeader(MutableDirectBuffer header, int offset, byte recordType, byte entryType,
                             int payloadLengthBytes, long raftIndex, long term) {
        header.putByte(offset + RECORD_TYPE_OFFSET, recordType);
        header.putByte(offset + ENTRY_TYPE_OFFSET, entryType);
        header.putShort(offset + VERSION_OFFSET, VERSION, ORDER);
        header.putInt(offset + PAYLOAD_LENGTH_OFFSET, payloadLengthBytes, ORDER);
        header.putLong(offset + RAFT_INDEX_OFFSET, raftIndex, ORDER);
        header.putLong(offset + TERM_OFFSET, term, ORDER);
    }

    /**
     * Checks length, version, type and CRC32C of the wrapped record; returns null if valid, else a
     * short reason. {@code crc} is reset and reused (no allocation).
     */
    String validate(CRC32C crc) {
        if (lengthBytes < OVERHEAD_BYTES) {
            return "record of " + lengthBytes + " bytes is shorter than the " + OVERHEAD_BYTES + "-byte minimum";
        }
        int payloadLength = payloadLengthBytes();
        if (payloadLength < 0 || payloadLength > MAX_PAYLOAD_BYTES || payloadLength + OVERHEAD_BYTES != lengthBytes) {
            return "payload length " + payloadLength + " does not match the record length " + lengthBytes;
        }
        int stored = buffer.getInt(offset + HEADER_LENGTH_BYTES + payloadLength, ORDER);
        crc.reset();
        update(crc, buffer, offset, HEADER_LENGTH_BYTES + payloadLength);
        if ((int) crc.getValue() != stored) {
            return "CRC32C mismatch (stored " + Integer.toHexString(stored) + ", computed "
                + Integer.toHexString((int) crc.getValue()) + ")";
        }
        if (version() != VERSION) {
            return "unknown record version " + version();
        }
        byte type = recordType();
        if (type < TYPE_ENTRY || type > TYPE_CUT) {
            return "unknown record type " + type;
        }
        return null;
    }

    /** Feeds {@code length} bytes of {@code buffer} at {@code offset} to {@code crc} without allocating. */
    static void update(CRC32C crc, DirectBuffer buffer, int offset, int length) {
        byte[] array = buffer.byteArray();
        if (array != null) {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
        } else {
            for (int i = 0; i < length; i++) {
                crc.update(buffer.getByte(offset + i));
            }
        }
    }

    byte recordType() {
        return buffer.getByte(offset + RECORD_TYPE_OFFSET);
    }

    byte entryTypeCode() {
        return buffer.getByte(offset + ENTRY_TYPE_OFFSET);
    }

    short version() {
        return buffer.getShort(offset + VERSION_OFFSET, ORDER);
    }

    int payloadLengthBytes() {
        return buffer.getInt(offset + PAYLOAD_LENGTH_OFFSET, ORDER);
    }

    long raftIndex() {
        return buffer.getLong(offset + RAFT_INDEX_OFFSET, ORDER);
    }

    long term() {
        return buffer.getLong(offset + TERM_OFFSET, ORDER);
    }

    /** Offset of the payload in the wrapped buffer. */
    int payloadOffset() {
        return offset + HEADER_LENGTH_BYTES;
    }

    /** Reads a little-endian long at {@code payloadPosition} bytes into the payload. */
    long payloadLong(int payloadPosition) {
        return buffer.getLong(payloadOffset() + payloadPosition, ORDER);
    }

    /** Reads a little-endian int at {@code payloadPosition} bytes into the payload. */
    int payloadInt(int payloadPosition) {
        return buffer.getInt(payloadOffset() + payloadPosition, ORDER);
    }

    /** Copies the payload into a new array. */
    byte[] payloadCopy() {
        byte[] data = new byte[payloadLengthBytes()];
        buffer.getBytes(payloadOffset(), data);
        return data;
    }

    /** A human-readable name for a record type byte. */
    static String typeName(byte type) {
        switch (type) {
            case TYPE_ENTRY: return "ENTRY";
            case TYPE_HARD_STATE: return "HARD_STATE";
            case TYPE_SNAPSHOT: return "SNAPSHOT";
            case TYPE_CUT: return "CUT";
            default: return "UNKNOWN(" + type + ")";
        }
    }
}
