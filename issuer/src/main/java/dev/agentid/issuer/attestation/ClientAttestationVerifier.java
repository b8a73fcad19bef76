package dev.agentid.issuer.attestation;

import dev.agentid.verifier.Jose;
import dev.agentid.issuer.domain.AttestationRequirement;
import dev.agentid.issuer.domain.Workload;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.X509CertChainUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.agentid.issuer.domain.OAuthException;
import dev.agentid.issuer.domain.AgentRecord;
import dev.agentid.issuer.store.ReplayStore;
import dev.agentid.verifier.Attestation;
import io.vertx.core.Future;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Attestation-based client authentication (draft-ietf-oauth-attestation-based-client-auth, PoP JWT
 * mode) as an additional security signal next to {@code private_key_jwt}: verifies the
 * {@code OAuth-Client-Attestation} and {@code OAuth-Client-Attestation-PoP} headers of a token request
 * for the agent that client authentication established, and returns the attestation summary that the
 * new actor of the token carries ({@code act.att}).
 *
 * <p>Order of checks (first failure wins; rows of the refusal table): required but absent (A01);
 * exactly one of each header, a JWT with typ {@code oauth-client-attestation+jwt} and an allowed alg,
 * a string {@code iss} (A02); {@code iss} a trusted attester whose key or roots verify the signature
 * (A03); {@code sub}, {@code exp}, {@code iat}, a public {@code cnf.jwk}, a {@code workload} with a
 * digest, {@code iat} not in the future (A02); {@code sub} = the agent (A05); {@code exp} not passed
 * and {@code iat} within the maximum age (A04); the PoP: typ {@code oauth-client-attestation-pop+jwt},
 * signed with the {@code cnf} key, {@code aud} = the issuer identifier, a {@code jti}, a fresh
 * {@code iat} (A06); the {@code jti} unused, remembered in the cluster-wide replay cache (A07); the
 * workload within the agent's pins (A08).
 */
public final class ClientAttestationVerifier {

    public static final String ATTESTATION_HEADER = "OAuth-Client-Attestation";
    public static final String POP_HEADER = "OAuth-Client-Attestation-PoP";
    public static final JOSEObjectType ATTESTATION_TYPE = new JOSEObjectType("oauth-client-attestation+jwt");
    public static final JOSEObjectType POP_TYPE = new JOSEObjectType("oauth-client-attestation-pop+jwt");
    /** Proof-of-possession method of the draft's section 7.6 that this issuer accepts. */
    public static final String POP_METHOD = "attestation_pop_jwt";

    private static final Set<JWSAlgorithm> ALGORITHMS = Set.copyOf(TrustedAttesters.ALGORITHMS);

    private final Supplier<TrustedAttesters> attesters;
    private final ReplayStore replay;
    private final Clock clock;
    private final String issuer;
    private final Duration clockSkew;

    public ClientAttestationVerifier(Supplier<TrustedAttesters> attesters, ReplayStore replay, Clock clock,
                                     String issuer, Duration clockSkew) {
        this.attesters = attesters;
        this.replay = replay;
        this.clock = clock;
        this.issuer = issuer;
        this.clockSkew = clockSkew;
    }

    /**
     * Verifies the request's client attestation for an authenticated agent.
     *
     * @param attestationHeaders every value of the {@code OAuth-Client-Attestation} header
     * @param popHeaders every value of the {@code OAuth-Client-Attestation-PoP} header
     * @return the attestation summary, or null when the request carries no attestation and the agent
     *     does not require one; fails with the refusal-table {@link OAuthException}
     */
    public Future<Attestation> verify(AgentRecord agent, List<String> attestationHeaders, List<String> popHeaders) {
        try {
            AttestationRequirement requirement = agent.attestation();
            if (attestationHeaders.isEmpty() && popHeaders.isEmpty()) {
                return requirement.required()
                        ? Future.failedFuture(AttestationRefusals.required(agent.agentId()))
                        : Future.succeededFuture(null);
            }
            if (attestationHeaders.size() != 1 || popHeaders.size() != 1) {
                throw AttestationRefusals.invalid("exactly one " + ATTESTATION_HEADER + " and one " + POP_HEADER
                        + " header are required");
            }
            TrustedAttesters trusted = attesters.get();
            Instant now = clock.instant();
            Verified attestation = verifyAttestation(attestationHeaders.get(0).trim(), agent, trusted, now);
            Proof proof = verifyProof(popHeaders.get(0).trim(), attestation.cnf, trusted, now);
            return replay.firstUse("client_attestation_pop:" + agent.agentId() + ":" + proof.jti, proof.rememberUntil)
                    .map(first -> {
                        if (!first) {
                            throw AttestationRefusals.replayedProof();
                        }
                        String unmet = requirement.unmetPin(attestation.workload);
                        if (unmet != null) {
                            throw AttestationRefusals.unpinned(unmet, agent.agentId());
                        }
                        return attestation.summary;
                    });
        } catch (OAuthException e) {
            return Future.failedFuture(e);
        }
    }

