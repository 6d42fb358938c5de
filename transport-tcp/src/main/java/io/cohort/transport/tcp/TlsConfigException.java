package io.cohort.transport.tcp;

/** TLS material (PEM files, key store, trust store) could not be read or does not make a usable context. */
public final class TlsConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message}, caused by {@code cause} (may be null). */
    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
