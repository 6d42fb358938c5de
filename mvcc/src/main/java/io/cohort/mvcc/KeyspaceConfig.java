package io.cohort.mvcc;

import java.util.function.LongSupplier;

/**
 * Limits and tuning of a keyspace; build with {@link #builder()}.
 *
 * @param maxRequestBytes the largest encoded write request (etcd {@code --max-request-bytes}, 1.5 MiB)
 * @param maxTxnOps the most compares or ops per txn list (etcd {@code --max-txn-ops}, 128)
 * @param quotaBytes the backend size above which writes are refused (etcd default 2 GiB)
 * @param mapSizeBytes the LMDB map size (the largest the file can grow), at least {@code quotaBytes}
 * @param minLeaseTtlSeconds the minimum granted lease TTL (2 s with etcd's default timings)
 * @param compactionBatchRevisions the most revisions one physical compaction write txn removes
 * @param clockMillis the clock used to compute remaining lease TTLs
 */
public record KeyspaceConfig(long maxRequestBytes, int maxTxnOps, long quotaBytes, long mapSizeBytes,
                             long minLeaseTtlSeconds, int compactionBatchRevisions, LongSupplier clockMillis) {
    /** etcd's maximum lease TTL in seconds. */
    public static final long MAX_LEASE_TTL_SECONDS = 9_000_000_000L;

    /** Checks the limits. */
    public KeyspaceConfig {
        if (maxRequestBytes <= 0 || maxTxnOps <= 0 || quotaBytes <= 0 || minLeaseTtlSeconds <= 0
                || compactionBatchRevisions <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (mapSizeBytes < quotaBytes) {
            throw new IllegalArgumentException("mapSizeBytes " + mapSizeBytes + " < quotaBytes " + quotaBytes);
        }
        if (clockMillis == null) {
            throw new IllegalArgumentException("clockMillis");
        }
    }

    /** The defaults (etcd's). */
    public static KeyspaceConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link KeyspaceConfig}. */
    public static final class Builder {
        private long maxRequestBytes = 1_572_864;
        private int maxTxnOps = 128;
        private long quotaBytes = 2L << 30;
        private long mapSizeBytes = -1;
        private long minLeaseTtlSeconds = 2;
        private int compactionBatchRevisions = 10_000;
        private LongSupplier clockMillis = System::currentTimeMillis;

        private Builder() {
        }

        /** Sets the request size limit. */
        public Builder maxRequestBytes(long v) {
            maxRequestBytes = v;
            return this;
        }

        /** Sets the per-list txn op limit. */
        public Builder maxTxnOps(int v) {
            maxTxnOps = v;
            return this;
        }

        /** Sets the backend quota. */
        public Builder quotaBytes(long v) {
            quotaBytes = v;
            return this;
        }

        /** Sets the LMDB map size (default: quota + 25%, at least quota + 64 MiB). */
        public Builder mapSizeBytes(long v) {
            mapSizeBytes = v;
            return this;
        }

        /** Sets the minimum lease TTL. */
        public Builder minLeaseTtlSeconds(long v) {
            minLeaseTtlSeconds = v;
            return this;
        }

        /** Sets the physical compaction batch size. */
        public Builder compactionBatchRevisions(int v) {
            compactionBatchRevisions = v;
            return this;
        }

        /** Sets the clock for remaining lease TTLs. */
        public Builder clockMillis(LongSupplier v) {
            clockMillis = v;
            return this;
        }

        /** Builds the config. */
        public KeyspaceConfig build() {
            long map = mapSizeBytes > 0 ? mapSizeBytes : Math.max(quotaBytes + quotaBytes / 4, quotaBytes + (64L << 20));
            return new KeyspaceConfig(maxRequestBytes, maxTxnOps, quotaBytes, map, minLeaseTtlSeconds,
                    compactionBatchRevisions, clockMillis);
        }
    }
}
