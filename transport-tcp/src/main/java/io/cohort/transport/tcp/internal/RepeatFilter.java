package io.cohort.transport.tcp.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a log line is news: a refusal repeated by a misconfigured peer on every redial is
 * worth one WARN per interval, not one every few hundred milliseconds. Remembers at most
 * {@code maxKeys} lines (least recently used are forgotten). Thread-safe.
 */
public final class RepeatFilter {
    private final int maxKeys;
    private final long intervalNanos;
    private final Map<String, Long> lastWarnNanos;

    /** Lets each distinct line through at most once per {@code intervalMs}, remembering {@code maxKeys} lines. */
    public RepeatFilter(int maxKeys, long intervalMs) {
        this.maxKeys = maxKeys;
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.lastWarnNanos = new LinkedHashMap<>(16, 0.75f, true);
    }

    /** True if {@code line} was not let through within the interval (and records that it is now). */
    public synchronized boolean isNews(String line, long nowNanos) {
        Long last = lastWarnNanos.get(line);
        if (last != null && nowNanos - last < intervalNanos) {
            return false;
        }
        lastWarnNanos.put(line, nowNanos);
        if (lastWarnNanos.size() > maxKeys) {
            lastWarnNanos.remove(lastWarnNanos.keySet().iterator().next());
        }
        return true;
    }
}
