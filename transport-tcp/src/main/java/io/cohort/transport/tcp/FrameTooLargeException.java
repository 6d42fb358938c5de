package io.cohort.transport.tcp;

/** A message is larger than the transport's configured maximum frame size. */
public final class FrameTooLargeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final int lengthBytes;
    private final int maxFrameBytes;

    /** A message of {@code lengthBytes} was refused because frames are limited to {@code maxFrameBytes}. */
    public FrameTooLargeException(int lengthBytes, int maxFrameBytes) {
        super("message of " + lengthBytes + " bytes exceeds maxFrameBytes " + maxFrameBytes
            + " (raise TcpTransport.Builder.maxFrameBytes on every member, or send smaller messages)");
        this.lengthBytes = lengthBytes;
        this.maxFrameBytes = maxFrameBytes;
    }

    /** The length of the refused message in bytes. */
    public int lengthBytes() {
        return lengthBytes;
    }

    /** The configured limit in bytes. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }
}
