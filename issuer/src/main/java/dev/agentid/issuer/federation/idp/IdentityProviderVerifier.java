package dev.agentid.issuer.federation.idp;

import dev.agentid.verifier.Jose;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import dev.agentid.issuer.federation.OutboundFetcher;
import dev.agentid.issuer.federation.idp.HumanTokenException.Reason;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies the tokens of one trusted OpenID Provider: its own key source (its {@code jwks_uri}, from its discovery
 * document) and its own Nimbus processor, so that a token is only ever checked with the keys of the IdP it names.
 * Built off the event loop ({@link #discover} fetches); {@link #verify} may fetch the IdP's keys on a cache miss,
 * so it runs on a worker thread too. Thread-safe.
 */
final class IdentityProviderVerifier implements Closeable {

    /** What an IdP may sign with: asymmetric only, never {@code none} or HS*. */
    static final Set<JWSAlgorithm> ALLOWED = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256, JWSAlgorithm.PS256);
    static final JOSEObjectType AT_JWT = new JOSEObjectType("at+jwt");
    /** RFC 8417 section 2.3 and the Shared Signals Framework: a SET says what it is. */
    static final JOSEObjectType SECEVENT_JWT = new JOSEObjectType("secevent+jwt");
    private static final int SIZE_LIMIT = 256 * 1024;

    private final IdentityProvider idp;
    private final Set<JWSAlgorithm> idTokenAlgorithms;
    private final JWKSource<SecurityContext> keys;
    private final DefaultJWTProcessor<SecurityContext> idTokens;
    private final DefaultJWTProcessor<SecurityContext> accessTokens;
    private final Clock clock;
    private final Duration skew;
    /** The discovery document this verifier was built from (null when built without one). */
    private OIDCProviderMetadata metadata;

    IdentityProviderVerifier(IdentityProvider idp, Set<JWSAlgorithm> idTokenAlgorithms, JWKSource<SecurityContext> keys,
                             Clock clock, Duration skew) {
        this.idp = idp;
        this.idTokenAlgorithms = Set.copyOf(idTokenAlgorithms);
        this.keys = keys;
        this.clock = clock;
        this.skew = skew;
        this.idTokens = processor(this.idTokenAlgorithms, keys);
        this.accessTokens = processor(ALLOWED, keys);
    }

    /**
     * OpenID Connect Discovery 1.0: fetches the IdP's metadata, requires its {@code issuer} to be exactly the
     * configured one (section 4.3), and builds a key source on its {@code jwks_uri}. Blocking.
     *
     * @throws IOException if the document cannot be fetched or is not valid provider metadata
     */
    static IdentityProviderVerifier discover(IdentityProvider idp, OutboundFetcher fetcher, Clock clock,
                                             Duration skew) throws IOException {
        // bounded: deadline including the body, size cap, https only (loopback http only with the development flag)
        OutboundFetcher.Fetched response = fetcher.get(idp.metadataUrl(), "application/json", SIZE_LIMIT);
        if (response.status() != 200) {
            throw new IOException(idp.metadataUrl() + " answered " + response.status());
        }
        OIDCProviderMetadata metadata;
        try {
            metadata = OIDCProviderMetadata.parse(response.text());
        } catch (ParseException | RuntimeException e) {
            throw new IOException(idp.metadataUrl() + " is not OpenID provider metadata: " + e.getMessage());
        }
        if (!idp.issuer().equals(metadata.getIssuer().getValue())) {
            throw new IOException(idp.metadataUrl() + " names the issuer '" + metadata.getIssuer()
                    + "', not '" + idp.issuer() + "'");
        }
        URI jwksUri = metadata.getJWKSetURI();
        if (jwksUri == null) {
            throw new IOException(idp.metadataUrl() + " has no jwks_uri");
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        if (metadata.getIDTokenJWSAlgs() != null) {
            for (JWSAlgorithm alg : metadata.getIDTokenJWSAlgs()) {
                if (ALLOWED.contains(alg)) {
                    algorithms.add(alg);
                }
            }
        }
        if (algorithms.isEmpty()) {
            throw new IOException(idp.metadataUrl() + " advertises none of " + ALLOWED
                    + " in id_token_signing_alg_values_supported");
        }
        fetcher.requireAllowed(jwksUri);   // an IdP's keys over http could be replaced by anyone on the path
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUri.toURL(),
                        fetcher.retriever(SIZE_LIMIT))
                .build();
        IdentityProviderVerifier verifier = new IdentityProviderVerifier(idp, algorithms, keys, clock, skew);
        verifier.metadata = metadata;
        return verifier;
    }

    /** The provider's discovery document, or null. */
    OIDCProviderMetadata metadata() {
        return metadata;
    }

    private static DefaultJWTProcessor<SecurityContext> processor(Set<JWSAlgorithm> algorithms,
                                                                  JWKSource<SecurityContext> keys) {
        // typ is checked before, with its own refusal; the claims after, against the injected clock
        return Jose.jwtProcessor(keys, Set.of(), algorithms.toArray(new JWSAlgorithm[0]));
    }

    IdentityProvider provider() {
        return idp;
    }

    Set<JWSAlgorithm> idTokenAlgorithms() {
        return idTokenAlgorithms;
    }

    /** Verifies a parsed token whose {@code iss} names this IdP. Blocking on a key-cache miss. */
    HumanToken verify(SignedJWT jwt, HumanToken.Kind kind) throws HumanTokenException {
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        Set<JWSAlgorithm> allowed = kind == HumanToken.Kind.ID_TOKEN ? idTokenAlgorithms : ALLOWED;
        if (!allowed.contains(alg)) {
            throw fail(Reason.BAD_SIGNATURE, "alg " + alg + " is not allowed");
        }
        JOSEObjectType typ = jwt.getHeader().getType();
        if (kind == HumanToken.Kind.ID_TOKEN ? typ != null && !JOSEObjectType.JWT.equals(typ) : !AT_JWT.equals(typ)) {
            throw fail(Reason.WRONG_TYPE, (kind == HumanToken.Kind.ID_TOKEN ? "id_token" : "access token") + " typ " + typ);
        }
        JWTClaimsSet claims;
        try {
            claims = (kind == HumanToken.Kind.ID_TOKEN ? idTokens : accessTokens).process(jwt, null);
        } catch (KeySourceException e) {
            throw fail(Reason.UNAVAILABLE, "keys of " + idp.issuer() + " unavailable: " + e.getMessage());
        } catch (BadJOSEException | JOSEException e) {
            throw fail(Reason.BAD_SIGNATURE, e.getMessage());
        }
        return checkClaims(claims, kind, idp.audiences());
    }

    /**
     * Verifies an id_token carried across organisations as the proof that this IdP authenticated a human (a chain
     * grant's {@code sub_proof}): as an id_token subject token, except that its {@code aud} must contain one of
     * {@code audiences} (the partner's clients at the IdP, not ours) and its {@code iat} be at most {@code maxAge}
     * old. Blocking on a key-cache miss.
     */
    HumanToken verifyProof(SignedJWT jwt, Set<String> audiences, Duration maxAge) throws HumanTokenException {
        HumanToken token;
        JWTClaimsSet claims;
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!idTokenAlgorithms.contains(alg)) {
            throw fail(Reason.BAD_SIGNATURE, "alg " + alg + " is not allowed");
        }
        JOSEObjectType typ = jwt.getHeader().getType();
        if (typ != null && !JOSEObjectType.JWT.equals(typ)) {
            throw fail(Reason.WRONG_TYPE, "id_token typ " + typ);
        }
        try {
            claims = idTokens.process(jwt, null);
        } catch (KeySourceException e) {
            throw fail(Reason.UNAVAILABLE, "keys of " + idp.issuer() + " unavailable: " + e.getMessage());
        } catch (BadJOSEException | JOSEException e) {
            throw fail(Reason.BAD_SIGNATURE, e.getMessage());
        }
        token = checkClaims(claims, HumanToken.Kind.ID_TOKEN, List.copyOf(audiences));
        if (Jose.expired(claims.getIssueTime().toInstant().plus(maxAge), clock.instant(), skew)) {
            throw fail(Reason.EXPIRED, "iat " + claims.getIssueTime().toInstant() + " is older than " + maxAge);
        }
        return token;
    }

    /**
     * Verifies a Security Event Token (RFC 8417) this IdP pushed (RFC 8935): an allowed asymmetric alg, {@code typ}
     * {@code secevent+jwt}, the IdP's signature, {@code iss} exactly the IdP, {@code aud} one of ours, {@code iat}
     * neither in the future nor older than {@code maxAge}, an {@code exp} (optional) not past, a {@code jti}, and
     * {@code events} a non-empty object of objects. Blocking on a key-cache miss.
     */
    SecurityEventToken verifySecurityEvent(SignedJWT jwt, Duration maxAge) throws HumanTokenException {
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!ALLOWED.contains(alg)) {
            throw fail(Reason.BAD_SIGNATURE, "alg " + alg + " is not allowed");
        }
        if (!SECEVENT_JWT.equals(jwt.getHeader().getType())) {
            throw fail(Reason.WRONG_TYPE, "SET typ " + jwt.getHeader().getType() + ", not secevent+jwt");
        }
        JWTClaimsSet claims;
        try {
            claims = accessTokens.process(jwt, null);   // signature only: the claims are checked here
        } catch (KeySourceException e) {
            throw fail(Reason.UNAVAILABLE, "keys of " + idp.issuer() + " unavailable: " + e.getMessage());
        } catch (BadJOSEException | JOSEException e) {
            throw fail(Reason.BAD_SIGNATURE, e.getMessage());
        }
        if (!idp.issuer().equals(claims.getIssuer())) {
            throw fail(Reason.UNTRUSTED_ISSUER, "iss " + claims.getIssuer());
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.stream().noneMatch(idp.audiences()::contains)) {
            throw fail(Reason.WRONG_AUDIENCE, "aud " + aud);
        }
        Date iat = claims.getIssueTime();
        String jti = claims.getJWTID();
        if (iat == null || jti == null || jti.isEmpty() || jti.length() > 255) {
            throw fail(Reason.INVALID_CLAIMS, "iat and jti are required");
        }
        Instant now = clock.instant();
        if (Jose.inFuture(iat.toInstant(), now, skew)) {
            throw fail(Reason.NOT_YET_VALID, "iat " + iat.toInstant());
        }
        if (Jose.expired(iat.toInstant().plus(maxAge), now, skew)) {
            throw fail(Reason.EXPIRED, "iat " + iat.toInstant() + " is older than " + maxAge);
        }
        Date exp = claims.getExpirationTime();
        if (exp != null && Jose.expired(exp.toInstant(), now, skew)) {
            throw fail(Reason.EXPIRED, "exp " + exp.toInstant());
        }
        Map<String, Map<String, Object>> events = new LinkedHashMap<>();
        Object raw = claims.getClaim("events");
        if (!(raw instanceof Map) || ((Map<?, ?>) raw).isEmpty()) {
            throw fail(Reason.INVALID_CLAIMS, "events is not a non-empty object");
        }
        for (Map.Entry<?, ?> event : ((Map<?, ?>) raw).entrySet()) {
            if (!(event.getValue() instanceof Map)) {
                throw fail(Reason.INVALID_CLAIMS, "the payload of event " + event.getKey() + " is not an object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> payload = (Map<String, Object>) event.getValue();
            events.put((String) event.getKey(), payload);
        }
        // SSF 1.0: sub_id at the top; CAEP and RISC before it: a subject inside each event
        Set<String> principals = new LinkedHashSet<>();
        subjects(claims.getClaim("sub_id"), principals);
        for (Map<String, Object> payload : events.values()) {
            subjects(payload.get("subject"), principals);
        }
        return new SecurityEventToken(idp, jti, iat.toInstant(), events, List.copyOf(principals));
    }

    /**
     * The principals a Subject Identifier (RFC 9493) names that are this IdP's users: {@code iss_sub} with this IdP's
     * issuer, also inside {@code aliases}, and CAEP's {@code complex} subject's {@code user}. Other formats (email,
     * phone, opaque) do not name an owner here: owners are registered as {@code <issuer>#<sub>}.
     */
    private void subjects(Object identifier, Set<String> into) {
        if (!(identifier instanceof Map)) {
            return;
        }
        Map<?, ?> id = (Map<?, ?>) identifier;
        Object format = id.get("format");
        if ("iss_sub".equals(format) && idp.issuer().equals(id.get("iss")) && id.get("sub") instanceof String sub
                && !sub.isEmpty() && sub.length() <= 255) {
            into.add(idp.principal(sub));
        } else if ("aliases".equals(format) && id.get("identifiers") instanceof List<?> aliases) {
            for (Object alias : aliases) {
                if (alias instanceof Map && !"aliases".equals(((Map<?, ?>) alias).get("format"))) {
                    subjects(alias, into);
                }
            }
        } else if (format == null && id.get("user") != null) {
            subjects(id.get("user"), into);
        }
    }

    private HumanToken checkClaims(JWTClaimsSet claims, HumanToken.Kind kind, List<String> audiences)
            throws HumanTokenException {
        if (!idp.issuer().equals(claims.getIssuer())) {
            throw fail(Reason.UNTRUSTED_ISSUER, "iss " + claims.getIssuer());
        }
        String subject = claims.getSubject();
        Date exp = claims.getExpirationTime();
        Date iat = claims.getIssueTime();
        if (subject == null || subject.isEmpty() || subject.length() > 255 || exp == null || iat == null) {
            throw fail(Reason.INVALID_CLAIMS, "sub, exp and iat are required");
        }
        List<String> aud = claims.getAudience();
        if (aud == null || aud.stream().noneMatch(audiences::contains)) {
            throw fail(Reason.WRONG_AUDIENCE, "aud " + aud);
        }
        Instant now = clock.instant();
        if (Jose.expired(exp.toInstant(), now, skew)) {
            throw fail(Reason.EXPIRED, "exp " + exp.toInstant());
        }
        Date nbf = claims.getNotBeforeTime();
        if (Jose.inFuture(iat.toInstant(), now, skew) || (nbf != null && Jose.inFuture(nbf.toInstant(), now, skew))) {
            throw fail(Reason.NOT_YET_VALID, "iat " + iat.toInstant());
        }
        List<String> groups = new ArrayList<>();
        if (idp.groupsClaim() != null && claims.getClaim(idp.groupsClaim()) != null) {
            Object raw = claims.getClaim(idp.groupsClaim());
            if (!(raw instanceof List)) {
                throw fail(Reason.INVALID_CLAIMS, idp.groupsClaim() + " is not an array");
            }
            for (Object group : (List<?>) raw) {
                if (!(group instanceof String) || ((String) group).isEmpty()) {
                    throw fail(Reason.INVALID_CLAIMS, idp.groupsClaim() + " holds a non-string");
                }
                groups.add(idp.group((String) group));
            }
        }
        return new HumanToken(idp, subject, idp.principal(subject), groups, exp.toInstant(), kind);
    }

    private HumanTokenException fail(Reason reason, String detail) {
        return new HumanTokenException(reason, idp.issuer(), detail);
    }

    @Override
    public void close() {
        if (keys instanceof Closeable) {
            try {
                ((Closeable) keys).close();
            } catch (IOException e) {
                // nothing held that matters
            }
        }
    }
}
