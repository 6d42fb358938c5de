package io.cohort.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of one member's port, with a switch: {@link #cut()} closes every connection
 * through it and refuses new ones until {@link #heal()}. One proxy per direction of a member pair makes a network
 * partition between JVMs. Blocking sockets, a thread per direction of each connection (a handful in a test).
 */
final class LoopbackProxy implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final int MAX_CONNECTIONS = 16;

    private final ServerSocket server;
    private final int targetPort;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean closed;

    LoopbackProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "proxy-" + port() + "-to-" + targetPort);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port to dial instead of the target's. */
    int port() {
        return server.getLocalPort();
    }

    /** Drops every connection through the proxy and refuses new ones. */
    void cut() {
        cut = true;
        closeAll();
    }

    /** Lets connections through again. */
    void heal() {
        cut = false;
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        closeAll();
    }

    private void accept() {
        while (!closed) {
            Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return; // Closed.
            }
            if (cut || open.size() >= 2 * MAX_CONNECTIONS) {
                closeQuietly(in);
                continue;
            }
            Socket out = new Socket();
            try {
                out.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2_000);
            } catch (IOException e) {
                closeQuietly(in);
                closeQuietly(out);
                continue;
            }
            open.add(in);
            open.add(out);
            if (cut) { // Cut while this one was being connected.
                closeQuietly(in);
                closeQuietly(out);
                continue;
            }
            pump(in, out);
            pump(out, in);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[BUFFER_BYTES];
            try (InputStream is = from.getInputStream(); OutputStream os = to.getOutputStream()) {
                for (int n = is.read(buffer); n >= 0 && !cut; n = is.read(buffer)) {
                    os.write(buffer, 0, n);
                }
            } catch (IOException e) {
                // Either side closed or the proxy was cut.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }
}