    private record Verified(Attestation summary, JWK cnf, Workload workload) {
    }

    private record Proof(String jti, Instant rememberUntil) {
    }

    private Verified verifyAttestation(String serialized, AgentRecord agent, TrustedAttesters trusted, Instant now) {
        SignedJWT jwt = parse(serialized, AttestationRefusals::invalid, "attestation");
        JWSHeader header = jwt.getHeader();
        if (!ATTESTATION_TYPE.equals(header.getType())) {
            throw AttestationRefusals.invalid("attestation typ is not " + ATTESTATION_TYPE);
        }
        if (!ALGORITHMS.contains(header.getAlgorithm())) {
            throw AttestationRefusals.invalid("attestation alg " + header.getAlgorithm() + " is not accepted");
        }
        String iss = stringClaim(jwt, "iss", AttestationRefusals::invalid);
        TrustedAttesters.Attester attester = trusted.attester(iss);
        if (attester == null) {
            throw AttestationRefusals.untrusted("attester '" + iss + "' is not trusted");
        }
        JWSKeySelector<SecurityContext> keys = attester.jwks() != null
                ? Jose.keys(new ImmutableJWKSet<>(attester.jwks()), ALGORITHMS.toArray(new JWSAlgorithm[0]))
                : leafOfChain(header, attester, now);
        JWTClaimsSet claims = process(jwt, ATTESTATION_TYPE, keys, AttestationRefusals::untrusted);

        String sub = stringClaim(jwt, "sub", AttestationRefusals::invalid);
        Date exp = dateClaim(claims, "exp", AttestationRefusals::invalid);
        Date iat = dateClaim(claims, "iat", AttestationRefusals::invalid);
        JWK cnf = confirmationKey(claims);
        Workload workload = Workload.parse(claims.getClaim(Workload.CLAIM));
        if (workload == null) {
            throw AttestationRefusals.invalid("attestation has no workload claim with a digest");
        }
        Instant issuedAt = iat.toInstant();
        if (Jose.inFuture(issuedAt, now, clockSkew)) {
            throw AttestationRefusals.invalid("attestation iat is in the future");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && Jose.inFuture(nbf.toInstant(), now, clockSkew)) {
            throw AttestationRefusals.invalid("attestation is not yet valid");
        }
        if (!sub.equals(agent.agentId())) {
            throw AttestationRefusals.otherAgent(agent.agentId());
        }
        if (Jose.expired(exp.toInstant(), now, clockSkew)) {
            throw AttestationRefusals.stale("attestation has expired");
        }
        if (issuedAt.plus(trusted.maxAge()).isBefore(now)) {
            throw AttestationRefusals.stale("attestation is older than " + trusted.maxAge());
        }
        Attestation summary;
        try {
            summary = Attestation.of(iss, workload.digest(), Instant.ofEpochSecond(issuedAt.getEpochSecond()));
        } catch (IllegalArgumentException e) {
            throw AttestationRefusals.invalid("attestation summary: " + e.getMessage());
        }
        return new Verified(summary, cnf, workload);
    }

