package io.cohort.benchmarks.load;

/** The workloads of the side-by-side run, named as in etcd's {@code benchmark} tool where one exists. */
public enum Workload {
    /** Puts of a random key. */
    PUT("put"),
    /** Linearizable single-key range of a random key. */
    RANGE_LINEARIZABLE("lrange"),
    /** Serializable single-key range of a random key. */
    RANGE_SERIALIZABLE("srange"),
    /** Txn: value compare on a random key, put on success, get otherwise (the compare always holds). */
    TXN_CAS("cas"),
    /** Watch fan-out: puts under a watched prefix, several watchers; rate and latency are per delivered event. */
    WATCH("watch");

    private final String shortName;

    Workload(String shortName) {
        this.shortName = shortName;
    }

    /** The name used on the command line and in the results. */
    public String shortName() {
        return shortName;
    }

    /** The workload called {@code name}. */
    public static Workload of(String name) {
        for (Workload w : values()) {
            if (w.shortName.equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + name + "' (put, lrange, srange, cas, watch)");
    }
}
