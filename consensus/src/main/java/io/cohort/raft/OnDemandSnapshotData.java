package io.cohort.raft;

/**
 * A snapshot whose state the state machine holds durably in its own storage ({@link SnapshotData#onDemand}): there are
 * no bytes until a follower needs them, when {@link StateMachine#captureSnapshotToSend} writes them.
 *
 * @param heldIndex the applied index the state machine durably held when the snapshot was stored
 */
record OnDemandSnapshotData(long heldIndex) implements SnapshotData {

    OnDemandSnapshotData {
        if (heldIndex < 0) {
            throw new IllegalArgumentException("heldIndex must be >= 0, was " + heldIndex);
        }
    }

    @Override
    public long sizeBytes() {
        throw notWritten();
    }

    @Override
    public int checksum() {
        throw notWritten();
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
        throw notWritten();
    }

    private IllegalStateException notWritten() {
        return new IllegalStateException("the snapshot is held by the state machine (at applied index " + heldIndex
                + "): its bytes are written on demand by StateMachine.captureSnapshotToSend");
    }
}