    private Proof verifyProof(String serialized, JWK cnf, TrustedAttesters trusted, Instant now) {
        SignedJWT jwt = parse(serialized, AttestationRefusals::badProof, "proof of possession");
        JWSHeader header = jwt.getHeader();
        if (!POP_TYPE.equals(header.getType()) || !ALGORITHMS.contains(header.getAlgorithm())) {
            throw AttestationRefusals.badProof("PoP typ or alg not accepted");
        }
        PublicKey key = publicKey(cnf);
        JWSKeySelector<SecurityContext> keys = (h, ctx) -> fits(h.getAlgorithm(), key) ? List.of(key) : List.of();
        JWTClaimsSet claims = process(jwt, POP_TYPE, keys, AttestationRefusals::badProof);
        List<String> aud = claims.getAudience();
        if (aud == null || aud.size() != 1 || !issuer.equals(aud.get(0))) {
            throw AttestationRefusals.badProof("PoP aud is not the issuer identifier");
        }
        String jti = stringClaim(jwt, "jti", AttestationRefusals::badProof);
        Instant iat = dateClaim(claims, "iat", AttestationRefusals::badProof).toInstant();
        if (Jose.inFuture(iat, now, clockSkew)) {
            throw AttestationRefusals.badProof("PoP iat is in the future");
        }
        if (iat.plus(trusted.popMaxAge()).isBefore(now)) {
            throw AttestationRefusals.badProof("PoP is older than " + trusted.popMaxAge());
        }
        Date exp = claims.getExpirationTime();
        if (exp != null && Jose.expired(exp.toInstant(), now, clockSkew)) {
            throw AttestationRefusals.badProof("PoP has expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && Jose.inFuture(nbf.toInstant(), now, clockSkew)) {
            throw AttestationRefusals.badProof("PoP is not yet valid");
        }
        // remembered for as long as the iat window would accept it, plus the skew
        return new Proof(jti, iat.plus(trusted.popMaxAge()).plus(clockSkew));
    }

    /** Selects the leaf key of the header's x5c chain once the chain validates to the attester's roots. */
    private JWSKeySelector<SecurityContext> leafOfChain(JWSHeader header, TrustedAttesters.Attester attester,
                                                        Instant now) {
        List<Base64> x5c = header.getX509CertChain();
        if (x5c == null || x5c.isEmpty()) {
            throw AttestationRefusals.untrusted("attestation has no x5c chain for attester '" + attester.issuer() + "'");
        }
        X509Certificate leaf;
        try {
            List<X509Certificate> chain = new ArrayList<>(X509CertChainUtils.parse(x5c));
            Set<X509Certificate> anchors = new HashSet<>();
            attester.roots().forEach(a -> anchors.add(a.getTrustedCert()));
            while (chain.size() > 1 && anchors.contains(chain.get(chain.size() - 1))) {
                chain.remove(chain.size() - 1);   // a path excludes its trust anchor
            }
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
            PKIXParameters params = new PKIXParameters(attester.roots());
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(path, params);
            leaf = chain.get(0);
        } catch (ParseException | GeneralSecurityException | RuntimeException e) {
            throw AttestationRefusals.untrusted("x5c chain does not validate: " + e.getMessage());
        }
        boolean[] usage = leaf.getKeyUsage();
        if (usage != null && !usage[0]) {
            throw AttestationRefusals.untrusted("x5c leaf is not a signing certificate");
        }
        PublicKey key = leaf.getPublicKey();
        return (h, ctx) -> fits(h.getAlgorithm(), key) ? List.of(key) : List.of();
    }

    private interface Refusal {
        OAuthException refuse(String detail);
    }

    private static SignedJWT parse(String serialized, Refusal refusal, String what) {
        try {
            return SignedJWT.parse(serialized);
        } catch (ParseException e) {
            throw refusal.refuse(what + " is not a signed JWT");
        }
    }

    /** Signature and typ with Nimbus; claims are checked by the caller, each with its own refusal. */
    private JWTClaimsSet process(SignedJWT jwt, JOSEObjectType type, JWSKeySelector<SecurityContext> keys,
                                 Refusal refusal) {
        DefaultJWTProcessor<SecurityContext> processor = Jose.jwtProcessor(keys, Set.of(type));
        try {
            return processor.process(jwt, null);
        } catch (BadJOSEException | JOSEException e) {
            throw refusal.refuse(type + " signature: " + e.getMessage());
        }
    }

    private static String stringClaim(SignedJWT jwt, String name, Refusal refusal) {
        try {
            String value = jwt.getJWTClaimsSet().getStringClaim(name);
            if (value == null || value.isEmpty()) {
                throw refusal.refuse("no " + name + " claim");
            }
            return value;
        } catch (ParseException e) {
            throw refusal.refuse(name + " is not a string");
        }
    }

    private static Date dateClaim(JWTClaimsSet claims, String name, Refusal refusal) {
        try {
            Date value = claims.getDateClaim(name);
            if (value == null) {
                throw refusal.refuse("no " + name + " claim");
            }
            return value;
        } catch (ParseException e) {
            throw refusal.refuse(name + " is not a NumericDate");
        }
    }

    /** cnf.jwk: a public EC or RSA key (the PoP is verified with it). */
    private static JWK confirmationKey(JWTClaimsSet claims) {
        Object cnf = claims.getClaim("cnf");
        Object jwk = cnf instanceof Map ? ((Map<?, ?>) cnf).get("jwk") : null;
        if (!(jwk instanceof Map)) {
            throw AttestationRefusals.invalid("attestation has no cnf.jwk");
        }
        JWK key;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) jwk;
            key = JWK.parse(json);
        } catch (ParseException | ClassCastException e) {
            throw AttestationRefusals.invalid("cnf.jwk is not a JWK");
        }
        if (key.isPrivate()) {
            throw AttestationRefusals.invalid("cnf.jwk holds private key material");
        }
        if (!(key instanceof ECKey) && !(key instanceof RSAKey)) {
            throw AttestationRefusals.invalid("cnf.jwk is neither an EC nor an RSA key");
        }
        return key;
    }

    private static PublicKey publicKey(JWK key) {
        try {
            return key instanceof ECKey ? ((ECKey) key).toECPublicKey() : ((RSAKey) key).toRSAPublicKey();
        } catch (JOSEException e) {
            throw AttestationRefusals.invalid("cnf.jwk is not a usable public key");
        }
    }

    private static boolean fits(JWSAlgorithm alg, Key key) {
        return JWSAlgorithm.Family.EC.contains(alg) && key instanceof ECPublicKey
                || JWSAlgorithm.Family.RSA.contains(alg) && key instanceof RSAPublicKey;
    }
}
