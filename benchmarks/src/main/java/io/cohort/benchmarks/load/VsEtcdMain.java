package io.cohort.benchmarks.load;

import io.cohort.CohortNode;
import io.cohort.benchmarks.etcd.EtcdTarget;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load-driving JVM of {@code bench-vs-etcd.sh}: it is Cohort member 1 (the embedded side: the load goes to its
 * local node) and holds a jetcd client to the etcd leader (the etcd side). Each point runs on both systems one
 * after the other, so both see the same machine load; results go to a JSON-lines file as they come, then to the
 * Markdown report and the PNG chart.
 *
 * <p>Options ({@code --name=value}): {@code members} (1=host:port,2=...,3=...), {@code data-dir},
 * {@code etcd-endpoints} (comma-separated client URLs), {@code systems} (cohort,etcd), {@code points}
 * (workload:inFlight,...; workloads put, lrange, srange, cas, watch), {@code seconds} (5), {@code warmup} (1),
 * {@code keys} (10000), {@code value-bytes} (256), {@code watchers} (16), {@code out} (results.jsonl),
 * {@code report} (.md), {@code chart} (.png), {@code header} (a file of lines put above the table), {@code etcd-clients} (1: jetcd clients, one
 * gRPC channel each), {@code callback-threads} (0: the node's default callback executor; N: a fixed pool of N),
 * {@code prewarm} (0: none; S: before the first point, every system gets S seconds of unrecorded load, split over the
 * distinct workloads of the point list, each at its largest in-flight count; for a JVM this is JIT warm-up, which
 * otherwise runs inside the first points: C2 compiler threads took 30-50% of the three Cohort JVMs' CPU during the
 * first put:256 point of a run, invisible to JFR's execution samples).
 */
public final class VsEtcdMain {
    private VsEtcdMain() {
    }

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        List<String> systems = Arrays.asList(o.getOrDefault("systems", "cohort,etcd").split(","));
        String pointSpec = o.getOrDefault("points", "put:1,put:64,put:256,lrange:64,lrange:256,srange:64,"
                + "srange:256,cas:64,watch:64");
        double seconds = Double.parseDouble(o.getOrDefault("seconds", "5"));
        double warmup = Double.parseDouble(o.getOrDefault("warmup", "1"));
        double prewarm = Double.parseDouble(o.getOrDefault("prewarm", "0"));
        List<Point> points = parsePoints(pointSpec); // before anything starts: a bad list fails at once
        int keys = Integer.parseInt(o.getOrDefault("keys", "10000"));
        int valueBytes = Integer.parseInt(o.getOrDefault("value-bytes", "256"));
        int watchers = Integer.parseInt(o.getOrDefault("watchers", "16"));
        Path out = Path.of(o.getOrDefault("out", "results.jsonl"));
        byte[] value = new byte[valueBytes];
        Arrays.fill(value, (byte) 'v');
        LoadGenerator generator = new LoadGenerator(keys, value, warmup, seconds, watchers);

        List<Target> targets = new ArrayList<>();
        CohortNode node = null;
        StringBuilder header = new StringBuilder();
        try {
            if (systems.contains("cohort")) {
                node = CohortMembers.start(1, Path.of(required(o, "data-dir")),
                        CohortMembers.parseMembers(required(o, "members")),
                        Integer.parseInt(o.getOrDefault("callback-threads", "0")));
                if (!CohortMembers.awaitLeader(node, 1, 90_000)) {
                    System.out.println("member 1 is not the leader after 90 s; driving it as a follower");
                }
                targets.add(new CohortTarget(node, o.containsKey("callback-threads")
                        ? "a fixed pool of " + o.get("callback-threads") + " callback threads"
                        : "default callback executor"));
            }
            if (systems.contains("etcd")) {
                targets.add(EtcdTarget.connectToLeader(Arrays.asList(required(o, "etcd-endpoints").split(",")),
                        Integer.parseInt(o.getOrDefault("etcd-clients", "1"))));
            }
            if (targets.isEmpty()) {
                throw new IllegalArgumentException("systems must name cohort and/or etcd, got " + systems);
            }
            for (Target t : targets) {
                long start = System.nanoTime();
                t.prepare(keys, value);
                System.out.printf("%s: %d keys of %d bytes preloaded in %.1f s; %s%n", t.name(), keys, valueBytes,
                        (System.nanoTime() - start) / 1e9, t.describe());
            }
            if (prewarm > 0) {
                prewarm(targets, points, prewarm, keys, value, watchers);
            }
            if (o.containsKey("header")) {
                header.append(Files.readString(Path.of(o.get("header"))));
            }
            header.append(String.format(Locale.ROOT, "- Run: %s; %d keys, %d-byte values, %.0f s warm-up + %.0f s"
                            + " measured per point, %d watchers for watch; points interleaved (Cohort then etcd).%n",
                    Instant.now(), keys, valueBytes, warmup, seconds, watchers));
            if (prewarm > 0) {
                header.append(String.format(Locale.ROOT, "- Pre-warm: %.0f s of unrecorded load per system before the"
                        + " first point (the point list's workloads, each at its largest in-flight count).%n", prewarm));
            }
            header.append(String.format(Locale.ROOT, "- JVM: %s %s, %d available processors; load average at start:"
                            + " %s%n", System.getProperty("java.vm.name"), Runtime.version(),
                    Runtime.getRuntime().availableProcessors(), loadAverage()));
            for (Target t : targets) {
                header.append("- ").append(t.name()).append(": ").append(t.describe()).append('\n');
            }

            List<PointResult> results = new ArrayList<>();
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                for (Point point : points) {
                    for (Target t : targets) {
                        PointResult r = generator.run(t, point.workload(), point.inFlight());
                        results.add(r);
                        w.write(r.toJsonLine());
                        w.newLine();
                        w.flush();
                    }
                }
            }
            header.append("- Load average at end: ").append(loadAverage()).append('\n');
            if (CohortMembers.LAST_TRANSPORT.get() != null) {
                header.append("- Member 1's TCP transport at end: ").append(CohortMembers.LAST_TRANSPORT.get().metrics())
                        .append('\n');
            }
            if (o.containsKey("report")) {
                ReportWriter.write(results, header.toString(), Path.of(o.get("report")), Path.of(required(o,
                        "chart")));
            } else {
                System.out.println(ReportWriter.table(results));
            }
        } finally {
            for (Target t : targets) {
                t.close();
            }
            if (node != null) {
                node.close();
            }
        }
        System.exit(0); // jetcd's and the node's non-daemon threads must not keep the JVM.
    }

    /**
     * Unrecorded load on every target before the first point: the distinct workloads of {@code points}, each at
     * its largest in-flight count, sharing {@code seconds} equally. The same for every system.
     */
    private static void prewarm(List<Target> targets, List<Point> points, double seconds, int keys, byte[] value,
                                int watchers) throws Exception {
        Map<Workload, Integer> inFlightByWorkload = new java.util.LinkedHashMap<>();
        for (Point p : points) {
            inFlightByWorkload.merge(p.workload(), p.inFlight(), Math::max);
        }
        LoadGenerator warm = new LoadGenerator(keys, value, 0, seconds / inFlightByWorkload.size(), watchers);
        for (Target t : targets) {
            for (Map.Entry<Workload, Integer> e : inFlightByWorkload.entrySet()) {
                System.out.println("== pre-warm (not recorded): " + t.name() + " " + e.getKey().shortName() + " x"
                        + e.getValue());
                warm.run(t, e.getKey(), e.getValue());
            }
        }
        System.out.println("== pre-warm done");
    }

    /** One point of the run: a workload at a number of requests in flight. */
    private record Point(Workload workload, int inFlight) {
    }

    /** Parses {@code workload:inFlight,...}. */
    private static List<Point> parsePoints(String spec) {
        List<Point> points = new ArrayList<>();
        for (String point : spec.split(",")) {
            String[] p = point.split(":");
            if (p.length != 2) {
                throw new IllegalArgumentException("points: expected workload:inFlight, got '" + point + "'");
            }
            points.add(new Point(Workload.of(p[0]), Integer.parseInt(p[1])));
        }
        return points;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("missing --" + name + "=...");
        }
        return v;
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (String a : args) {
            if (!a.startsWith("--") || !a.contains("=")) {
                throw new IllegalArgumentException("expected --name=value, got '" + a + "'");
            }
            o.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        return o;
    }
}
