package io.cohort.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Mutual TLS 1.3 material for {@link TcpTransport}: this member's certificate chain and private key,
 * and the CA certificates a peer's certificate must chain to. Every connection, both ways, requires a
 * certificate trusted by these CAs; there is no plaintext fallback.
 *
 * <p>By default any certificate issued by a trusted CA is accepted, whatever its subject: use a CA
 * dedicated to the cluster, or {@link #requireMemberIdInCommonName()} to bind each certificate to one
 * member ID. Host names are not verified (members are identified by the handshake, addresses change).
 *
 * <p>Immutable; the TLS context is built (and the files read) when the config is created, so bad
 * material fails here with a {@link TlsConfigException}, not at the first connection.
 */
public final class TlsConfig {
    private static final char[] IN_MEMORY_PASSWORD = "cohort".toCharArray();

    private final SSLContext context;
    private final String description;
    private final boolean memberIdInCommonName;

    private TlsConfig(SSLContext context, String description, boolean memberIdInCommonName) {
        this.context = context;
        this.description = description;
        this.memberIdInCommonName = memberIdInCommonName;
    }

    /**
     * From PEM files: {@code certificateChain} (this member's certificate first, then intermediates),
     * {@code privateKey} (unencrypted PKCS#8, "BEGIN PRIVATE KEY"; RSA, EC or EdDSA) and
     * {@code trustedCertificates} (one or more CA certificates).
     */
    public static TlsConfig fromPem(Path certificateChain, Path privateKey, Path trustedCertificates) {
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(trustedCertificates, "trustedCertificates");
        List<Certificate> chain = readCertificates(certificateChain);
        List<Certificate> trusted = readCertificates(trustedCertificates);
        PrivateKey key = readPrivateKey(privateKey);
        checkKeyMatches(key, chain.get(0), privateKey, certificateChain);
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("member", key, IN_MEMORY_PASSWORD, chain.toArray(new Certificate[0]));
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                trust.setCertificateEntry("ca-" + i, trusted.get(i));
            }
            return new TlsConfig(context(keys, IN_MEMORY_PASSWORD, trust),
                "PEM " + certificateChain + ", " + privateKey + ", trusting " + trustedCertificates, false);
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException("the key in " + privateKey + " does not fit the certificate chain in "
                + certificateChain + ": " + e.getMessage(), e);
        }
    }

    /**
     * From a key store holding this member's key and certificate chain (one key entry) and a trust
     * store holding the CA certificates; types (PKCS12, JKS) are detected from the files.
     */
    public static TlsConfig fromKeyStore(Path keyStore, char[] keyStorePassword, Path trustStore, char[] trustStorePassword) {
        KeyStore keys = loadStore(keyStore, keyStorePassword);
        KeyStore trust = loadStore(trustStore, trustStorePassword);
        try {
            return new TlsConfig(context(keys, keyStorePassword, trust), "key store " + keyStore + ", trust store " + trustStore, false);
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot use key store " + keyStore + " with trust store " + trustStore + ": " + e.getMessage(), e);
        }
    }

    /**
     * The same material, and each certificate must also name its member: subject CN = the member ID in
     * decimal (e.g. {@code CN=3}). An acceptor refuses a hello whose member ID is not its peer's
     * certificate CN; a dialer refuses to talk to a peer whose certificate names another member. Without
     * this, any holder of a certificate from the trusted CAs may claim any member ID.
     */
    public TlsConfig requireMemberIdInCommonName() {
        return new TlsConfig(context, description, true);
    }

    /** True if certificates must name their member (see {@link #requireMemberIdInCommonName()}). */
    public boolean memberIdInCommonName() {
        return memberIdInCommonName;
    }

    /** The TLS context (package-private: the transport's business). */
    SSLContext sslContext() {
        return context;
    }

    @Override
    public String toString() {
        return "TlsConfig{TLSv1.3, mutual, " + description + (memberIdInCommonName ? ", CN = member ID" : "") + "}";
    }

    private static SSLContext context(KeyStore keys, char[] keyPassword, KeyStore trust) throws GeneralSecurityException {
        if (trust.size() == 0) {
            throw new TlsConfigException("the trust store holds no CA certificate: no peer could ever be trusted", null);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, keyPassword);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    /** Signs with the key and verifies with the certificate: PKCS12 would store a mismatched pair silently. */
    private static void checkKeyMatches(PrivateKey key, Certificate certificate, Path keyPath, Path chainPath) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null; // e.g. RSASSA-PSS needs parameters; the TLS handshake will tell
        };
        if (algorithm == null) {
            return;
        }
        byte[] probe = "cohort key check".getBytes(StandardCharsets.US_ASCII);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new TlsConfigException("the private key in " + keyPath + " does not belong to the first certificate in "
                + chainPath + " (the member's own certificate must come first)", null);
        }
    }

    private static KeyStore loadStore(Path path, char[] password) {
        Objects.requireNonNull(path, "path");
        try {
            return KeyStore.getInstance(path.toFile(), password);
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException("cannot read key store " + path + ": " + e.getMessage(), e);
        }
    }

    private static List<Certificate> readCertificates(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new TlsConfigException("no certificate in " + path, null);
            }
            return new ArrayList<>(certs);
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigException("cannot read PEM certificates from " + path + ": " + e.getMessage(), e);
        }
    }

    private static PrivateKey readPrivateKey(Path path) {
        String pem;
        try {
            pem = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new TlsConfigException("cannot read private key " + path + ": " + e.getMessage(), e);
        }
        if (pem.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            throw new TlsConfigException(path + " holds an encrypted private key; only unencrypted PKCS#8 PEM is supported"
                + " (use a key store for encrypted keys)", null);
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new TlsConfigException(path + " holds no unencrypted PKCS#8 key (\"" + begin + "\"); convert a PKCS#1"
                + " key with: openssl pkcs8 -topk8 -nocrypt", null);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException("the private key in " + path + " is not valid Base64: " + e.getMessage(), e);
        }
        for (String algorithm : new String[] {"RSA", "EC", "EdDSA", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new TlsConfigException("the private key in " + path + " is not an RSA, EC or EdDSA PKCS#8 key", null);
    }
}
