package io.cohort.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the side-by-side Markdown table (Cohort against etcd, ratios, whether each target of issue 6 is met) and
 * the PNG chart from the result lines. Run alone it rebuilds both from one or more JSON-lines files; with several
 * (repeated runs), each cell is the median over the runs of that field, and the runs' values follow in a second
 * table: {@code ReportWriter <report.md> <chart.png> <header file or -> <results.jsonl>...}.
 */
public final class ReportWriter {
    private ReportWriter() {
    }

    /** Entry point: rebuilds the report from results files (the per-field median if several). */
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            throw new IllegalArgumentException(
                    "usage: ReportWriter <report.md> <chart.png> <header file or -> <results.jsonl>...");
        }
        List<List<PointResult>> runs = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            runs.add(Files.readAllLines(Path.of(args[i])).stream().filter(l -> !l.isBlank())
                    .map(PointResult::fromJsonLine).toList());
        }
        StringBuilder header = new StringBuilder(args[2].equals("-") ? "" : Files.readString(Path.of(args[2])));
        List<PointResult> results = runs.get(0);
        if (runs.size() > 1) {
            results = medians(runs);
            header.append("- Each cell: the median over ").append(runs.size()).append(" runs (")
                    .append(String.join(", ", java.util.Arrays.asList(args).subList(3, args.length).stream()
                            .map(a -> Path.of(a).getFileName().toString()).toList()))
                    .append("), field by field; the runs' own values are in the table below it.\n");
        }
        write(results, header.toString(), Path.of(args[0]), Path.of(args[1]));
        if (runs.size() > 1) {
            StringBuilder perRun = new StringBuilder("\n### The runs\n\n| workload | in flight | run | Cohort ops/s"
                    + " | etcd ops/s | ratio | Cohort p50 / p99 µs | etcd p50 / p99 µs |\n"
                    + "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (PointResult m : results) {
                if (!m.system().equals("cohort")) {
                    continue;
                }
                for (int i = 0; i < runs.size(); i++) {
                    Optional<PointResult> c = find(runs.get(i), "cohort", m.workload(), m.inFlight());
                    Optional<PointResult> e = find(runs.get(i), "etcd", m.workload(), m.inFlight());
                    perRun.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %s |\n",
                            m.workload(), m.inFlight(), i + 1, ops(c), ops(e),
                            c.isPresent() && e.isPresent() ? ratio(c.get().opsPerSecond() / e.get().opsPerSecond())
                                    : "–", latency(c), latency(e)));
                }
            }
            Files.writeString(Path.of(args[0]), perRun.toString(), java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /** Per system, workload and in-flight count: the median of each field over the runs that have the point. */
    static List<PointResult> medians(List<List<PointResult>> runs) {
        List<PointResult> out = new ArrayList<>();
        for (PointResult first : runs.get(0)) {
            List<PointResult> same = new ArrayList<>();
            for (List<PointResult> run : runs) {
                find(run, first.system(), first.workload(), first.inFlight()).ifPresent(same::add);
            }
            out.add(new PointResult(first.system(), first.workload(), first.inFlight(), first.seconds(),
                    (long) median(same, r -> r.operations()), median(same, PointResult::opsPerSecond),
                    median(same, PointResult::p50Micros), median(same, PointResult::p90Micros),
                    median(same, PointResult::p99Micros), median(same, PointResult::p999Micros),
                    median(same, PointResult::maxMicros), same.stream().mapToLong(PointResult::errors).sum()));
        }
        return out;
    }

    private static double median(List<PointResult> rs, java.util.function.ToDoubleFunction<PointResult> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Optional<PointResult> find(List<PointResult> run, String system, String workload, int inFlight) {
        return run.stream().filter(r -> r.system().equals(system) && r.workload().equals(workload)
                && r.inFlight() == inFlight).findFirst();
    }

    /** Writes the report and the chart. */
    public static void write(List<PointResult> results, String header, Path report, Path chart) throws IOException {
        ChartWriter.write(results, "Cohort vs etcd 3.4: throughput against p99 latency (3 members, loopback, fsync)",
                chart);
        StringBuilder md = new StringBuilder();
        md.append("# Cohort vs etcd 3.4\n\n").append(header);
        if (!header.isEmpty() && !header.endsWith("\n")) {
            md.append('\n');
        }
        md.append('\n').append(table(results)).append('\n');
        md.append("Chart: `").append(chart.getFileName()).append("` (throughput against p99 latency, log-log).\n");
        Files.writeString(report, md.toString());
        System.out.println();
        System.out.println(table(results));
    }

    /** The side-by-side table: one row per workload and in-flight count run on both systems. */
    public static String table(List<PointResult> results) {
        Map<String, PointResult> cohort = new LinkedHashMap<>();
        Map<String, PointResult> etcd = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (PointResult r : results) {
            String k = r.workload() + "@" + r.inFlight();
            if (!order.contains(k)) {
                order.add(k);
            }
            (r.system().equals("cohort") ? cohort : etcd).put(k, r);
        }
        StringBuilder t = new StringBuilder();
        t.append("| workload | in flight | Cohort ops/s | etcd ops/s | throughput ratio | Cohort p50 / p99 µs"
                + " | etcd p50 / p99 µs | p50 ratio | p99 ratio | target | met |\n");
        t.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
        for (String k : order) {
            Optional<PointResult> c = Optional.ofNullable(cohort.get(k));
            Optional<PointResult> e = Optional.ofNullable(etcd.get(k));
            PointResult any = c.orElseGet(e::orElseThrow);
            double opsRatio = c.isPresent() && e.isPresent() ? c.get().opsPerSecond() / e.get().opsPerSecond()
                    : Double.NaN;
            double p50Ratio = c.isPresent() && e.isPresent() ? c.get().p50Micros() / e.get().p50Micros() : Double.NaN;
            double p99Ratio = c.isPresent() && e.isPresent() ? c.get().p99Micros() / e.get().p99Micros() : Double.NaN;
            String[] target = target(any.workload(), any.inFlight(), opsRatio, p50Ratio, p99Ratio);
            t.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                    any.workload(), any.inFlight(), ops(c), ops(e), ratio(opsRatio), latency(c), latency(e),
                    ratio(p50Ratio), ratio(p99Ratio), target[0], target[1]));
        }
        t.append("\nRatios are Cohort ÷ etcd (throughput: higher is better for Cohort; latency: lower is better)."
                + " Watch rows count delivered events per second over all watchers; latency is put sent → event"
                + " received.\n");
        return t.toString();
    }

    /** The issue's target for a point and whether it is met: {target text, met text}. */
    static String[] target(String workload, int inFlight, double opsRatio, double p50Ratio, double p99Ratio) {
        if (workload.equals("put") && inFlight == 256) {
            return new String[] {"throughput ≥ 5x", met(opsRatio >= 5, opsRatio)};
        }
        if (workload.equals("put") && inFlight == 64) {
            return new String[] {"throughput ≥ 3x", met(opsRatio >= 3, opsRatio)};
        }
        if (workload.equals("put") && inFlight == 1) {
            return new String[] {"p50 ≤ 1/3, p99 ≤ 1/2", met(p50Ratio <= 1.0 / 3 && p99Ratio <= 0.5,
                    Math.max(p50Ratio, p99Ratio))};
        }
        if (workload.equals("lrange")) {
            return new String[] {"throughput ≥ 5x", met(opsRatio >= 5, opsRatio)};
        }
        return new String[] {"—", "—"};
    }

    private static String met(boolean met, double value) {
        if (Double.isNaN(value)) {
            return "not measured";
        }
        return met ? "**yes**" : "**no**";
    }

    private static String ops(Optional<PointResult> r) {
        return r.map(p -> String.format(Locale.ROOT, "%,.0f%s", p.opsPerSecond(), errors(p))).orElse("–");
    }

    private static String latency(Optional<PointResult> r) {
        return r.map(p -> String.format(Locale.ROOT, "%,.0f / %,.0f", p.p50Micros(), p.p99Micros())).orElse("–");
    }

    private static String errors(PointResult p) {
        return p.errors() == 0 ? "" : " (" + p.errors() + " errors)";
    }

    private static String ratio(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.2fx", v);
    }
}
