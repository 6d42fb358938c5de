package io.cohort.benchmarks.load;

import java.util.Map;

/**
 * One measured point: a system, a workload and a number of requests in flight; rate in operations (or delivered
 * watch events) per second, latencies in microseconds.
 */
public record PointResult(String system, String workload, int inFlight, double seconds, long operations,
                          double opsPerSecond, double p50Micros, double p90Micros, double p99Micros,
                          double p999Micros, double maxMicros, long errors) {

    /** One JSON object on one line. */
    public String toJsonLine() {
        // Doubles in Java's shortest exact form, so a line read back gives the same record.
        return "{\"system\":\"" + system + "\",\"workload\":\"" + workload + "\",\"inFlight\":" + inFlight
                + ",\"seconds\":" + seconds + ",\"operations\":" + operations + ",\"opsPerSecond\":" + opsPerSecond
                + ",\"p50Micros\":" + p50Micros + ",\"p90Micros\":" + p90Micros + ",\"p99Micros\":" + p99Micros
                + ",\"p999Micros\":" + p999Micros + ",\"maxMicros\":" + maxMicros + ",\"errors\":" + errors + "}";
    }

    /** Parses a line written by {@link #toJsonLine()} (flat object, no nesting, no escapes). */
    public static PointResult fromJsonLine(String line) {
        String body = line.trim();
        if (!body.startsWith("{") || !body.endsWith("}")) {
            throw new IllegalArgumentException("not a result line: " + line);
        }
        Map<String, String> fields = new java.util.HashMap<>();
        for (String part : body.substring(1, body.length() - 1).split(",")) {
            int colon = part.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("bad field '" + part + "' in " + line);
            }
            fields.put(unquote(part.substring(0, colon)), unquote(part.substring(colon + 1)));
        }
        return new PointResult(req(fields, "system"), req(fields, "workload"),
                Integer.parseInt(req(fields, "inFlight")), Double.parseDouble(req(fields, "seconds")),
                Long.parseLong(req(fields, "operations")), Double.parseDouble(req(fields, "opsPerSecond")),
                Double.parseDouble(req(fields, "p50Micros")), Double.parseDouble(req(fields, "p90Micros")),
                Double.parseDouble(req(fields, "p99Micros")), Double.parseDouble(req(fields, "p999Micros")),
                Double.parseDouble(req(fields, "maxMicros")), Long.parseLong(req(fields, "errors")));
    }

    /** The point's label in tables and charts, e.g. {@code put x64}. */
    public String label() {
        return workload + " x" + inFlight;
    }

    private static String req(Map<String, String> fields, String name) {
        String v = fields.get(name);
        if (v == null) {
            throw new IllegalArgumentException("result line has no field '" + name + "'");
        }
        return v;
    }

    private static String unquote(String s) {
        String t = s.trim();
        return t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }
}
