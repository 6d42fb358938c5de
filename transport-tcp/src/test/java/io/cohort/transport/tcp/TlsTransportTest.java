package io.cohort.transport.tcp;

import static io.cohort.transport.tcp.Loopback.awaitTrue;
import static io.cohort.transport.tcp.Loopback.buffer;
import static io.cohort.transport.tcp.Loopback.member;
import static io.cohort.transport.tcp.Loopback.sendRetrying;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.transport.tcp.Loopback.Recorder;
import io.cohort.transport.tcp.internal.Handshake;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutual TLS 1.3 between transports, with certificates made by keytool at test time. */
class TlsTransportTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    private final List<TcpTransport> open = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        // Member certificates are named by member ID (CN=1, CN=2), for requireMemberIdInCommonName.
        pki = TestPki.create(dir, "cluster", List.of("1", "2", "3"), "unrelated", "rogue");
    }

    @AfterEach
    void closeAll() {
        open.forEach(TcpTransport::close);
    }

    private TcpTransport track(TcpTransport t) {
        open.add(t);
        return t;
    }

    @Test
    void membersWithCertificatesFromTheClusterCaExchangeMessages() throws Exception {
        // Member 1 is configured from PEM files, member 2 from key stores.
        TcpTransport a = track(member(1).tls(pki.pem("1", "cluster")).build());
        TcpTransport b = track(member(2).tls(pki.keyStores("2", "cluster")).build());
        assertThat(a.tls()).isTrue();
        a.addPeer(2, b.localAddress());
        b.addPeer(1, a.localAddress());
        Recorder inA = new Recorder();
        Recorder inB = new Recorder();
        a.start(1, inA);
        b.start(2, inB);
        awaitTrue("connected both ways", 10_000, () -> a.isConnected(2) && b.isConnected(1));
        for (int i = 0; i < 500; i++) {
            sendRetrying(a, 2, new byte[] {(byte) i, 1}, 5_000);
            sendRetrying(b, 1, new byte[] {(byte) i, 2}, 5_000);
        }
        List<Loopback.Received> gotB = inB.await(500, 10_000);
        List<Loopback.Received> gotA = inA.await(500, 10_000);
        for (int i = 0; i < 500; i++) {
            assertThat(gotB.get(i).bytes()).containsExactly((byte) i, 1);
            assertThat(gotA.get(i).bytes()).containsExactly((byte) i, 2);
        }
        assertThat(a.metrics().tlsHandshakesFailed()).isZero();
        assertThat(b.metrics().tlsHandshakesFailed()).isZero();
        // With TLS the writer thread writes every frame: the SSLSocket only writes in blocking mode.
        assertThat(a.metrics().framesSent()).isEqualTo(500);
        assertThat(a.metrics().framesSentBySender()).isZero();
        assertThat(b.metrics().framesSentBySender()).isZero();
    }

    @Test
    void aMemberWithACertificateFromAnotherCaCannotConnect() throws Exception {
        // The rogue trusts our CA (so only our side can object) and is a configured peer (so only TLS objects).
        TcpTransport a = track(member(1).tls(pki.pem("1", "cluster")).build());
        TcpTransport rogue = track(member(9).tls(TlsConfig.fromPem(pki.chainPem("rogue"), pki.keyPem("rogue"), pki.caPem("cluster"))).build());
        a.addPeer(9, rogue.localAddress());
        rogue.addPeer(1, a.localAddress());
        Recorder inA = new Recorder();
        Recorder inRogue = new Recorder();
        a.start(1, inA);
        rogue.start(9, inRogue);
        awaitTrue("several TLS handshakes failed on member 1's side", 10_000, () -> {
            rogue.send(1, buffer(new byte[] {6}), 0, 1);
            a.send(9, buffer(new byte[] {7}), 0, 1);
            return a.metrics().tlsHandshakesFailed() >= 4;
        });
        assertThat(rogue.isConnected(1)).isFalse();
        assertThat(a.isConnected(9)).isFalse();
        assertThat(inA.count()).isZero();
        assertThat(inRogue.count()).isZero();
        assertThat(a.metrics().framesReceived()).isZero();
        assertThat(a.metrics().connectionsOpened()).isZero();
        assertThat(rogue.metrics().connectionsOpened()).isZero();
    }

    @Test
    void plaintextClientsAndClientsWithoutACertificateAreRefused() throws Exception {
        TcpTransport a = track(member(1).tls(pki.pem("1", "cluster")).build());
        Recorder inA = new Recorder();
        TcpTransport plain = track(member(2).build()); // a configured peer, but without TLS
        a.addPeer(2, plain.localAddress());
        plain.addPeer(1, a.localAddress());
        a.start(1, inA);
        plain.start(2, new Recorder());

        // A hand-written plaintext hello from a known member: the TLS handshake fails, nothing more is read.
        try (Socket s = new Socket()) {
            s.connect(a.localAddress(), 2_000);
            s.setSoTimeout(5_000);
            Handshake.writeHello(s.getOutputStream(), Loopback.CLUSTER, 2, 1);
            assertThat(readsEndOfStreamOrNotAReply(s)).isTrue();
        }
        // A TLS client that trusts our CA but has no certificate: client auth is required.
        KeyStore trust = KeyStore.getInstance(pki.trustStore("cluster").toFile(), TestPki.PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext noCertificate = SSLContext.getInstance("TLSv1.3");
        noCertificate.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) noCertificate.getSocketFactory().createSocket(a.localAddress().getAddress(), a.localAddress().getPort())) {
            s.setSoTimeout(5_000);
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            // In TLS 1.3 the client may finish its side first; the server's refusal shows at the first read.
            assertThatThrownBy(() -> {
                s.startHandshake();
                Handshake.writeHello(s.getOutputStream(), Loopback.CLUSTER, 2, 1);
                Handshake.readReply(s.getInputStream());
            }).isInstanceOfAny(SSLException.class, SocketException.class, java.io.EOFException.class);
        }
        // And the plaintext transport's own dials keep failing too.
        awaitTrue("plaintext dials refused", 10_000, () -> {
            plain.send(1, buffer(new byte[] {1}), 0, 1);
            return a.metrics().tlsHandshakesFailed() >= 4;
        });
        assertThat(plain.isConnected(1)).isFalse();
        assertThat(inA.count()).isZero();
        assertThat(a.metrics().framesReceived()).isZero();
    }

    @Test
    void withMemberIdsBoundToCertificatesAMemberCannotClaimAnotherMembersId() throws Exception {
        TcpTransport a = track(member(1).tls(pki.pem("1", "cluster").requireMemberIdInCommonName()).build());
        TcpTransport b = track(member(2).tls(pki.keyStores("2", "cluster").requireMemberIdInCommonName()).build());
        // Member 3 holds member 2's valid certificate (CN=2).
        TcpTransport impostor = track(member(3).tls(pki.pem("2", "cluster").requireMemberIdInCommonName()).build());
        a.addPeer(2, b.localAddress());
        a.addPeer(3, impostor.localAddress());
        b.addPeer(1, a.localAddress());
        impostor.addPeer(1, a.localAddress());
        Recorder inA = new Recorder();
        Recorder inImpostor = new Recorder();
        a.start(1, inA);
        b.start(2, new Recorder());
        impostor.start(3, inImpostor);
        sendRetrying(b, 1, new byte[] {2}, 5_000);
        awaitTrue("2 -> 1 delivered", 10_000, () -> inA.count() == 1);
        awaitTrue("3 refused by 1, and 1 refuses to send to 3", 10_000, () -> {
            impostor.send(1, buffer(new byte[] {3}), 0, 1);
            a.send(3, buffer(new byte[] {1}), 0, 1);
            // 1 counts its refusals of 3's hellos and its own refusals to talk to 3's certificate.
            return impostor.metrics().handshakesRefused() >= 2 && a.metrics().handshakesRefused() >= 4;
        });
        assertThat(impostor.isConnected(1)).isFalse();
        assertThat(a.isConnected(3)).isFalse();
        assertThat(a.isConnected(2)).isTrue();
        assertThat(inImpostor.count()).isZero();
        assertThat(inA.snapshot()).singleElement().satisfies(r -> assertThat(r.fromId()).isEqualTo(2));
        assertThat(pki.pem("1", "cluster").requireMemberIdInCommonName().toString()).contains("CN = member ID");
    }

    @Test
    void threeRaftNodesOverMutualTlsElectALeaderAndCommit() throws Exception {
        java.util.Map<Long, TcpTransport> transports = new java.util.TreeMap<>();
        for (long id = 1; id <= 3; id++) {
            transports.put(id, track(member(id).tls(pki.pem(Long.toString(id), "cluster").requireMemberIdInCommonName()).build()));
        }
        transports.forEach((id, t) -> transports.forEach((peer, p) -> {
            if (!peer.equals(id)) {
                t.addPeer(peer, p.localAddress());
            }
        }));
        java.util.Map<Long, io.cohort.raft.RaftNode> nodes = new java.util.TreeMap<>();
        java.util.Map<Long, RaftOverTcpTest.ListStateMachine> machines = new java.util.TreeMap<>();
        try {
            for (long id = 1; id <= 3; id++) {
                RaftOverTcpTest.ListStateMachine sm = new RaftOverTcpTest.ListStateMachine();
                machines.put(id, sm);
                long seed = id;
                nodes.put(id, io.cohort.raft.RaftNode.builder(id)
                    .raft(r -> r.bootstrap(new io.cohort.raft.Membership(java.util.Set.of(1L, 2L, 3L), java.util.Set.of()))
                        .electionTicks(10).heartbeatTicks(1).randomSeed(seed))
                    .storage(new io.cohort.raft.internal.MemoryLogStorage())
                    .transport(transports.get(id))
                    .stateMachine(sm)
                    .tickMs(10)
                    .requestTimeoutMs(10_000)
                    .start());
            }
            List<String> expected = new ArrayList<>();
            List<java.util.concurrent.CompletableFuture<io.cohort.raft.Applied>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                expected.add("t" + i);
                futures.add(nodes.get((long) (i % 3) + 1).propose(("t" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            for (java.util.concurrent.CompletableFuture<io.cohort.raft.Applied> f : futures) {
                f.get(20, java.util.concurrent.TimeUnit.SECONDS);
            }
            // Each future completed when its proposer applied; member 1 may still be applying.
            awaitTrue("member 1 applied all", 10_000, () -> machines.get(1L).applied.size() >= 100);
            List<String> order = new ArrayList<>(machines.get(1L).applied);
            assertThat(order).containsExactlyInAnyOrderElementsOf(expected);
            for (long id = 2; id <= 3; id++) {
                RaftOverTcpTest.ListStateMachine sm = machines.get(id);
                awaitTrue("member " + id + " applied all", 10_000, () -> sm.applied.size() >= 100);
                assertThat(new ArrayList<>(sm.applied)).isEqualTo(order);
            }
            transports.values().forEach(t -> assertThat(t.metrics().tlsHandshakesFailed()).isZero());
        } finally {
            nodes.values().forEach(io.cohort.raft.RaftNode::close);
        }
    }

    @Test
    void closeAbortsATlsHandshakeInProgressInsteadOfWaitingForItsTimeout() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            TcpTransport a = member(1).tls(pki.pem("1", "cluster")).handshakeTimeoutMs(60_000)
                .peer(2, (java.net.InetSocketAddress) silent.getLocalSocketAddress()).build();
            a.start(1, new Recorder());
            try (Socket accepted = silent.accept()) { // the dial is now waiting for a TLS ServerHello that never comes
                Thread.sleep(100);
                long start = System.nanoTime();
                a.close();
                long closeMs = (System.nanoTime() - start) / 1_000_000;
                // Without aborting the handshake, close would wait for its join bound (5 s).
                assertThat(closeMs).isLessThan(4_000);
                assertThat(accepted.getInputStream().readAllBytes()).isNotNull(); // the client end is closed: EOF
            }
        }
    }

    @Test
    void badTlsMaterialFailsAtConfigurationWithThePath() throws IOException {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> TlsConfig.fromPem(pki.chainPem("1"), missing, pki.caPem("cluster")))
            .isInstanceOf(TlsConfigException.class).hasMessageContaining(missing.toString());
        Path pkcs1 = dir.resolve("pkcs1.pem");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsConfig.fromPem(pki.chainPem("1"), pkcs1, pki.caPem("cluster")))
            .isInstanceOf(TlsConfigException.class).hasMessageContaining("PKCS#8");
        // The key of one member with the certificate chain of another is caught here, not at the first handshake.
        assertThatThrownBy(() -> TlsConfig.fromPem(pki.chainPem("1"), pki.keyPem("2"), pki.caPem("cluster")))
            .isInstanceOf(TlsConfigException.class).hasMessageContaining("does not belong to the first certificate");
        assertThatThrownBy(() -> TlsConfig.fromKeyStore(pki.keyStore("1"), "wrong".toCharArray(), pki.trustStore("cluster"), TestPki.PASSWORD))
            .isInstanceOf(TlsConfigException.class).hasMessageContaining(pki.keyStore("1").toString());
    }

    /** Reads what the TLS server answers a plaintext hello with: it must close, never send a hello reply. */
    private static boolean readsEndOfStreamOrNotAReply(Socket s) throws IOException {
        try {
            byte[] answer = s.getInputStream().readNBytes(4);
            // A TLS server answers garbage with at most an alert record (starts with 0x15), then closes.
            return answer.length < 4 || answer[0] == 0x15;
        } catch (SocketException e) {
            return true;
        }
    }
}
