package io.cohort;

/**
 * Base of the errors a {@link CohortNode} reports about the replication itself (as opposed to a bad request,
 * which fails with the keyspace's {@link io.cohort.mvcc.KeyspaceException}, carrying etcd's code and message).
 */
public abstract class CohortException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CohortException(String message, Throwable cause) {
        super(message, cause);
    }

    /** No leader confirmed the request in time: the request certainly did not and will not take effect. */
    public static final class NoLeader extends CohortException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the reason. */
        public NoLeader(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The write may or may not have taken effect (leader change, timeout after the write entered the log). */
    public static final class OutcomeUnknown extends CohortException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the reason. */
        public OutcomeUnknown(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The node has too many requests in flight; retry later. The request did not take effect. */
    public static final class Overloaded extends CohortException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the limit that was hit. */
        public Overloaded(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The node is closed (or closed while the request was pending; a pending write's outcome is then unknown). */
    public static final class Closed extends CohortException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the reason. */
        public Closed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A membership or leadership change was refused (unknown member, not the leader, change in progress). */
    public static final class Refused extends CohortException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the reason. */
        public Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
