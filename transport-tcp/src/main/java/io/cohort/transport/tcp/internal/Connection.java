package io.cohort.transport.tcp.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

/**
 * One TCP connection, optionally wrapped in TLS. {@link #close()} closes the plain socket first: that
 * unblocks a thread stuck in a read or a write at once, which closing an {@link SSLSocket} alone
 * does not promise.
 */
public final class Connection implements Closeable {
    private static final String[] TLS_PROTOCOLS = {"TLSv1.3"};

    private final Socket raw;
    private final Socket socket;
    private final SocketChannel channel;

    private Connection(Socket raw, Socket socket, SocketChannel channel) {
        this.raw = raw;
        this.socket = socket;
        this.channel = channel;
    }

    /**
     * Connects to {@code address} and, with TLS, completes the client handshake (presenting our
     * certificate). The socket read timeout is left at {@code handshakeTimeoutMs}. The plain socket is
     * handed to {@code onCreated} before connecting, so another thread can abort a dial by closing it.
     * When sends write on the sender's thread (plaintext only), the socket is a {@link SocketChannel}'s
     * (in blocking mode), so the link can later switch it to non-blocking writes ({@link #channel()}).
     */
    public static Connection dial(Settings settings, InetSocketAddress address, Consumer<Socket> onCreated) throws IOException {
        SocketChannel channel = settings.writesOnSenderThread() ? SocketChannel.open() : null;
        Socket raw = channel == null ? new Socket() : channel.socket();
        onCreated.accept(raw);
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.connect(address, settings.connectTimeoutMs());
            raw.setSoTimeout(settings.handshakeTimeoutMs());
            if (!settings.tls()) {
                assert channel == null || Boolean.TRUE.equals(channel.getOption(StandardSocketOptions.TCP_NODELAY)) : "Nagle must be off";
                return new Connection(raw, raw, channel);
            }
            SSLSocket tls = (SSLSocket) settings.sslContext().getSocketFactory()
                .createSocket(raw, address.getHostString(), address.getPort(), true);
            tls.setUseClientMode(true);
            tls.setEnabledProtocols(TLS_PROTOCOLS);
            tls.startHandshake();
            return new Connection(raw, tls, null);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
    }

    /**
     * Takes an accepted socket and, with TLS, completes the server handshake requiring a client
     * certificate trusted by our CAs (no plaintext fallback). The read timeout is {@code handshakeTimeoutMs}.
     */
    public static Connection accept(Settings settings, Socket raw) throws IOException {
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.setSoTimeout(settings.handshakeTimeoutMs());
            if (!settings.tls()) {
                return new Connection(raw, raw, null);
            }
            SSLSocket tls = (SSLSocket) settings.sslContext().getSocketFactory()
                .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
            tls.setUseClientMode(false);
            tls.setEnabledProtocols(TLS_PROTOCOLS);
            tls.setNeedClientAuth(true);
            tls.startHandshake();
            return new Connection(raw, tls, null);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
    }

    /**
     * The subject CN of the other side's TLS certificate, or null without TLS or without a CN (an
     * unverified peer never gets this far: the handshake fails first).
     */
    public String peerCommonName() {
        if (!(socket instanceof SSLSocket tls)) {
            return null;
        }
        try {
            Certificate[] chain = tls.getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate x509)) {
                return null;
            }
            for (Rdn rdn : new LdapName(x509.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
            return null;
        } catch (SSLPeerUnverifiedException | InvalidNameException e) {
            return null;
        }
    }

    /** The socket to read and write (the TLS socket when TLS is on). */
    public Socket socket() {
        return socket;
    }

    /**
     * The channel under a dialed connection whose sends write on the sender's thread, for non-blocking
     * writes once the handshake is done; null otherwise: with TLS (TLS records are written through the
     * blocking {@link SSLSocket}), with sender writes turned off, and for accepted connections.
     */
    public SocketChannel channel() {
        return channel;
    }

    /** Sets the read timeout; 0 waits forever. */
    public void readTimeoutMs(int timeoutMs) throws IOException {
        raw.setSoTimeout(timeoutMs);
        if (socket != raw) {
            socket.setSoTimeout(timeoutMs);
        }
    }

    /** The other end, for log lines. */
    public String remote() {
        return String.valueOf(raw.getRemoteSocketAddress());
    }

    @Override
    public void close() {
        closeQuietly(raw);
        if (socket != raw) {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
