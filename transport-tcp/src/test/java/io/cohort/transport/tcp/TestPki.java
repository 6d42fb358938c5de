package io.cohort.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test certificates made with the JDK's keytool at test time: a cluster CA issuing member
 * certificates, and an unrelated CA issuing a rogue certificate. Files per member: PEM chain, PKCS#8
 * PEM key, and a PKCS12 key store; per CA: a PEM certificate and a PKCS12 trust store.
 */
final class TestPki {
    static final char[] PASSWORD = "test-pass".toCharArray();
    private static final String KEYTOOL = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** Creates CA {@code ca} with members {@code members}, and CA {@code otherCa} with member {@code rogue}. */
    static TestPki create(Path dir, String ca, List<String> members, String otherCa, String rogue) throws Exception {
        TestPki pki = new TestPki(dir);
        // The two PKIs are independent: make them in parallel (each keytool run starts a JVM).
        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> pki.issueUnchecked(otherCa, List.of(rogue)));
        pki.issue(ca, members);
        other.get(60, TimeUnit.SECONDS);
        return pki;
    }

    Path chainPem(String name) {
        return dir.resolve(name + "-chain.pem");
    }

    Path keyPem(String name) {
        return dir.resolve(name + "-key.pem");
    }

    Path keyStore(String name) {
        return dir.resolve(name + ".p12");
    }

    Path caPem(String ca) {
        return dir.resolve(ca + "-ca.pem");
    }

    Path trustStore(String ca) {
        return dir.resolve(ca + "-trust.p12");
    }

    /** PEM config for {@code member} trusting {@code ca}. */
    TlsConfig pem(String member, String ca) {
        return TlsConfig.fromPem(chainPem(member), keyPem(member), caPem(ca));
    }

    /** Key store config for {@code member} trusting {@code ca}. */
    TlsConfig keyStores(String member, String ca) {
        return TlsConfig.fromKeyStore(keyStore(member), PASSWORD, trustStore(ca), PASSWORD);
    }

    private void issueUnchecked(String ca, List<String> members) {
        try {
            issue(ca, members);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void issue(String ca, List<String> members) throws Exception {
        Path store = dir.resolve(ca + "-issuer.p12");
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + ca,
            "-ext", "bc:c", "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
            "-storepass", new String(PASSWORD));
        for (String m : members) {
            // -signer issues the member certificate from the CA key in the same store (chain: member, CA).
            keytool("-genkeypair", "-alias", m, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + m,
                "-signer", "ca", "-validity", "2", "-keystore", store.toString(), "-storepass", new String(PASSWORD));
        }
        KeyStore issuer = KeyStore.getInstance(store.toFile(), PASSWORD);
        Certificate caCert = issuer.getCertificate("ca");
        Files.writeString(caPem(ca), pem("CERTIFICATE", caCert.getEncoded()), StandardCharsets.US_ASCII);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", caCert);
        save(trust, trustStore(ca));
        for (String m : members) {
            PrivateKey key = (PrivateKey) issuer.getKey(m, PASSWORD);
            Certificate[] chain = issuer.getCertificateChain(m);
            StringBuilder chainPem = new StringBuilder();
            for (Certificate c : chain) {
                chainPem.append(pem("CERTIFICATE", c.getEncoded()));
            }
            Files.writeString(chainPem(m), chainPem, StandardCharsets.US_ASCII);
            Files.writeString(keyPem(m), pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            KeyStore own = KeyStore.getInstance("PKCS12");
            own.load(null, null);
            own.setKeyEntry(m, key, PASSWORD, chain);
            save(own, keyStore(m));
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private static void save(KeyStore ks, Path path) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(path)) {
            ks.store(out, PASSWORD);
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(KEYTOOL);
        // Each run is a short-lived JVM: start it lean.
        command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = p.getInputStream()) {
            output = in.readAllBytes();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + command + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
