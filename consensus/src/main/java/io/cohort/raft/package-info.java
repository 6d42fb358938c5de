/**
 * The Raft engine: a deterministic, single-threaded core ({@link io.cohort.raft.RaftCore}) plus the
 * SPI it is embedded through ({@link io.cohort.raft.LogStorage}, {@link io.cohort.raft.Transport},
 * {@link io.cohort.raft.StateMachine}).
 *
 * <h2>Driving a core</h2>
 * <pre>{@code
 * RaftCore core = new RaftCore(config, storage, latestSnapshot, stateMachine.appliedIndex());
 * // on the Raft thread, forever:
 * core.tick();                       // every tick interval
 * core.step(MessageCodec.decode(...)); // for each inbound message
 * core.propose(command);             // for each client write (returns false if dropped)
 * while (core.hasReady()) {
 *     Ready rd = core.ready();
 *     // 1. install rd.snapshot() (state machine restore + storage.compact), if any; then stage
 *     //    rd.snapshotChunks() (SnapshotReceiver) and hand a verified snapshot to core.snapshotReceived
 *     // 2. storage.append(rd.entries()); storage.setHardState(rd.hardState()); storage.sync();
 *     // 3. send rd.messages()  -- only after the sync
 *     // 4. apply rd.committedEntries(); serve rd.readStates(); honour rd.snapshotRequest()
 *     core.advance(rd);
 * }
 * }</pre>
 * Steps 2 to 4 may run on other threads as long as their order holds and {@code advance} is called
 * on the Raft thread; the core may keep stepping messages and ticks meanwhile (one Ready at a time).
 */
package io.cohort.raft;
