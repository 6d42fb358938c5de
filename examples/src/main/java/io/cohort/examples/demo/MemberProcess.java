package io.cohort.examples.demo;

import io.cohort.mvcc.JvmFlags;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A {@link ScriptedMember} running in a child JVM, seen from the parent: start it, send it requests, read its watch
 * events, kill it with SIGKILL. The child gets this JVM's {@code java}, classpath and the JVM flags Cohort needs.
 */
public final class MemberProcess implements AutoCloseable {
    private static final long START_TIMEOUT_MS = 30_000;

    private final long memberId;
    private final Process process;
    private final Writer stdin;
    private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final Consumer<String> events;
    private volatile boolean gone;

    /**
     * An answer: {@code status} is "ok", "failed" (certainly not applied) or "unknown" (may have been applied).
     *
     * @param status the status word
     * @param words the words after it
     */
    public record Reply(String status, List<String> words) {
        /** True for "ok". */
        public boolean ok() {
            return status.equals("ok");
        }

        /** Word {@code i} after the status. */
        public String word(int i) {
            return words.get(i);
        }

        /** Word {@code i} as a number. */
        public long number(int i) {
            return Long.parseLong(words.get(i));
        }
    }

    /** The member process ended (killed or crashed) before answering: the request's outcome is unknown. */
    public static final class MemberGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MemberGone(String message) {
            super(message);
        }
    }

    private MemberProcess(long memberId, Process process, Consumer<String> events) {
        this.memberId = memberId;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.events = events;
        Thread reader = new Thread(this::readAnswers, "member-" + memberId + "-answers");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts member {@code memberId} in a new JVM and waits until its node is up. Its log (standard error) goes to
     * {@code logFile}; {@code events} receives each watch event line ({@code event TYPE KEY VALUE REVISION}).
     */
    public static MemberProcess start(long memberId, Path dataDir, Map<Long, String> members, Path logFile,
                                      Consumer<String> events) {
        return start(memberId, dataDir, members, logFile, events, List.of());
    }

    /** {@link #start(long, Path, Map, Path, Consumer)} with more JVM arguments (e.g. a log level). */
    public static MemberProcess start(long memberId, Path dataDir, Map<Long, String> members, Path logFile,
                                      Consumer<String> events, List<String> jvmArgs) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(JvmFlags.required());
        // Small, quick-starting JVMs: three of them share a laptop (or a 2-core CI box) with the parent. 256 MiB of
        // heap was too little: a leader catching a member up after a partition died of OutOfMemoryError (in the TCP
        // send ring's growth) in the partition test.
        command.addAll(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(ScriptedMember.class.getName());
        command.add(Long.toString(memberId));
        command.add(dataDir.toString());
        command.add(members.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
        try {
            Process p = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            MemberProcess m = new MemberProcess(memberId, p, events);
            try {
                m.ready.get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                m.kill();
                throw new IllegalStateException("member " + memberId + " did not start within " + START_TIMEOUT_MS
                        + " ms (see " + logFile + ")", e);
            }
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start member " + memberId + ": " + e.getMessage(), e);
        }
    }

    /** This member's ID. */
    public long memberId() {
        return memberId;
    }

    /** The process ID of its JVM. */
    public long pid() {
        return process.pid();
    }

    /** True while the process runs. */
    public boolean alive() {
        return !gone && process.isAlive();
    }

    /** Sends one request (words separated by spaces); the future completes with the answer or {@link MemberGone}. */
    public CompletableFuture<Reply> send(String request) {
        long id = nextRequestId.incrementAndGet();
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        pending.put(id, reply);
        if (gone) {
            failPending();
            return reply;
        }
        try {
            synchronized (stdin) {
                stdin.write(id + " " + request + "\n");
                stdin.flush();
            }
        } catch (IOException e) {
            gone = true;
            failPending();
        }
        return reply;
    }

    /** Sends a request and waits up to {@code timeoutMs} for the answer. */
    public Reply call(String request, long timeoutMs) {
        try {
            return send(request).get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("member " + memberId + " did not answer '" + request + "' within "
                    + timeoutMs + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Kills the JVM with SIGKILL (no shutdown hooks, no flush: a crash) and waits for it to end. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gone = true;
        failPending();
    }

    /** Asks the member to close its node and exit; kills it if it has not within 10 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            try {
                synchronized (stdin) {
                    stdin.write("0 exit\n");
                    stdin.flush();
                }
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        gone = true;
        failPending();
    }

    private void readAnswers() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.equals("* ready")) {
                    ready.complete(null);
                } else if (line.startsWith("* ")) {
                    events.accept(line.substring(2));
                } else {
                    String[] w = line.split(" ");
                    CompletableFuture<Reply> reply = w.length >= 2 ? pending.remove(Long.parseLong(w[0])) : null;
                    if (reply != null) {
                        reply.complete(new Reply(w[1], List.of(Arrays.copyOfRange(w, 2, w.length))));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // The stream broke: the process is gone, handled below.
        }
        gone = true;
        ready.completeExceptionally(new MemberGone("member " + memberId + " exited before it was ready"));
        failPending();
    }

    private void failPending() {
        for (Long id : List.copyOf(pending.keySet())) {
            CompletableFuture<Reply> reply = pending.remove(id);
            if (reply != null) {
                reply.completeExceptionally(new MemberGone("member " + memberId + " (pid " + process.pid()
                        + ") is gone" + (process.isAlive() ? "" : " (exit code " + process.exitValue() + ")")
                        + "; the outcome of the request is unknown"));
            }
        }
    }
}
