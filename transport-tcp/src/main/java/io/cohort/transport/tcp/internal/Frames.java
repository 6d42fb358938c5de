package io.cohort.transport.tcp.internal;

/**
 * The wire format of one message after the handshake: a 4-byte big-endian payload length, the 4-byte
 * big-endian CRC32C of the payload, then the payload. A frame whose length exceeds the receiver's
 * limit or whose checksum does not match closes the connection; it is never delivered.
 */
public final class Frames {
    /** Bytes before the payload: length and checksum. */
    public static final int HEADER_BYTES = 8;

    private Frames() {
    }

    /** Writes {@code value} big-endian at {@code index}. */
    public static void putInt(byte[] dst, int index, int value) {
        dst[index] = (byte) (value >>> 24);
        dst[index + 1] = (byte) (value >>> 16);
        dst[index + 2] = (byte) (value >>> 8);
        dst[index + 3] = (byte) value;
    }

    /** Reads a big-endian int at {@code index}. */
    public static int getInt(byte[] src, int index) {
        return (src[index] & 0xFF) << 24 | (src[index + 1] & 0xFF) << 16 | (src[index + 2] & 0xFF) << 8
            | (src[index + 3] & 0xFF);
    }
}
