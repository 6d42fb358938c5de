package io.cohort.examples.demo;

import io.cohort.CohortException;
import io.cohort.CohortNode;
import io.cohort.Compare;
import io.cohort.GetOptions;
import io.cohort.GetResult;
import io.cohort.KeyRange;
import io.cohort.MemberStatus;
import io.cohort.Op;
import io.cohort.WatchListener;
import io.cohort.WatchSpec;
import io.cohort.examples.ClusterMember;
import io.cohort.mvcc.Event;
import io.cohort.mvcc.KeyspaceException;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One member JVM driven by another process through its standard input and output: the demo and the multi-JVM test
 * start three of these ({@link MemberProcess}). Cohort is embedded and has no client protocol, so this is the
 * smallest stand-in for "the service around the node": one request per line, answered out of order.
 *
 * <p>Requests: {@code ID COMMAND ARGS...}; keys and values are single words. Answers: {@code ID ok WORDS...},
 * {@code ID failed REASON} (the request certainly did not take effect) or {@code ID unknown REASON} (it may have).
 * Lines starting with {@code *} are not answers: {@code * ready} once the node is up, {@code * event TYPE KEY VALUE
 * REVISION} for each event of a watch.
 *
 * <ul>
 *   <li>{@code put K V} → {@code ok REVISION}</li>
 *   <li>{@code get K} (linearizable), {@code sget K} (serializable, local) → {@code ok REVISION VALUE|<absent>}</li>
 *   <li>{@code rget K REVISION} (serializable, local) → {@code ok REVISION VALUE|<absent>}: K as of REVISION</li>
 *   <li>{@code cas K EXPECTED NEW} (EXPECTED may be {@code <absent>}) → {@code ok REVISION true|false}</li>
 *   <li>{@code count PREFIX} (serializable) → {@code ok REVISION COUNT}</li>
 *   <li>{@code status} → {@code ok LEADER_ID IS_LEADER TERM APPLIED_INDEX REVISION}</li>
 *   <li>{@code hash REVISION} → {@code ok HASH}</li>
 *   <li>{@code watch PREFIX} → {@code ok}, then event lines</li>
 *   <li>{@code exit} → closes the node and exits</li>
 * </ul>
 *
 * <p>Arguments: {@code ID DATA_DIR MEMBERS} as {@link ClusterMember}.
 */
public final class ScriptedMember {
    /** The word for a key that does not exist. */
    public static final String ABSENT = "<absent>";

    private final CohortNode node;
    private final PrintStream out;

    private ScriptedMember(CohortNode node, PrintStream out) {
        this.node = node;
        this.out = out;
    }

    /** Runs the member until {@code exit} or the end of standard input. */
    public static void main(String[] args) throws IOException {
        // Answers own standard output; library logs go to standard error (slf4j-simple's default).
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        ExecutorService callbacks = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "member-callbacks");
            t.setDaemon(true);
            return t;
        });
        CohortNode node = CohortNode.builder()
                .memberId(ClusterMember.parseMemberId(args[0]))
                .dataDir(Path.of(args[1]))
                .members(ClusterMember.parseMembers(args[2]))
                .transport(ClusterMember.tcp("cohort-demo"))
                .callbackExecutor(callbacks)
                .start();
        ScriptedMember member = new ScriptedMember(node, out);
        member.line("* ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] w = line.trim().split("\\s+");
            if (w.length >= 2 && w[1].equals("exit")) {
                break;
            }
            member.handle(w);
        }
        node.close();
        callbacks.shutdown();
        out.flush();
        System.exit(0);
    }

    private void handle(String[] w) {
        String id = w[0];
        try {
            switch (w[1]) {
                case "put" -> answer(id, node.kv().putAsync(w[2], w[3]).thenApply(r -> "ok " + r.revision()));
                case "get" -> answer(id, node.kv().getAsync(w[2]).thenApply(ScriptedMember::valueAnswer));
                case "sget" -> answer(id, node.kv().getAsync(KeyRange.key(w[2]), GetOptions.serializableRead())
                        .thenApply(ScriptedMember::valueAnswer));
                case "rget" -> answer(id, node.kv().getAsync(KeyRange.key(w[2]),
                        GetOptions.serializableRead().withRevision(Long.parseLong(w[3])))
                        .thenApply(ScriptedMember::valueAnswer));
                case "cas" -> {
                    Compare expected = w[3].equals(ABSENT) ? Compare.createRevision(w[2]).eq(0)
                            : Compare.value(w[2]).eq(w[3]);
                    answer(id, node.kv().txn().when(expected).then(Op.put(w[2], w[4])).commitAsync()
                            .thenApply(r -> "ok " + r.revision() + " " + r.succeeded()));
                }
                case "count" -> answer(id, node.kv().getAsync(KeyRange.prefix(w[2]),
                        GetOptions.serializableRead().withCountOnly()).thenApply(r -> "ok " + r.revision() + " " + r.count()));
                case "status" -> {
                    MemberStatus s = node.maintenance().status();
                    line(id + " ok " + s.leaderId() + " " + s.isLeader() + " " + s.term() + " " + s.appliedIndex()
                            + " " + s.revision());
                }
                case "hash" -> line(id + " ok " + Long.toHexString(node.maintenance().hash(Long.parseLong(w[2]))));
                case "watch" -> {
                    node.watcher().watch(WatchSpec.prefix(w[2]), (WatchListener) (events, revision) -> {
                        for (Event e : events) {
                            line("* event " + e.type() + " " + e.kv().key().toStringUtf8() + " "
                                    + (e.type() == Event.Type.PUT ? e.kv().value().toStringUtf8() : ABSENT) + " "
                                    + e.revision());
                        }
                    });
                    line(id + " ok");
                }
                default -> line(id + " failed unknown-command " + w[1]);
            }
        } catch (ArrayIndexOutOfBoundsException e) {
            line(id + " failed missing-argument " + String.join(" ", w));
        } catch (RuntimeException e) {
            line(id + " " + outcome(e) + " " + oneLine(e));
        }
    }

    private static String valueAnswer(GetResult r) {
        return "ok " + r.revision() + " " + r.valueUtf8().orElse(ABSENT);
    }

    private void answer(String id, CompletableFuture<String> reply) {
        reply.whenComplete((ok, error) -> line(id + " " + (error == null ? ok : outcome(error) + " " + oneLine(error))));
    }

    /** "failed" only when Cohort says the request certainly did not take effect; anything else may have. */
    private static String outcome(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        boolean notApplied = c instanceof CohortException.NoLeader || c instanceof CohortException.Overloaded
                || c instanceof KeyspaceException || c instanceof IllegalArgumentException;
        return notApplied ? "failed" : "unknown";
    }

    private static String oneLine(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return (c.getClass().getSimpleName() + ": " + c.getMessage()).replace('\n', ' ');
    }

    private void line(String s) {
        synchronized (out) {
            out.println(s);
        }
    }
}
