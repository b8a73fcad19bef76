package dev.agentid.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.Provider;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

/**
 * RFC 7523 {@code private_key_jwt} client assertions signed with an agent's key: ES256, header
 * {@code kid} of the key, {@code iss} = {@code sub} = the agent id, {@code aud} = the issuer,
 * {@code iat} = now, {@code exp} = now + lifetime (at most {@link #MAX_LIFETIME}, which is what the
 * issuer accepts) and a random 128-bit {@code jti}, so each assertion is good for one request.
 */
public final class ClientAssertion {

    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
    public static final Duration MAX_LIFETIME = Duration.ofSeconds(300);

    private static final SecureRandom RANDOM = new SecureRandom();

    private ClientAssertion() {
    }

    /**
     * Signs a fresh assertion.
     *
     * @param key the agent's private P-256 key, e.g. from {@link AgentKeyFile#load}
     * @param audience the issuer URL (absolute http or https URL)
     * @throws IllegalArgumentException for a public-only key, a blank agent id, a bad audience or a
     *         lifetime outside 1 s .. {@link #MAX_LIFETIME}
     */
    public static SignedJWT sign(ECKey key, String agentId, String audience, Duration lifetime, Clock clock) {
        if (!key.isPrivate() || !Curve.P_256.equals(key.getCurve())) {
            throw new IllegalArgumentException("a client assertion needs a private P-256 key");
        }
        checkAgentId(agentId);
        checkAudience(audience);
        checkLifetime(lifetime);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(AgentKeyFile.keyId(key)).build(),
                new JWTClaimsSet.Builder()
                        .issuer(agentId)
                        .subject(agentId)
                        .audience(audience)
                        .issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plus(lifetime)))
                        .jwtID(Base64URL.encode(jti).toString())
                        .build());
        try {
            Provider bc = BouncyCastleProviderSingleton.getInstance();
            ECDSASigner signer = new ECDSASigner(key.toECPrivateKey(bc), Curve.P_256);
            signer.getJCAContext().setProvider(bc);
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the client assertion", e);
        }
        return jwt;
    }

    static void checkAgentId(String agentId) {
        if (agentId == null || agentId.isBlank()) {
            throw new IllegalArgumentException("the agent id must not be blank");
        }
    }

    static void checkAudience(String audience) {
        URI uri;
        try {
            uri = new URI(audience);
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalArgumentException("the audience must be the issuer's URL, not '" + audience + "'");
        }
        String scheme = uri.getScheme();
        if (!("https".equalsIgnoreCase(scheme) || "http".equalsIgnoreCase(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException("the audience must be the issuer's http(s) URL, not '"
                    + audience + "'");
        }
    }

    static void checkLifetime(Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("the lifetime must be 1 to " + MAX_LIFETIME.toSeconds() + " seconds");
        }
    }
}
