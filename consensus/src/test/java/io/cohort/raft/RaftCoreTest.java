package io.cohort.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaftCoreTest {

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static TestCluster cluster(int n) {
        return new TestCluster(n, c -> { });
    }

    @Test
    void electsOneLeaderAndCommitsEmptyEntry() {
        TestCluster c = cluster(3);
        c.elect(1);
        assertThat(c.core(1).role()).isEqualTo(Role.LEADER);
        for (long id = 2; id <= 3; id++) {
            assertThat(c.core(id).role()).isEqualTo(Role.FOLLOWER);
            assertThat(c.core(id).leaderId()).isEqualTo(1);
            assertThat(c.core(id).term()).isEqualTo(c.core(1).term());
        }
        assertThat(c.core(1).commitIndex()).isEqualTo(c.core(1).lastIndex());
        assertThat(c.count(MessageType.PRE_VOTE)).isEqualTo(2);
        assertThat(c.count(MessageType.VOTE)).isEqualTo(2);
    }

    @Test
    void electionTimeoutElectsSomeone() {
        TestCluster c = cluster(3);
        c.tickAll(40);
        long leaders = c.nodes.values().stream().filter(n -> n.core.role() == Role.LEADER).count();
        assertThat(leaders).isEqualTo(1);
    }

    @Test
    void candidateWithStaleLogLosesElection() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.isolated.add(3L);
        c.core(1).propose(b("x"));
        c.stabilize();
        c.isolated.clear();
        c.core(3).campaign();
        c.stabilize();
        assertThat(c.core(3).role()).isNotEqualTo(Role.LEADER);
    }

    @Test
    void preVoteStopsPartitionedNodeFromDisruptingLeader() {
        TestCluster c = cluster(3);
        c.elect(1);
        long term = c.core(1).term();
        c.isolated.add(3L);
        c.tick(3, 100);
        c.stabilize();
        assertThat(c.core(3).term()).isEqualTo(term);
        assertThat(c.core(3).role()).isEqualTo(Role.PRE_CANDIDATE);
        c.isolated.clear();
        c.tickAll(5);
        assertThat(c.core(1).role()).isEqualTo(Role.LEADER);
        assertThat(c.core(1).term()).isEqualTo(term);
        assertThat(c.core(3).leaderId()).isEqualTo(1);
    }

    @Test
    void withoutPreVotePartitionedNodeRaisesTerm() {
        TestCluster c = new TestCluster(3, b -> b.preVote(false).checkQuorum(false));
        c.elect(1);
        long term = c.core(1).term();
        c.isolated.add(3L);
        c.tick(3, 100);
        c.stabilize();
        assertThat(c.core(3).term()).isGreaterThan(term);
    }

    @Test
    void checkQuorumLeaderStepsDownWhenIsolated() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.isolated.add(1L);
        c.tick(1, 25);
        assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void checkQuorumLeaseIgnoresVotesWhileLeaderAlive() {
        TestCluster c = new TestCluster(3, b -> b.preVote(false));
        c.elect(1);
        long term = c.core(1).term();
        c.tick(3, 30); // only node 3's timer runs: it campaigns in higher terms
        c.stabilize();
        assertThat(c.core(3).term()).isGreaterThan(term);
        assertThat(c.core(1).role()).isEqualTo(Role.LEADER);
        assertThat(c.core(1).term()).isEqualTo(term);
        assertThat(c.core(2).term()).isEqualTo(term);
    }

    @Test
    void replicatesAndForwardsProposals() {
        TestCluster c = cluster(3);
        c.elect(1);
        assertThat(c.core(1).propose(b("a"))).isTrue();
        assertThat(c.core(2).propose(b("b"))).isTrue();
        c.stabilize();
        c.tickAll(2);
        for (TestCluster.TNode n : c.nodes.values()) {
            assertThat(n.commands).extracting(String::new).containsExactly("a", "b");
        }
        assertThat(c.count(MessageType.PROPOSE)).isEqualTo(1);
    }

    @Test
    void aLeaderDeferringCommitOnlyAppendsSendsTheCommitIndexWithTheNextAppendOrWhenAskedAndWithoutOnlyAtOnce() {
        for (boolean defer : new boolean[] {false, true}) {
            TestCluster c = new TestCluster(3, b -> b.deferCommitOnlyAppends(defer));
            c.elect(1);
            c.core(1).sendDeferredCommit(); // The election's own empty entry: told now, whatever the setting.
            c.stabilize();
            c.delivered.clear();
            assertThat(c.core(1).propose(b("a"))).isTrue();
            c.stabilize();
            long a = c.core(1).lastIndex();
            assertThat(c.core(1).commitIndex()).isEqualTo(a);
            List<Message> appends = c.delivered.stream().filter(m -> m.type() == MessageType.APPEND).toList();
            if (!defer) {
                // As etcd's raft: the entry's append, then an empty one carrying the new commit index, per follower.
                assertThat(appends).hasSize(4);
                assertThat(appends.stream().filter(m -> m.entries().isEmpty() && m.commit() == a)).hasSize(2);
                assertThat(c.core(1).commitDeferred()).isFalse();
                assertThat(c.core(2).commitIndex()).isEqualTo(a);
                continue;
            }
            // Only the entry's appends; the followers do not know that it committed.
            assertThat(appends).hasSize(2).allSatisfy(m -> assertThat(m.entries()).hasSize(1));
            assertThat(c.core(1).commitDeferred()).isTrue();
            assertThat(c.core(2).commitIndex()).isLessThan(a);
            assertThat(c.core(3).commitIndex()).isLessThan(a);
            // The next entry's appends carry the commit index, and nothing is deferred while they are out.
            c.delivered.clear();
            assertThat(c.core(1).propose(b("b"))).isTrue();
            c.process();
            assertThat(c.core(1).commitDeferred()).isFalse();
            c.stabilize();
            long b = c.core(1).lastIndex();
            List<Message> carried = c.delivered.stream().filter(m -> m.type() == MessageType.APPEND).toList();
            assertThat(carried).hasSize(2).allSatisfy(m -> {
                assertThat(m.entries()).hasSize(1);
                assertThat(m.commit()).isEqualTo(a);
            });
            assertThat(c.core(2).commitIndex()).isEqualTo(a);
            assertThat(c.core(1).commitDeferred()).isTrue();
            // Asked, the leader sends it in empty appends to every follower.
            c.delivered.clear();
            c.core(1).sendDeferredCommit();
            assertThat(c.core(1).commitDeferred()).isFalse();
            c.stabilize();
            assertThat(c.delivered.stream().filter(m -> m.type() == MessageType.APPEND))
                    .hasSize(2).allSatisfy(m -> {
                        assertThat(m.entries()).isEmpty();
                        assertThat(m.commit()).isEqualTo(b);
                    });
            for (long id = 1; id <= 3; id++) {
                assertThat(c.core(id).commitIndex()).isEqualTo(b);
                assertThat(c.nodes.get(id).commands).extracting(String::new).containsExactly("a", "b");
            }
            // Without the call, a heartbeat carries it; and a leader that steps down forgets what it deferred.
            assertThat(c.core(1).propose(b("c"))).isTrue();
            c.stabilize();
            assertThat(c.core(1).commitDeferred()).isTrue();
            c.tickAll(1);
            assertThat(c.core(2).commitIndex()).isEqualTo(c.core(1).commitIndex());
            assertThat(c.core(1).propose(b("d"))).isTrue();
            c.stabilize();
            assertThat(c.core(1).commitDeferred()).isTrue();
            assertThat(c.core(1).transferLeadership(2)).isTrue();
            c.stabilize();
            assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
            assertThat(c.core(2).role()).isEqualTo(Role.LEADER);
            assertThat(c.core(1).commitDeferred()).isFalse();
        }
    }

    @Test
    void pipelinesBoundedByInflightCount() {
        TestCluster c = new TestCluster(3, b -> b.maxInflightAppends(2).maxAppendBytes(1));
        c.elect(1);
        c.isolated.add(2L);
        c.isolated.add(3L);
        for (int i = 0; i < 10; i++) {
            c.core(1).propose(b("p" + i));
        }
        c.process();
        long appendsTo2 = c.inFlight.stream().filter(m -> m.type() == MessageType.APPEND && m.to() == 2).count();
        assertThat(appendsTo2).isLessThanOrEqualTo(2);
        c.isolated.clear();
        c.stabilize();
        c.tickAll(3);
        assertThat(c.nodes.get(2L).commands).hasSize(10);
    }

    @Test
    void divergentFollowerIsRepairedWithFastBacktracking() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.isolated.add(1L);
        for (int i = 0; i < 30; i++) {
            c.core(1).propose(b("lost" + i)); // never committed
        }
        c.stabilize();
        c.tick(3, 25); // node 3 times out: it stops honouring the old leader's lease
        c.stabilize();
        c.elect(2);
        for (int i = 0; i < 5; i++) {
            c.core(2).propose(b("kept" + i));
        }
        c.stabilize();
        c.isolated.clear();
        c.delivered.clear();
        c.tickAll(3);
        assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.core(1).lastIndex()).isEqualTo(c.core(2).lastIndex());
        for (long i = 1; i <= c.core(2).lastIndex(); i++) {
            assertThat(c.core(1).termAt(i)).isEqualTo(c.core(2).termAt(i));
        }
        assertThat(c.nodes.get(1L).commands).extracting(String::new)
                .containsExactly("kept0", "kept1", "kept2", "kept3", "kept4");
        long rejects = c.delivered.stream().filter(m -> m.type() == MessageType.APPEND_RESPONSE && m.reject()).count();
        assertThat(rejects).isLessThanOrEqualTo(2); // one term-hinted reject, not 30
    }

    @Test
    void readIndexIsBatchedIntoOneHeartbeatRound() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.delivered.clear();
        for (int i = 0; i < 5; i++) {
            assertThat(c.core(1).readIndex(new byte[] {(byte) i})).isTrue();
        }
        c.stabilize();
        assertThat(c.count(MessageType.HEARTBEAT)).isEqualTo(2);
        assertThat(c.nodes.get(1L).reads).hasSize(5);
        assertThat(c.nodes.get(1L).reads).allMatch(r -> r.index() == c.core(1).commitIndex());
    }

    @Test
    void followerReadIndexIsForwarded() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.core(1).propose(b("w"));
        c.stabilize();
        assertThat(c.core(3).readIndex(b("r1"))).isTrue();
        c.stabilize();
        assertThat(c.nodes.get(3L).reads).hasSize(1);
        assertThat(c.nodes.get(3L).reads.get(0).index()).isEqualTo(c.core(1).commitIndex());
        assertThat(new String(c.nodes.get(3L).reads.get(0).context())).isEqualTo("r1");
    }

    @Test
    void readIndexWaitsUntilLeaderCommitsInItsTerm() {
        TestCluster c = cluster(3);
        c.drop = m -> m.type() == MessageType.APPEND_RESPONSE;
        c.elect(1);
        assertThat(c.core(1).commitIndex()).isLessThan(c.core(1).lastIndex());
        c.core(1).readIndex(b("r"));
        c.tick(1, 1);
        c.stabilize();
        assertThat(c.nodes.get(1L).reads).isEmpty();
        c.drop = m -> false;
        c.tickAll(2);
        assertThat(c.nodes.get(1L).reads).hasSize(1);
        assertThat(c.nodes.get(1L).reads.get(0).index()).isEqualTo(c.core(1).lastIndex());
    }

    @Test
    void leaderTransferHandsOverAndRefusesProposalsMeanwhile() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.isolated.add(3L);
        c.core(1).propose(b("x"));
        c.stabilize();
        assertThat(c.core(1).transferLeadership(3)).isTrue();
        assertThat(c.core(1).propose(b("refused"))).isFalse();
        c.isolated.clear();
        c.tickAll(2);
        assertThat(c.core(3).role()).isEqualTo(Role.LEADER);
        assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
        assertThat(c.count(MessageType.TIMEOUT_NOW)).isEqualTo(1);
    }

    @Test
    void membershipChangesOneAtATimeAndLearnersDoNotVote() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.addNode(4, Membership.EMPTY);
        assertThat(c.core(1).proposeConfigChange(ConfChange.of(ConfChange.Type.ADD_LEARNER, 4))).isTrue();
        assertThat(c.core(1).proposeConfigChange(ConfChange.of(ConfChange.Type.ADD_LEARNER, 5))).isFalse();
        c.stabilize();
        c.tickAll(2);
        assertThat(c.core(1).membership().learners()).containsExactly(4L);
        assertThat(c.core(4).membership().learners()).containsExactly(4L);
        assertThat(c.core(4).commitIndex()).isEqualTo(c.core(1).commitIndex());

        // a learner never campaigns
        long term = c.core(4).term();
        c.tick(4, 100);
        assertThat(c.core(4).term()).isEqualTo(term);
        assertThat(c.count(MessageType.PRE_VOTE)).isEqualTo(2);

        // a learner's ack does not count towards the quorum
        c.isolated.add(2L);
        c.isolated.add(3L);
        long commit = c.core(1).commitIndex();
        c.core(1).propose(b("needs a voter"));
        c.stabilize();
        assertThat(c.core(4).lastIndex()).isGreaterThan(commit);
        assertThat(c.core(1).commitIndex()).isEqualTo(commit);
        c.isolated.clear();
        c.tickAll(2);

        assertThat(c.core(1).proposeConfigChange(ConfChange.of(ConfChange.Type.PROMOTE_LEARNER, 4))).isTrue();
        c.stabilize();
        c.tickAll(2);
        assertThat(c.core(1).membership().voters()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
        assertThat(c.core(1).proposeConfigChange(ConfChange.of(ConfChange.Type.REMOVE_VOTER, 1))).isTrue();
        c.stabilize();
        c.tickAll(30);
        assertThat(c.core(2).membership().voters()).containsExactlyInAnyOrder(2L, 3L, 4L);
        assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
        long leaders = c.nodes.values().stream().filter(n -> n.core.role() == Role.LEADER).count();
        assertThat(leaders).isEqualTo(1);
    }

    /** The index of each snapshot the leader takes while {@code proposals} 10-byte commands commit one by one. */
    private static List<Long> snapshotPoints(int snapshotBytes, int proposals) {
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5));
        c.nodes.get(1L).snapshotSource = meta -> SnapshotData.ofBytes(new byte[snapshotBytes]);
        c.elect(1);
        List<Long> points = new java.util.ArrayList<>();
        for (int i = 0; i < proposals; i++) {
            c.core(1).propose(b(String.format("cmd-%06d", i)));
            c.stabilize();
            Snapshot s = c.core(1).latestSnapshot();
            if (s != null && (points.isEmpty() || points.get(points.size() - 1) != s.meta().index())) {
                points.add(s.meta().index());
            }
        }
        return points;
    }

    @Test
    void snapshotsSmallerThanTheIntervalsLogComeAtTheConfiguredInterval() {
        List<Long> points = snapshotPoints(40, 60);
        assertThat(points).hasSizeGreaterThan(5);
        for (int i = 1; i < points.size(); i++) {
            assertThat(points.get(i) - points.get(i - 1)).isEqualTo(5);
        }
    }

    @Test
    void theSnapshotIntervalGrowsWithTheSnapshotsSize() {
        // 1,000-byte snapshots, 10-byte commands: after the first snapshot, the next waits for ~1,000 bytes of log
        // (by the mean entry size of the interval before; the first interval also holds the leader's entries).
        List<Long> points = snapshotPoints(1_000, 400);
        assertThat(points.get(0)).isLessThanOrEqualTo(6);
        assertThat(points).hasSizeGreaterThanOrEqualTo(4);
        for (int i = 1; i < points.size(); i++) {
            assertThat(points.get(i) - points.get(i - 1)).isBetween(80L, 100L);
        }
        assertThat(points.get(points.size() - 1) - points.get(points.size() - 2)).isEqualTo(100);
    }

    @Test
    void theSnapshotIntervalGrowsToAtMost64TimesTheConfiguredOne() {
        List<Long> points = snapshotPoints(1 << 20, 700);
        assertThat(points).hasSizeGreaterThanOrEqualTo(3);
        for (int i = 1; i < points.size(); i++) {
            assertThat(points.get(i) - points.get(i - 1)).isEqualTo(64 * 5);
        }
    }

    @Test
    void laggingFollowerGetsChunkedSnapshotAfterCompaction() {
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5).snapshotChunkBytes(16));
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 30; i++) {
            c.core(1).propose(b("cmd" + i));
            c.stabilize();
        }
        assertThat(c.nodes.get(1L).storage.firstIndex()).isGreaterThan(20);
        c.isolated.clear();
        c.delivered.clear();
        c.tickAll(5);
        long chunks = c.count(MessageType.SNAPSHOT_CHUNK);
        assertThat(chunks).isGreaterThan(3);
        assertThat(c.delivered.stream().filter(m -> m.type() == MessageType.SNAPSHOT_CHUNK)
                .allMatch(m -> m.chunk().length <= 16)).isTrue();
        assertThat(c.nodes.get(3L).commands).extracting(String::new)
                .containsExactlyElementsOf(c.nodes.get(1L).commands.stream().map(String::new).toList());
        assertThat(c.nodes.get(3L).storage.firstIndex()).isGreaterThan(20);
        assertThat(c.core(3).commitIndex()).isEqualTo(c.core(1).commitIndex());
    }

    @Test
    void aHeldSnapshotIsWrittenOnlyWhenAFollowerNeedsItAndMayHoldMoreThanItsIndex() {
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5).snapshotChunkBytes(16));
        c.nodes.values().forEach(n -> n.onDemand = true);
        TestCluster.TNode leader = c.nodes.get(1L);
        leader.deferSnapshotsToSend = true;
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 30; i++) {
            c.core(1).propose(b("cmd" + i));
            c.stabilize();
        }
        assertThat(leader.storage.firstIndex()).isGreaterThan(20);
        assertThat(c.core(1).latestSnapshot().data().writtenOnDemand()).isTrue();
        assertThat(leader.snapshotsToSendAsked).as("nothing written while no follower needs it").isEmpty();

        c.isolated.clear();
        c.delivered.clear();
        c.tickAll(5);
        assertThat(c.count(MessageType.SNAPSHOT_CHUNK)).as("nothing to send before it is written").isZero();
        assertThat(leader.snapshotsToSendAsked).as("asked once, however many heartbeats")
                .containsExactly(c.core(1).latestSnapshot().meta());
        // Refused (an I/O error, say): asked again when next needed.
        c.core(1).snapshotToSendFailed(leader.snapshotsToSendAsked.get(0));
        c.tickAll(5);
        assertThat(leader.snapshotsToSendAsked).hasSize(2);

        // A commit before the application writes it: the bytes hold more than the snapshot's index.
        SnapshotMeta asked = leader.snapshotsToSendAsked.get(1);
        c.core(1).propose(b("cmd30"));
        c.stabilize();
        assertThat(c.core(1).latestSnapshot().meta()).as("no newer snapshot meanwhile").isEqualTo(asked);
        assertThat(leader.applied).isGreaterThan(asked.index());
        leader.writeSnapshotsToSend();
        c.stabilize();
        c.tickAll(5);
        assertThat(c.count(MessageType.SNAPSHOT_CHUNK)).isGreaterThan(3);
        TestCluster.TNode follower = c.nodes.get(3L);
        assertThat(follower.commands).extracting(String::new).as("each command once, in order")
                .containsExactlyElementsOf(leader.commands.stream().map(String::new).toList());
        assertThat(follower.applied).isEqualTo(leader.applied);
        assertThat(c.core(3).commitIndex()).isEqualTo(c.core(1).commitIndex());
        c.core(1).propose(b("after"));
        c.stabilize();
        assertThat(new String(follower.commands.get(follower.commands.size() - 1))).isEqualTo("after");
    }

    @Test
    void snapshotChunkLossIsRecovered() {
        TestCluster c = new TestCluster(3, b -> b.snapshotIntervalEntries(5).snapshotChunkBytes(16));
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 20; i++) {
            c.core(1).propose(b("cmd" + i));
            c.stabilize();
        }
        c.isolated.clear();
        int[] n = {0};
        c.drop = m -> m.type() == MessageType.SNAPSHOT_CHUNK && n[0]++ % 3 == 1;
        c.tickAll(20);
        c.drop = m -> false;
        c.tickAll(5);
        assertThat(c.nodes.get(3L).commands).hasSize(20);
    }

    @Test
    void restartKeepsTermVoteAndLog() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.core(1).propose(b("durable"));
        c.stabilize();
        c.tickAll(1);
        TestCluster.TNode n2 = c.nodes.get(2L);
        RaftCore restarted = new RaftCore(RaftConfig.builder(2).electionTicks(10).heartbeatTicks(1).build(), n2.storage,
                null, 0);
        assertThat(restarted.term()).isEqualTo(c.core(1).term());
        assertThat(restarted.lastIndex()).isEqualTo(c.core(1).lastIndex());
        assertThat(restarted.membership().voters()).containsExactlyInAnyOrder(1L, 2L, 3L);
        Ready rd = restarted.ready();
        assertThat(rd.committedEntries()).extracting(Entry::index).last().isEqualTo(c.core(1).commitIndex());
        assertThat(rd.hardState()).isNull();
    }

    @Test
    void singleNodeCommitsAndReadsAlone() {
        TestCluster c = cluster(1);
        c.elect(1);
        c.core(1).propose(b("solo"));
        c.stabilize();
        c.core(1).readIndex(b("r"));
        c.stabilize();
        assertThat(c.nodes.get(1L).commands).extracting(String::new).containsExactly("solo");
        assertThat(c.nodes.get(1L).reads).hasSize(1);
    }

    @Test
    void proposalsAreBounded() {
        TestCluster c = new TestCluster(3, b -> b.maxUncommittedEntries(5));
        c.elect(1);
        c.isolated.add(2L);
        c.isolated.add(3L);
        int accepted = 0;
        for (int i = 0; i < 10; i++) {
            if (c.core(1).propose(b("p"))) {
                accepted++;
            }
        }
        assertThat(accepted).isEqualTo(5);
        assertThat(c.core(2).propose(List.of().isEmpty() ? b("x") : b("y"))).isTrue();
    }

    @Test
    void leaderNeverCommitsPreviousTermEntryByCountingReplicas() {
        TestCluster c = cluster(3);
        c.elect(1);
        c.isolated.add(1L);
        c.core(1).propose(b("old-term")); // index 3, never replicated
        c.stabilize();
        long k = c.core(1).lastIndex();
        c.tick(1, 25); // check-quorum: 1 steps down
        assertThat(c.core(1).role()).isEqualTo(Role.FOLLOWER);
        c.tick(2, 10);
        c.tick(3, 10);
        c.inFlight.clear();
        c.isolated.clear();
        // 1 wins a new term, but nothing it sends or receives about appends gets through
        c.drop = m -> m.type() == MessageType.APPEND || m.type() == MessageType.APPEND_RESPONSE
                || m.type() == MessageType.HEARTBEAT;
        c.elect(1);
        long term = c.core(1).term();
        long commit = c.core(1).commitIndex();
        assertThat(commit).isLessThan(k);
        assertThat(c.core(1).lastIndex()).isEqualTo(k + 1);
        // a follower acknowledges the old-term entry: a majority holds it, but it must not commit
        c.core(1).step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(k).build());
        c.process();
        assertThat(c.core(1).commitIndex()).isEqualTo(commit);
        // once the leader's own-term entry is on a majority, both commit
        c.core(1).step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(k + 1).build());
        c.process();
        assertThat(c.core(1).commitIndex()).isEqualTo(k + 1);
    }

    @Test
    void coreKeepsSteppingWhileReadyIsBeingPersisted() {
        TestCluster c = cluster(3);
        c.elect(1);
        RaftCore f = c.core(2);
        long term = c.core(1).term();
        long last = f.lastIndex();
        long commit = f.commitIndex();
        List<Entry> first = List.of(new Entry(last + 1, term, EntryType.COMMAND, b("a")));
        f.step(Message.builder(MessageType.APPEND).from(1).to(2).term(term).index(last).logTerm(term)
                .commit(commit).entries(first).build());
        Ready rd1 = f.ready();
        assertThat(rd1.entries()).isEqualTo(first);
        assertThat(rd1.messages()).hasSize(1); // the ack, to be sent only after persisting
        // while rd1 is being persisted, more entries arrive
        List<Entry> second = List.of(new Entry(last + 2, term, EntryType.COMMAND, b("b")));
        f.step(Message.builder(MessageType.APPEND).from(1).to(2).term(term).index(last + 1).logTerm(term)
                .commit(commit).entries(second).build());
        assertThat(f.hasReady()).isFalse(); // one Ready at a time
        org.assertj.core.api.Assertions.assertThatThrownBy(f::ready).isInstanceOf(IllegalStateException.class);
        c.nodes.get(2L).storage.append(rd1.entries());
        f.advance(rd1);
        Ready rd2 = f.ready();
        assertThat(rd2.entries()).isEqualTo(second);
        assertThat(rd2.messages()).extracting(Message::index).containsExactly(last + 2);
        c.nodes.get(2L).storage.append(rd2.entries());
        f.advance(rd2);
        assertThat(f.lastIndex()).isEqualTo(last + 2);
    }

    @Test
    void whileAReadyIsPersistedALeaderSendsNewAppendsAndAFollowerForwardsButDoesNotAck() {
        TestCluster c = cluster(3);
        c.elect(1);
        RaftCore l = c.core(1);
        long term = l.term();
        l.propose(b("a"));
        Ready rd1 = l.ready();
        assertThat(rd1.entries()).hasSize(1);
        // While rd1 syncs, a second proposal's appends may go out at once: they depend on nothing unsynced.
        l.propose(b("b"));
        List<Message> early = l.takeEarlyMessages();
        assertThat(early).extracting(Message::type).containsOnly(MessageType.APPEND);
        assertThat(early).extracting(Message::to).containsExactlyInAnyOrder(2L, 3L);
        assertThat(early).allSatisfy(m -> assertThat(m.entries()).extracting(e -> new String(e.data(),
                StandardCharsets.UTF_8)).last().asString().endsWith("b"));
        assertThat(l.takeEarlyMessages()).as("taken once").isEmpty();
        // The leader's own entries count towards the commit only after advance: one follower's ack and
        // the leader's unsynced copy are not a quorum.
        long last = l.lastIndex();
        l.step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(last).build());
        assertThat(l.commitIndex()).isLessThan(last);

        // A follower with a Ready outstanding forwards a proposal at once but keeps its ack for after the sync.
        RaftCore f = c.core(2);
        long fl = f.lastIndex();
        f.step(Message.builder(MessageType.APPEND).from(1).to(2).term(term).index(fl).logTerm(term)
                .commit(f.commitIndex()).entries(List.of(new Entry(fl + 1, term, EntryType.COMMAND, b("c"))))
                .build());
        Ready frd = f.ready();
        assertThat(frd.messages()).extracting(Message::type).containsExactly(MessageType.APPEND_RESPONSE);
        f.step(Message.builder(MessageType.APPEND).from(1).to(2).term(term).index(fl + 1).logTerm(term)
                .commit(f.commitIndex()).entries(List.of(new Entry(fl + 2, term, EntryType.COMMAND, b("d"))))
                .build());
        f.propose(b("e"));
        assertThat(f.takeEarlyMessages()).extracting(Message::type).containsExactly(MessageType.PROPOSE);
        c.nodes.get(2L).storage.append(frd.entries());
        f.advance(frd);
        assertThat(f.ready().messages()).extracting(Message::type).containsExactly(MessageType.APPEND_RESPONSE);
    }

    @Test
    void commitsLearntWhileAReadyIsOutstandingAreHandedOutOnlyIfStableAndOnlyOnce() {
        TestCluster c = cluster(3);
        c.elect(1);
        RaftCore l = c.core(1);
        long term = l.term();
        l.propose(b("a"));
        Ready rd1 = l.ready();
        c.nodes.get(1L).storage.append(rd1.entries());
        l.advance(rd1);
        long a = l.lastIndex();
        l.propose(b("b"));
        Ready rd2 = l.ready(); // b is being synced
        long bIndex = l.lastIndex();
        assertThat(l.takeStableCommitted()).as("nothing committed yet").isEmpty();
        l.step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(a).build());
        List<Entry> stable = l.takeStableCommitted();
        assertThat(stable).extracting(Entry::index).containsExactly(a);
        assertThat(l.takeStableCommitted()).as("handed out once").isEmpty();
        // b commits on the two followers' acks alone, but is not durable here yet: it waits for a Ready.
        l.step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(bIndex).build());
        l.step(Message.builder(MessageType.APPEND_RESPONSE).from(3).to(1).term(term).index(bIndex).build());
        assertThat(l.commitIndex()).isEqualTo(bIndex);
        assertThat(l.takeStableCommitted()).isEmpty();
        l.stableCommittedApplied(a);
        assertThat(l.appliedIndex()).as("counted at the outstanding Ready's advance").isLessThan(a);
        c.nodes.get(1L).storage.append(rd2.entries());
        l.advance(rd2);
        assertThat(l.appliedIndex()).isEqualTo(a);
        Ready rd3 = l.ready();
        assertThat(rd3.committedEntries()).extracting(Entry::index).containsExactly(bIndex);
        l.advance(rd3);
        assertThat(l.appliedIndex()).isEqualTo(bIndex);
        assertThatThrownBy(() -> l.stableCommittedApplied(bIndex + 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aConfigurationChangeIsNeverHandedOutAsAStableCommit() {
        TestCluster c = cluster(3);
        c.elect(1);
        RaftCore l = c.core(1);
        long term = l.term();
        assertThat(l.proposeConfigChange(ConfChange.of(ConfChange.Type.ADD_LEARNER, 4))).isTrue();
        l.propose(b("after"));
        Ready rd1 = l.ready();
        c.nodes.get(1L).storage.append(rd1.entries());
        l.advance(rd1);
        long last = l.lastIndex();
        l.propose(b("next"));
        Ready rd2 = l.ready();
        l.step(Message.builder(MessageType.APPEND_RESPONSE).from(2).to(1).term(term).index(last).build());
        assertThat(l.commitIndex()).isEqualTo(last);
        assertThat(l.takeStableCommitted()).as("stops before the configuration change").isEmpty();
        c.nodes.get(1L).storage.append(rd2.entries());
        l.advance(rd2);
        Ready rd3 = l.ready();
        assertThat(rd3.committedEntries()).extracting(Entry::type)
                .containsExactly(EntryType.CONFIG_CHANGE, EntryType.COMMAND);
        l.advance(rd3);
        assertThat(l.membership().learners()).containsExactly(4L);
    }

    @Test
    void aNewLeaderWhoseVoteIsNotYetDurableSendsNothingEarly() {
        TestCluster c = new TestCluster(3, b -> b.preVote(false));
        c.elect(1);
        RaftCore n = c.core(2);
        long oldTerm = n.term();
        n.campaign();
        // The campaign changed term and vote: until that Ready is persisted and advanced, nothing goes early,
        // even once the votes are in and the candidate leads.
        Ready rd = n.ready();
        assertThat(rd.hardState()).isNotNull();
        assertThat(rd.hardState().term()).isEqualTo(oldTerm + 1);
        n.step(Message.builder(MessageType.VOTE_RESPONSE).from(3).to(2).term(oldTerm + 1).build());
        assertThat(n.role()).isEqualTo(Role.LEADER);
        n.propose(b("x"));
        assertThat(n.takeEarlyMessages()).isEmpty();
        c.nodes.get(2L).storage.append(rd.entries());
        c.nodes.get(2L).storage.setHardState(rd.hardState());
        n.advance(rd);
        assertThat(n.takeEarlyMessages()).as("its term and vote are durable now").isNotEmpty()
                .extracting(Message::type).containsOnly(MessageType.APPEND);
    }

    @Test
    void aFollowerFarBehindIsCaughtUpWithoutMoreThanTheBoundInOneReady() {
        TestCluster c = new TestCluster(3, b -> b.maxAppendBytes(1_000).maxReadyAppendBytes(3_000)
                .maxUncommittedEntries(100_000));
        c.elect(1);
        c.isolated.add(3L);
        for (int i = 0; i < 2_000; i++) {
            c.core(1).propose(b("entry-" + i + "-padding-padding-padding"));
            if (i % 100 == 0) {
                c.stabilize();
            }
        }
        c.stabilize();
        c.maxReadyAppendBytesSeen = 0;
        c.isolated.clear();
        for (int round = 0; round < 500 && c.core(3).commitIndex() < c.core(1).commitIndex(); round++) {
            c.tickAll(1); // Heartbeat responses ask for more whenever a Ready was full.
            c.stabilize();
        }
        assertThat(c.core(3).commitIndex()).as("caught up").isEqualTo(c.core(1).commitIndex());
        assertThat(c.maxReadyAppendBytesSeen).as("entry bytes in one Ready's appends")
                .isPositive().isLessThanOrEqualTo(3_000 + 1_000);
    }
}
