package io.cohort.raft;

/** Base of the exceptions a {@link RaftNode} completes futures with. */
public abstract class RaftException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RaftException(String message) {
        super(message);
    }

    /** The request was not taken into the log: it certainly did not and will not commit. */
    public static final class NotAccepted extends RaftException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception with the reason the request was refused. */
        public NotAccepted(String reason) {
            super(reason);
        }
    }

    /** The request may or may not have committed: the node lost track of it (leader change, timeout). */
    public static final class OutcomeUnknown extends RaftException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception saying why the outcome is unknown. */
        public OutcomeUnknown(String reason) {
            super(reason);
        }
    }

    /** The node was closed before the request completed. */
    public static final class NodeClosed extends RaftException {
        private static final long serialVersionUID = 1L;

        /** Creates the exception for a request that was pending or arrived after close. */
        public NodeClosed(String message) {
            super(message);
        }
    }
}
