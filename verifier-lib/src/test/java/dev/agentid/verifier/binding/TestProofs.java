package dev.agentid.verifier.binding;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.TestTokens;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Test fixtures for DPoP: proofs made with Nimbus ({@link SignedJWT} with the public key in the header
 * {@code jwk}), pre-filled for {@link #METHOD} {@link #URI} at {@link TestTokens#NOW}; change one thing to
 * test one failure. Keys are generated per run.
 */
final class TestProofs {

    static final String METHOD = "GET";
    static final URI URI = java.net.URI.create("https://api.test/orders/17");
    static final Instant NOW = TestTokens.NOW;

    /** The agent's DPoP key. */
    static final ECKey KEY = TestTokens.newKey("dpop-key");
    /** Another agent's DPoP key. */
    static final ECKey OTHER_KEY = TestTokens.newKey("other-dpop-key");

    private TestProofs() {
    }

    static Clock clock() {
        return TestTokens.clock();
    }

    /** Claims of a valid proof for {@link #METHOD} {@link #URI}, a fresh jti, iat now, no ath. */
    static JWTClaimsSet.Builder claims() {
        return new JWTClaimsSet.Builder()
                .jwtID(UUID.randomUUID().toString())
                .claim("htm", METHOD)
                .claim("htu", URI.toString())
                .issueTime(Date.from(NOW));
    }

    /** {@link #claims()} with {@code ath} for the access token. */
    static JWTClaimsSet.Builder claimsFor(String accessToken) {
        return claims().claim("ath", DpopProofVerifier.accessTokenHash(accessToken));
    }

    static JWSHeader.Builder header(ECKey key) {
        return new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt")).jwk(key.toPublicJWK());
    }

    static String proof(JWTClaimsSet claims) {
        return sign(header(KEY).build(), claims, KEY);
    }

    static String proof(ECKey key, JWTClaimsSet claims) {
        return sign(header(key).build(), claims, key);
    }

    static String sign(JWSHeader header, JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(header, claims);
            ECDSASigner signer = new ECDSASigner(key);
            signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs arbitrary header JSON (for headers Nimbus' builder refuses) with ES256. */
    static String signRaw(String headerJson, JWTClaimsSet claims, ECKey key) {
        String input = b64(headerJson) + "." + b64(claims.toString());
        try {
            ECDSASigner signer = new ECDSASigner(key);
            signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            return input + "." + signer.sign(new JWSHeader(JWSAlgorithm.ES256), input.getBytes(StandardCharsets.US_ASCII));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    static String thumbprint(ECKey key) {
        try {
            return key.computeThumbprint().toString();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Agent certificates issued by a test agent CA (made once with keys' AgentCa; public certificates only). */
    static X509Certificate certificate(String agent) {
        try (InputStream in = TestProofs.class.getResourceAsStream(agent + ".pem")) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }
}
