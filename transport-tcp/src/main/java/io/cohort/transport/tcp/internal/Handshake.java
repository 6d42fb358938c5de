package io.cohort.transport.tcp.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * The first bytes on every connection (after TLS, if on). The dialer sends a hello
 * {@code magic, version, clusterId, fromMemberId, toMemberId}; the acceptor checks it and answers
 * {@code magic, version, status, reason}. Only an accepted connection carries frames, and only from
 * dialer to acceptor.
 */
public final class Handshake {
    /** "CHRT": the first four bytes of a hello and of a reply. */
    public static final int MAGIC = 0x43485254;
    /** The protocol version spoken by this build. */
    public static final short PROTOCOL_VERSION = 1;
    /** Longest cluster ID accepted, in UTF-8 bytes. */
    public static final int MAX_CLUSTER_ID_BYTES = 255;
    /** Longest refusal reason sent, in UTF-8 bytes. */
    public static final int MAX_REASON_BYTES = 1024;

    /** The acceptor accepted the connection. */
    public static final byte ACCEPTED = 0;
    /** Refused: the hello names another cluster. */
    public static final byte WRONG_CLUSTER = 1;
    /** Refused: the dialer is not a member the acceptor knows. */
    public static final byte UNKNOWN_MEMBER = 2;
    /** Refused: the hello is addressed to another member than the acceptor. */
    public static final byte WRONG_TARGET = 3;
    /** Refused: the protocol versions differ. */
    public static final byte UNSUPPORTED_VERSION = 4;
    /** Refused: the TLS certificate names another member than the hello claims. */
    public static final byte CERTIFICATE_MISMATCH = 5;

    private Handshake() {
    }

    /** What a dialer says about itself. */
    public record Hello(int version, String clusterId, long fromMemberId, long toMemberId) {
    }

    /** The acceptor's answer; {@code status} is {@link #ACCEPTED} or a refusal code. */
    public record Reply(int version, byte status, String reason) {
        /** True if the connection was accepted. */
        public boolean accepted() {
            return status == ACCEPTED;
        }
    }

    /** Writes a hello and flushes. */
    public static void writeHello(OutputStream out, String clusterId, long fromMemberId, long toMemberId)
        throws IOException {
        byte[] id = clusterId.getBytes(StandardCharsets.UTF_8);
        assert id.length <= MAX_CLUSTER_ID_BYTES;
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(MAGIC);
        d.writeShort(PROTOCOL_VERSION);
        d.writeShort(id.length);
        d.write(id);
        d.writeLong(fromMemberId);
        d.writeLong(toMemberId);
        d.flush();
    }

    /** Reads a hello; a wrong magic number or an oversized field is a {@link ProtocolException}. */
    public static Hello readHello(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int magic = d.readInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("not a Cohort transport hello: magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int version = d.readUnsignedShort();
        int idLength = d.readUnsignedShort();
        if (idLength > MAX_CLUSTER_ID_BYTES) {
            throw new ProtocolException("cluster ID of " + idLength + " bytes exceeds " + MAX_CLUSTER_ID_BYTES);
        }
        byte[] id = new byte[idLength];
        d.readFully(id);
        long from = d.readLong();
        long to = d.readLong();
        return new Hello(version, new String(id, StandardCharsets.UTF_8), from, to);
    }

    /** Writes a reply and flushes. */
    public static void writeReply(OutputStream out, byte status, String reason) throws IOException {
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, MAX_REASON_BYTES);
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(MAGIC);
        d.writeShort(PROTOCOL_VERSION);
        d.writeByte(status);
        d.writeShort(length);
        d.write(text, 0, length);
        d.flush();
    }

    /** Reads a reply; a wrong magic number or an oversized field is a {@link ProtocolException}. */
    public static Reply readReply(InputStream in) throws IOException {
        DataInputStream d = new DataInputStream(in);
        int magic = d.readInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("not a Cohort transport reply: magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int version = d.readUnsignedShort();
        byte status = d.readByte();
        int length = d.readUnsignedShort();
        if (length > MAX_REASON_BYTES) {
            throw new ProtocolException("refusal reason of " + length + " bytes exceeds " + MAX_REASON_BYTES);
        }
        byte[] text = new byte[length];
        d.readFully(text);
        return new Reply(version, status, new String(text, StandardCharsets.UTF_8));
    }
}
