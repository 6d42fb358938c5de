package io.cohort.examples;

import io.cohort.CohortNode;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.MemberStatus;
import io.cohort.TransportFactory;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyValue;
import io.cohort.transport.tcp.TcpTransport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Starts one Cohort member over TCP from the command line, for running a group of real JVMs by hand.
 *
 * <pre>
 * java @mvcc/src/main/resources/META-INF/cohort/jvm-flags/jdk17.flags -cp ... io.cohort.examples.ClusterMember \
 *     1 /tmp/cohort-1 1=127.0.0.1:7401,2=127.0.0.1:7402,3=127.0.0.1:7403
 * </pre>
 *
 * <p>Start the same command with IDs 2 and 3 (and their own data directories) in two other terminals. Each member
 * then reads commands on its standard input: {@code put KEY VALUE}, {@code get KEY}, {@code list PREFIX},
 * {@code delete KEY}, {@code watch PREFIX}, {@code status}, {@code quit}. Stop a member with Ctrl-C or
 * {@code kill -9} and start it again on the same data directory: it rejoins with all its data.
 */
public final class ClusterMember {
    private static final PrintStream OUT = System.out;

    private ClusterMember() {
    }

    /**
     * Runs one member: {@code ID DATA_DIR MEMBERS}, where MEMBERS is {@code id=host:port,...} and includes ID.
     */
    public static void main(String[] args) throws IOException {
        String usage = "usage: ClusterMember ID DATA_DIR ID=HOST:PORT,ID=HOST:PORT,...  (e.g. 1 /tmp/cohort-1 "
                + "1=127.0.0.1:7401,2=127.0.0.1:7402,3=127.0.0.1:7403)";
        long id;
        Map<Long, String> members;
        try {
            if (args.length != 3) {
                throw new IllegalArgumentException("expected 3 arguments, got " + args.length);
            }
            id = parseMemberId(args[0]);
            members = parseMembers(args[2]);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + "\n" + usage);
            System.exit(2);
            return;
        }
        try (CohortNode node = startMember(id, Path.of(args[1]), members)) {
            // Ctrl-C: close cleanly (a kill -9 is fine too: the member recovers from its log on restart).
            Runtime.getRuntime().addShutdownHook(new Thread(node::close, "cohort-shutdown"));
            OUT.println("member " + id + " is up, listening on " + members.get(id) + "; type 'help' for commands");
            console(node);
        }
    }

    /**
     * Starts member {@code id} of {@code members} (ID to {@code host:port}) with its data in {@code dataDir}, over
     * TCP on the addresses given. This is all it takes to run Cohort in a service: copy it.
     */
    public static CohortNode startMember(long id, Path dataDir, Map<Long, String> members) {
        return CohortNode.builder()
                .memberId(id)
                .dataDir(dataDir)
                .members(members)
                .transport(tcp("cohort-example"))
                .start();
    }

    /** A transport factory for TCP without TLS: listen on this member's address, dial every other member's. */
    public static TransportFactory tcp(String clusterId) {
        return (memberId, addresses) -> {
            TcpTransport.Builder b = TcpTransport.builder()
                    .clusterId(clusterId)
                    .memberId(memberId)
                    .listen(socketAddress(addresses.get(memberId)));
            addresses.forEach((peerId, address) -> {
                if (peerId != memberId) {
                    b.peer(peerId, socketAddress(address));
                }
            });
            return b.build();
        };
    }

    /** Parses a member ID (> 0). */
    public static long parseMemberId(String s) {
        try {
            long id = Long.parseLong(s.trim());
            if (id <= 0) {
                throw new IllegalArgumentException("a member ID must be > 0, was " + id);
            }
            return id;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a member ID is a positive number, was '" + s + "'", e);
        }
    }

    /** Parses {@code 1=host:port,2=host:port,...} into an ordered map of ID to address. */
    public static Map<Long, String> parseMembers(String s) {
        Map<Long, String> members = new LinkedHashMap<>();
        for (String entry : s.split(",")) {
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("a member is ID=HOST:PORT, was '" + entry + "'");
            }
            String address = entry.substring(eq + 1).trim();
            socketAddress(address); // Fail here, with the bad entry named, rather than at start.
            members.put(parseMemberId(entry.substring(0, eq)), address);
        }
        return members;
    }

    /** Parses {@code host:port}. */
    public static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("an address is HOST:PORT, was '" + hostPort + "'");
        }
        try {
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("a port is in [1, 65535], was " + port);
            }
            return new InetSocketAddress(hostPort.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("an address is HOST:PORT, was '" + hostPort + "'", e);
        }
    }

    private static void console(CohortNode node) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] w = line.trim().split("\\s+", 3);
            try {
                switch (w[0]) {
                    case "" -> { }
                    case "put" -> OUT.println("ok, revision " + node.kv().put(w[1], w[2]).revision());
                    case "get" -> OUT.println(node.kv().get(w[1]).valueUtf8().orElse("(absent)"));
                    case "list" -> {
                        GetResult r = node.kv().get(KeyRange.prefix(w.length > 1 ? w[1] : ""));
                        for (KeyValue kv : r.kvs()) {
                            OUT.println(kv.key().toStringUtf8() + " = " + kv.value().toStringUtf8());
                        }
                        OUT.println(r.count() + " keys at revision " + r.revision());
                    }
                    case "delete" -> OUT.println("deleted " + node.kv().delete(w[1]).deleted());
                    case "watch" -> {
                        String prefix = w.length > 1 ? w[1] : "";
                        node.watcher().watch(WatchSpec.prefix(prefix), (WatchListener) (events, revision) -> {
                            for (Event e : events) {
                                OUT.println("watch " + prefix + ": " + e.type() + " " + e.kv().key().toStringUtf8()
                                        + (e.type() == Event.Type.PUT ? " = " + e.kv().value().toStringUtf8() : "")
                                        + " at revision " + e.revision());
                            }
                        });
                        OUT.println("watching " + prefix + "*");
                    }
                    case "status" -> {
                        MemberStatus s = node.maintenance().status();
                        OUT.println("member " + s.memberId() + (s.isLeader() ? " (leader)" : ", leader " + s.leaderId())
                                + ", term " + s.term() + ", applied " + s.appliedIndex() + ", revision " + s.revision());
                    }
                    case "quit", "exit" -> {
                        return;
                    }
                    default -> OUT.println("commands: put KEY VALUE | get KEY | list PREFIX | delete KEY | "
                            + "watch PREFIX | status | quit");
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                OUT.println("missing argument; type 'help'");
            } catch (RuntimeException e) {
                OUT.println("failed: " + e);
            }
        }
        // Standard input closed (e.g. started in the background): keep serving until killed.
        waitForever();
    }

    private static void waitForever() {
        Object never = new Object();
        synchronized (never) {
            while (true) {
                try {
                    never.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
