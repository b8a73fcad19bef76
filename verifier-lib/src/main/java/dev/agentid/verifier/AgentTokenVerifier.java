package dev.agentid.verifier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import dev.agentid.verifier.status.StatusListCheck;
import dev.agentid.verifier.status.StatusListPolicy;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Verifies agent access tokens (RFC 9068 {@code at+jwt}, signed compact JWS) and their delegation chain.
 *
 * <pre>{@code
 * AgentTokenVerifier verifier = AgentTokenVerifier.builder()
 *         .trustIssuer("https://issuer.example", new URL("https://issuer.example/jwks.json"))
 *         .audience("https://api.example")
 *         .build();
 * VerifiedAgentToken token = verifier.verify(bearer);
 * }</pre>
 *
 * <p>Checks, in the order of the profile (spec/agent-token-profile.md, section 5.2), each failure a
 * {@link TokenVerificationException} with a stable {@link Reason}: size cap (UTF-8 bytes); strict compact
 * serialization and canonical base64url; UTF-8 JSON object header and payload without duplicate members,
 * a string {@code alg}, no {@code crit}, no {@code b64} other than true; {@code alg} on the allowlist;
 * {@code typ} {@code at+jwt}; {@code iss} trusted; a {@code kid} naming a key of that issuer that fits
 * the {@code alg}; the signature; required claims and their types; {@code exp}, {@code iat},
 * {@code nbf} with clock skew; audience; the {@code act} chain; {@code client_id} equal to the current
 * actor.
 *
 * <p>Each trusted issuer has its own key source and its own key selector, so a token can only be
 * verified with keys of the issuer it names. Header {@code jwk}, {@code jku}, {@code x5u} and {@code x5c}
 * are never used to find keys.
 *
 * <p>Immutable and thread-safe. {@link #close()} releases the HTTP key sources the verifier created.
 */
public final class AgentTokenVerifier implements AutoCloseable {

    /** Largest accepted NumericDate: 9999-12-31T23:59:59Z. */
    private static final double MAX_NUMERIC_DATE = 253402300799d;

    /** Distinct headers kept (an issuer's keys times its token types); more start the map over. */
    private static final int MAX_ACCEPTED_HEADERS = 64;

    /** A header (its base64url form is the key) that passed steps 1 and 2 and was under a verified signature. */
    private record AcceptedHeader(String alg, JWSHeader header) {
    }

    /** Stands in for an empty signature part: a single zero byte, never a valid signature. */
    private static final Base64URL EMPTY_SIGNATURE = new Base64URL("AA");

    /** Algorithms the verifier can check (Nimbus without optional dependencies, no MAC). */
    private static final Set<JWSAlgorithm> VERIFIABLE = Set.of(
            JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512,
            JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
            JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512,
            JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

    /**
     * Runs Nimbus refresh-ahead fetches of JWK sets. Daemon threads that end when idle, so the verifier
     * never keeps a JVM alive and needs no shutdown.
     */
    private static final ExecutorService REFRESH_EXECUTOR = refreshExecutor();

    private final Map<String, IssuerKeys> issuers;
    private final Map<String, AcceptedHeader> acceptedHeaders = new ConcurrentHashMap<>();
    private final Set<String> algorithmNames;
    private final Set<String> audiences;
    private final boolean anyAudience;
    private final Duration clockSkew;
    private final int maxTokenBytes;
    private final int maxChainDepth;
    private final Clock clock;
    private final List<Closeable> ownedSources;
    private final StatusListCheck statusCheck;
    private final Map<String, String> organisations;
    private final boolean requireEvidence;

    private AgentTokenVerifier(Map<String, IssuerKeys> issuers,
                               Set<String> algorithmNames, Set<String> audiences, boolean anyAudience,
                               Duration clockSkew, int maxTokenBytes, int maxChainDepth, Clock clock,
                               List<Closeable> ownedSources, StatusListPolicy statusPolicy,
                               Map<String, String> organisations, boolean requireEvidence) {
        this.organisations = organisations;
        this.requireEvidence = requireEvidence;
        this.issuers = issuers;
        this.algorithmNames = algorithmNames;
        this.audiences = audiences;
        this.anyAudience = anyAudience;
        this.clockSkew = clockSkew;
        this.maxTokenBytes = maxTokenBytes;
        this.maxChainDepth = maxChainDepth;
        this.clock = clock;
        this.ownedSources = ownedSources;
        this.statusCheck = statusPolicy == null ? null
                : new StatusListCheck(statusPolicy, clock, clockSkew, this::verifyIssuerSignature);
    }

    /** A status list token's or a chain receipt's signature, with the keys and algorithm allowlist of its issuer. */
    private void verifyIssuerSignature(String issuer, JWSObject jws) throws TokenVerificationException {
        IssuerKeys keys = issuers.get(issuer);
        if (keys == null) {
            throw fail(Reason.UNTRUSTED_ISSUER, "the issuer '" + issuer + "' is not trusted");
        }
        if (!algorithmNames.contains(jws.getHeader().getAlgorithm().getName())) {
            throw fail(Reason.UNSUPPORTED_ALGORITHM, "the algorithm is not allowed");
        }
        if (jws.getHeader().getKeyID() == null) {
            throw fail(Reason.UNKNOWN_KEY, "the JWS header has no kid");
        }
        try {
            keys.verify(jws.getHeader(), jws.getSigningInput(), jws.getSignature());
        } catch (KeySourceException e) {
            throw new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE, e.getMessage(), e);
        } catch (BadJOSEException | JOSEException e) {
            throw fail(Reason.BAD_SIGNATURE, "the signature does not verify");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Verifies a serialized token.
     *
     * @param token the compact JWS, without a {@code Bearer} prefix
     * @return the verified token
     * @throws TokenVerificationException with the reason of the first failed check
     */
    public VerifiedAgentToken verify(String token) throws TokenVerificationException {
        // 1. size and syntax, before any parsing
        if (token == null) {
            throw fail(Reason.MALFORMED, "no token");
        }
        if (token.length() > maxTokenBytes) {
            throw fail(Reason.TOKEN_TOO_LARGE, "the token is longer than " + maxTokenBytes + " bytes");
        }
        // ISO 8859-1 maps every character outside ASCII to a byte CompactJws refuses: the bytes that pass are the
        // token's ASCII, and this one copy serves the syntax check, the payload and the signing input
        byte[] ascii = token.getBytes(StandardCharsets.ISO_8859_1);
        int[] dots = CompactJws.dots(ascii, false);
        if (dots == null) {
            if (utf8Length(token) > maxTokenBytes) {
                // the cap is in bytes: non-ASCII characters count as their UTF-8 length
                throw fail(Reason.TOKEN_TOO_LARGE, "the token is longer than " + maxTokenBytes + " bytes");
            }
            throw fail(Reason.MALFORMED, "not a compact JWS of three strict base64url parts");
        }
        int first = dots[0];
        int second = dots[1];
        // a header seen before in a verified token passed steps 1 and 2 already: it is looked up, not parsed again
        String headerPart = token.substring(0, first);
        AcceptedHeader accepted = acceptedHeaders.get(headerPart);
        Map<String, Object> header = accepted == null ? jsonObject(ascii, 0, first, "header") : null;
        Map<String, Object> payload = jsonObject(ascii, first + 1, second, "payload");

        String alg = accepted == null ? checkHeader(header) : accepted.alg();

        // 3. issuer, from the unverified payload, selects the key source
        Object iss = payload.get("iss");
        if (iss == null) {
            throw fail(Reason.MISSING_CLAIM, "the iss claim is missing");
        }
        if (!(iss instanceof String)) {
            throw fail(Reason.INVALID_CLAIM, "the iss claim is not a string");
        }
        IssuerKeys keys = issuers.get(iss);
        if (keys == null) {
            throw fail(Reason.UNTRUSTED_ISSUER, "the issuer '" + iss + "' is not trusted");
        }

        // 4. key selection and signature
        JWSHeader jwsHeader;
        if (accepted != null) {
            jwsHeader = accepted.header();
        } else {
            try {
                jwsHeader = JWSHeader.parse(header, new Base64URL(headerPart));
            } catch (ParseException e) {
                throw fail(Reason.MALFORMED, "invalid JWS header: " + e.getMessage());
            }
        }
        if (jwsHeader.getKeyID() == null) {
            // never try the issuer's keys one by one
            throw fail(Reason.UNKNOWN_KEY, "the JWS header has no kid");
        }
        // an empty signature part reaches the signature step (after key selection) and fails there, as the
        // profile wants: it stands in as one zero byte, which no signature algorithm accepts
        Base64URL signature = second + 1 == token.length() ? EMPTY_SIGNATURE
                : new Base64URL(token.substring(second + 1));
        // the signing input is the token's first two parts as they are
        byte[] signingInput = Arrays.copyOf(ascii, second);
        try {
            keys.verify(jwsHeader, signingInput, signature);
        } catch (IssuerKeys.NoMatchingKeyException e) {
            throw fail(Reason.UNKNOWN_KEY, "issuer '" + iss + "' has no " + alg + " key with kid '"
                    + jwsHeader.getKeyID() + "'");
        } catch (KeySourceException e) {
            throw new TokenVerificationException(Reason.KEY_SOURCE_UNAVAILABLE,
                    "the keys of issuer '" + iss + "' could not be obtained: " + e.getMessage(), e);
        } catch (BadJWSException e) {
            throw fail(Reason.BAD_SIGNATURE, "the signature does not verify");
        } catch (JOSEException e) {
            throw new TokenVerificationException(Reason.BAD_SIGNATURE,
                    "the signature could not be verified: " + e.getMessage(), e);
        }
        if (accepted == null) {
            rememberHeader(headerPart, new AcceptedHeader(alg, jwsHeader));
        }

        // 5. claims
        VerifiedAgentToken verified = checkClaims((String) iss, payload, jwsHeader.getKeyID());

        // 6. status list (opt-in): after every other check, as draft-ietf-oauth-status-list orders it
        if (statusCheck != null) {
            statusCheck.check(verified);
        }
        return verified;
    }

    /** Steps 1 and 2 on a parsed header: what the profile allows; answers the alg. */
    private String checkHeader(Map<String, Object> header) throws TokenVerificationException {
        Object alg = header.get("alg");
        if (!(alg instanceof String)) {
            throw fail(Reason.MALFORMED, "the JWS header has no string alg");
        }
        if (header.containsKey("crit")) {
            throw fail(Reason.MALFORMED, "the JWS header has a crit parameter; no extension is understood");
        }
        if (header.containsKey("b64") && !Boolean.TRUE.equals(header.get("b64"))) {
            throw fail(Reason.MALFORMED, "unencoded payloads (b64) are not allowed");
        }

        // 2. algorithm and type
        if (!algorithmNames.contains(alg)) {
            throw fail(Reason.UNSUPPORTED_ALGORITHM, "the algorithm '" + alg + "' is not allowed");
        }
        Object typ = header.get("typ");
        if (!(typ instanceof String) || !isAccessTokenType((String) typ)) {
            throw fail(Reason.WRONG_TYPE, "the JWS typ is " + (typ == null ? "missing" : "'" + typ + "'")
                    + ", not 'at+jwt'");
        }
        return (String) alg;
    }

    /**
     * Keeps a header that a verified token carried. Only a header under a good signature of a trusted issuer gets
     * here, so no one else can fill the map; it is bounded anyway and starts over when full.
     */
    private void rememberHeader(String encoded, AcceptedHeader accepted) {
        if (acceptedHeaders.size() >= MAX_ACCEPTED_HEADERS) {
            acceptedHeaders.clear();
        }
        acceptedHeaders.put(encoded, accepted);
    }

    private VerifiedAgentToken checkClaims(String issuer, Map<String, Object> payload, String keyId)
            throws TokenVerificationException {
        // each claim is looked up once; every missing one is reported before any of the wrong type
        Object subValue = payload.get("sub");
        Object audValue = payload.get("aud");
        Object expValue = payload.get("exp");
        Object iatValue = payload.get("iat");
        Object jtiValue = payload.get("jti");
        Object clientIdValue = payload.get("client_id");
        Object scopeValue = payload.get("scope");
        Object actValue = payload.get(DelegationChain.ACT);
        requirePresent(subValue, "sub");
        requirePresent(audValue, "aud");
        requirePresent(expValue, "exp");
        requirePresent(iatValue, "iat");
        requirePresent(jtiValue, "jti");
        requirePresent(clientIdValue, "client_id");
        requirePresent(scopeValue, "scope");
        requirePresent(actValue, DelegationChain.ACT);

        String sub = nonEmptyString(subValue, "sub");
        List<String> aud = audience(audValue);
        Instant exp = numericDate(expValue, "exp");
        Instant iat = numericDate(iatValue, "iat");
        Object nbfValue = payload.get("nbf");
        Instant nbf = nbfValue == null ? null : numericDate(nbfValue, "nbf");
        String jti = nonEmptyString(jtiValue, "jti");
        String clientId = nonEmptyString(clientIdValue, "client_id");
        Set<String> scopes = scopes(nonEmptyString(scopeValue, "scope"));

        Instant now = clock.instant();
        if (Jose.expired(exp, now, clockSkew)) {
            throw fail(Reason.EXPIRED, "the token expired at " + exp);
        }
        if (Jose.inFuture(iat, now, clockSkew)) {
            throw fail(Reason.ISSUED_IN_FUTURE, "the token is issued in the future (" + iat + ")");
        }
        if (nbf != null && Jose.inFuture(nbf, now, clockSkew)) {
            throw fail(Reason.NOT_YET_VALID, "the token is not valid before " + nbf);
        }
        if (!anyAudience && !containsAny(aud)) {
            throw fail(Reason.AUDIENCE_MISMATCH, "the token audience " + aud + " is not accepted");
        }

        DelegationChain chain = DelegationChain.fromActClaim(actValue, maxChainDepth);
        if (!clientId.equals(chain.current().subject())) {
            throw fail(Reason.CLIENT_ID_MISMATCH, "client_id '" + clientId
                    + "' is not the current actor '" + chain.current().subject() + "'");
        }

        if (requireEvidence) {
            // section 6.12: every level naming issuer X is backed by a receipt of X, checked with X's keys
            ChainEvidence.verify(sub, chain, null, ChainEvidence.fromClaim(payload.get(ChainEvidence.CLAIM)),
                    this::verifyIssuerSignature);
        }

        // the Nimbus claims set is built on demand (VerifiedAgentToken.claims()): every registered claim it reads
        // was type-checked above, so building it cannot fail
        return new VerifiedAgentToken(sub, issuer, aud, scopes, chain, clientId, jti, iat, exp, keyId, payload,
                organisations);
    }

    private boolean containsAny(List<String> aud) {
        for (String a : aud) {
            if (audiences.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** The trusted issuers. */
    public Set<String> trustedIssuers() {
        return issuers.keySet();
    }

    /** The JCA providers the issuers' signature verifiers use (BouncyCastle); for tests. */
    Set<Provider> signatureProviders() {
        Set<Provider> providers = new HashSet<>();
        for (IssuerKeys keys : issuers.values()) {
            providers.add(keys.factory().getJCAContext().getProvider());
        }
        return providers;
    }

    /** Releases the HTTP key sources this verifier created; static and caller-supplied sources are untouched. */
    @Override
    public void close() {
        for (Closeable source : ownedSources) {
            try {
                source.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    // --- claim helpers ------------------------------------------------------------------------------

    private static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }

    private static boolean isAscii(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAccessTokenType(String typ) {
        return "at+jwt".equalsIgnoreCase(typ) || "application/at+jwt".equalsIgnoreCase(typ);
    }

    private static Map<String, Object> jsonObject(byte[] ascii, int from, int to, String what)
            throws TokenVerificationException {
        // CompactJws.dots admitted only canonical base64url, which the JDK's decoder takes as it is; it answers a
        // newly allocated heap buffer, read in place
        ByteBuffer decoded = Base64.getUrlDecoder().decode(ByteBuffer.wrap(ascii, from, to - from));
        byte[] bytes = decoded.array();
        int start = decoded.arrayOffset() + decoded.position();
        int end = start + decoded.remaining();
        String json;
        if (isAscii(bytes, start, end)) {
            json = new String(bytes, start, end - start, StandardCharsets.ISO_8859_1);   // the common case: no decoder
        } else {
            try {
                json = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(decoded)
                        .toString();
            } catch (CharacterCodingException e) {
                throw fail(Reason.MALFORMED, "the JWS " + what + " is not UTF-8");
            }
        }
        try {
            // Nimbus' JSON parser refuses duplicate member names
            Map<String, Object> object = JSONObjectUtils.parse(json);
            if (object == null) {   // the JSON text "null" (found by the issuer's fuzzer: a NullPointerException)
                throw fail(Reason.MALFORMED, "the JWS " + what + " is not a JSON object");
            }
            return object;
        } catch (ParseException e) {
            throw fail(Reason.MALFORMED, "the JWS " + what + " is not a JSON object");
        }
    }

    private static void requirePresent(Object value, String claim) throws TokenVerificationException {
        if (value == null) {
            throw fail(Reason.MISSING_CLAIM, "the " + claim + " claim is missing");
        }
    }

    private static String nonEmptyString(Object value, String claim) throws TokenVerificationException {
        if (!(value instanceof String) || ((String) value).isEmpty()) {
            throw fail(Reason.INVALID_CLAIM, "the " + claim + " claim is not a non-empty string");
        }
        return (String) value;
    }

    private static Instant numericDate(Object value, String claim) throws TokenVerificationException {
        if (!(value instanceof Number)) {
            throw fail(Reason.INVALID_CLAIM, "the " + claim + " claim is not a number");
        }
        double seconds = ((Number) value).doubleValue();
        if (!(seconds >= 0 && seconds <= MAX_NUMERIC_DATE)) {
            throw fail(Reason.INVALID_CLAIM, "the " + claim + " claim is out of range");
        }
        // whole seconds, as JWTClaimsSet reads them, so claims() and the accessors agree
        return Instant.ofEpochSecond(((Number) value).longValue());
    }

    /** Profile 3.7: a string or an array of strings; whether any value is accepted is the audience step. */
    private static List<String> audience(Object value) throws TokenVerificationException {
        if (value instanceof String) {
            return List.of((String) value);
        }
        if (value instanceof List) {
            List<?> list = (List<?>) value;
            List<String> aud = new ArrayList<>(list.size());
            for (Object element : list) {
                if (!(element instanceof String)) {
                    throw fail(Reason.INVALID_CLAIM, "the aud claim holds a value that is not a string");
                }
                aud.add((String) element);
            }
            return Collections.unmodifiableList(aud);
        }
        throw fail(Reason.INVALID_CLAIM, "the aud claim is neither a string nor an array of strings");
    }

    /** RFC 6749 section 3.3: scope-tokens of %x21 / %x23-5B / %x5D-7E separated by single spaces. */
    private static Set<String> scopes(String scope) throws TokenVerificationException {
        Set<String> scopes = new LinkedHashSet<>();
        int start = 0;
        int length = scope.length();
        for (int i = 0; i <= length; i++) {
            char c = i < length ? scope.charAt(i) : ' ';
            if (c == ' ') {
                if (i == start) {
                    throw fail(Reason.INVALID_CLAIM, "the scope claim has an empty scope token");
                }
                scopes.add(scope.substring(start, i));
                start = i + 1;
            } else if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
                throw fail(Reason.INVALID_CLAIM, "the scope claim has a character not allowed in a scope");
            }
        }
        return Collections.unmodifiableSet(scopes);
    }

    private static TokenVerificationException fail(Reason reason, String message) {
        return new TokenVerificationException(reason, message);
    }

    private static ExecutorService refreshExecutor() {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "agentid-jwks-refresh");
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }

    /**
     * Builds an {@link AgentTokenVerifier}. Secure defaults: ES256 only, 60 s clock skew, 8192-byte
     * tokens, chains of at most 10 actors, an audience is required. Not thread-safe; the verifiers it
     * builds are.
     */
    public static final class Builder {

        private final Map<String, Object> issuers = new LinkedHashMap<>();
        private final Map<String, String> organisations = new LinkedHashMap<>();
        private Set<String> audiences;
        private boolean anyAudience;
        private Set<JWSAlgorithm> algorithms = Set.of(JWSAlgorithm.ES256);
        private Duration clockSkew = Duration.ofSeconds(60);
        private int maxTokenBytes = 8192;
        private int maxChainDepth = 10;
        private Clock clock = Clock.systemUTC();
        private StatusListPolicy statusPolicy;
        private boolean requireEvidence;

        private Builder() {
        }

        /**
         * Trusts an issuer whose keys are published at a JWK set URL. The keys are fetched on first
         * use and cached by Nimbus {@link JWKSourceBuilder}: refresh ahead of expiry, a rate-limited
         * refetch when a token names an unknown {@code kid} (key rotation), retry, and outage tolerance
         * (cached keys keep working while the URL is down).
         *
         * @param jwksUri an {@code https} URL; plain {@code http} only for a loopback host
         * @throws IllegalArgumentException for an empty or repeated issuer or an unacceptable URL
         */
        public Builder trustIssuer(String issuer, URL jwksUri) {
            Objects.requireNonNull(jwksUri, "jwksUri");
            String protocol = jwksUri.getProtocol();
            if (!"https".equalsIgnoreCase(protocol)
                    && !("http".equalsIgnoreCase(protocol) && isLoopback(jwksUri.getHost()))) {
                throw new IllegalArgumentException("the JWK set URL must use https (http only for loopback): "
                        + jwksUri);
            }
            return addIssuer(issuer, jwksUri);
        }

        /**
         * Trusts an issuer whose keys are published at a JWK set URL, as {@link #trustIssuer(String, URL)}, and labels
         * it with the organisation it belongs to: {@link VerifiedAgentToken#organisationOf(Actor)} reports it for every
         * actor that issuer authenticated.
         */
        public Builder trustIssuer(String issuer, URL jwksUri, String organisation) {
            trustIssuer(issuer, jwksUri);
            return organisation(issuer, organisation);
        }

        /**
         * Labels an issuer with its organisation (identity chaining: chains cross organisations). The issuer need not be
         * trusted: a partner organisation's actors inside a trusted issuer's token are labelled too.
         *
         * @throws IllegalArgumentException for an empty issuer or organisation
         */
        public Builder organisation(String issuer, String organisation) {
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(organisation, "organisation");
            if (issuer.isEmpty() || organisation.isEmpty()) {
                throw new IllegalArgumentException("the issuer and the organisation must not be empty");
            }
            organisations.put(issuer, organisation);
            return this;
        }

        /**
         * Trusts an issuer with a fixed set of public keys. The set is vetted with
         * {@link JwksPolicy#requirePublicSigningKeys(JWKSet)}, which here also accepts Ed25519 (OKP)
         * public keys for verifiers that allow EdDSA.
         *
         * @throws IllegalArgumentException for an empty or repeated issuer, private keys or a set that
         *         fails the policy
         */
        public Builder trustIssuer(String issuer, JWKSet jwks) {
            Objects.requireNonNull(jwks, "jwks");
            for (JWK key : jwks.getKeys()) {
                if (key.isPrivate()) {
                    throw new IllegalArgumentException("the JWK set of issuer '" + issuer
                            + "' holds private key material; pass JWKSet.toPublicJWKSet()");
                }
            }
            JwksPolicy.requireVerificationKeys(jwks);
            return addIssuer(issuer, new ImmutableJWKSet<SecurityContext>(jwks));
        }

        /**
         * Trusts an issuer with a caller-supplied key source (used as is; the caller owns its lifecycle).
         *
         * @throws IllegalArgumentException for an empty or repeated issuer
         */
        public Builder trustIssuer(String issuer, JWKSource<SecurityContext> keys) {
            Objects.requireNonNull(keys, "keys");
            return addIssuer(issuer, keys);
        }

        private Builder addIssuer(String issuer, Object keys) {
            Objects.requireNonNull(issuer, "issuer");
            if (issuer.isEmpty()) {
                throw new IllegalArgumentException("the issuer must not be empty");
            }
            if (issuers.containsKey(issuer)) {
                throw new IllegalArgumentException("the issuer '" + issuer + "' is already trusted");
            }
            issuers.put(issuer, keys);
            return this;
        }

        /** The audiences accepted; a token must name at least one. Replaces earlier values. */
        public Builder audience(String... accepted) {
            Objects.requireNonNull(accepted, "accepted");
            if (accepted.length == 0) {
                throw new IllegalArgumentException("at least one audience is required");
            }
            Set<String> set = new LinkedHashSet<>();
            for (String a : accepted) {
                Objects.requireNonNull(a, "audience");
                if (a.isEmpty()) {
                    throw new IllegalArgumentException("an audience must not be empty");
                }
                set.add(a);
            }
            this.audiences = Set.copyOf(set);
            return this;
        }

        /** Accepts any audience. An explicit opt-out, for a token exchange that audiences its subject tokens itself. */
        public Builder anyAudience() {
            this.anyAudience = true;
            return this;
        }

        /**
         * The accepted JWS algorithms (default ES256). ES256/384/512, RS256/384/512, PS256/384/512 and,
         * for Ed25519 keys, {@code EdDSA} or {@code Ed25519} (verified with BouncyCastle, since Nimbus'
         * own Ed25519 verifier needs Google Tink). Refuses {@code none}, every MAC, and anything else.
         */
        public Builder allowedAlgorithms(JWSAlgorithm... algs) {
            Objects.requireNonNull(algs, "algs");
            if (algs.length == 0) {
                throw new IllegalArgumentException("at least one algorithm is required");
            }
            Set<JWSAlgorithm> set = new LinkedHashSet<>();
            for (JWSAlgorithm alg : algs) {
                Objects.requireNonNull(alg, "algorithm");
                if ("none".equalsIgnoreCase(alg.getName())) {
                    throw new IllegalArgumentException("the algorithm 'none' is never allowed");
                }
                if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
                    throw new IllegalArgumentException("MAC algorithms are never allowed: " + alg);
                }
                if (!VERIFIABLE.contains(alg)) {
                    throw new IllegalArgumentException("unsupported algorithm: " + alg);
                }
                set.add(alg);
            }
            this.algorithms = Set.copyOf(set);
            return this;
        }

        /** The tolerated clock difference for exp, iat and nbf (default 60 s, at most 5 min). */
        public Builder clockSkew(Duration skew) {
            Objects.requireNonNull(skew, "skew");
            if (skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("the clock skew must be between 0 and 5 minutes: " + skew);
            }
            this.clockSkew = skew;
            return this;
        }

        /** The largest accepted serialized token (default 8192). */
        public Builder maxTokenBytes(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxTokenBytes must be positive: " + max);
            }
            this.maxTokenBytes = max;
            return this;
        }

        /** The largest accepted number of actors in a chain (default 10). */
        public Builder maxChainDepth(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxChainDepth must be at least 1: " + max);
            }
            this.maxChainDepth = max;
            return this;
        }

        /** The clock for exp, iat and nbf (default system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Opts in to the revocation check through Token Status Lists (draft-ietf-oauth-status-list; profile section
         * 7.1): each token's {@code status.status_list} list is fetched from its issuer, verified with that issuer's
         * keys, cached for its {@code ttl}, and a set status refuses the token with {@link Reason#REVOKED}.
         */
        public Builder statusLists(StatusListPolicy policy) {
            this.statusPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Builds the verifier: one key source and one key selector per issuer.
         *
         * @throws IllegalStateException without a trusted issuer, or without an audience unless
         *         {@link #anyAudience()} was called (and not both)
         */
        /**
         * Requires chain evidence (profile section 6.12): a chain that crosses organisations must carry, for every
         * hop, a receipt signed by the issuer the chain came from, and each receipt is verified with that issuer's
         * keys, so every issuer named in the chain must be trusted here ({@link #trustIssuer}). A token whose
         * evidence fails is refused with a {@code CHAIN_EVIDENCE_*} reason and {@link TokenVerificationException#hop()}
         * the first failing hop. A chain within one issuer needs no evidence. Off by default.
         */
        public Builder requireChainEvidence() {
            this.requireEvidence = true;
            return this;
        }

        public AgentTokenVerifier build() {
            if (issuers.isEmpty()) {
                throw new IllegalStateException("no trusted issuer");
            }
            if (audiences == null && !anyAudience) {
                throw new IllegalStateException("no audience: call audience(...) or, explicitly, anyAudience()");
            }
            if (audiences != null && anyAudience) {
                throw new IllegalStateException("both audience(...) and anyAudience() were called");
            }
            JWSVerifierFactory verifierFactory = new Ed25519Verification.Factory(Jose.verifiers());

            Map<String, IssuerKeys> keys = new HashMap<>();
            List<Closeable> owned = new ArrayList<>();
            for (Map.Entry<String, Object> entry : issuers.entrySet()) {
                JWKSource<SecurityContext> source = keySource(entry.getValue(), owned);
                keys.put(entry.getKey(), new IssuerKeys(new IssuerKeys.KidKeySelector(algorithms, source),
                        verifierFactory));
            }
            Set<String> names = new LinkedHashSet<>();
            for (JWSAlgorithm alg : algorithms) {
                names.add(alg.getName());
            }
            return new AgentTokenVerifier(Map.copyOf(keys), Set.copyOf(names),
                    audiences == null ? Set.of() : audiences, anyAudience, clockSkew, maxTokenBytes,
                    maxChainDepth, clock, List.copyOf(owned), statusPolicy, Map.copyOf(organisations),
                    requireEvidence);
        }

        @SuppressWarnings("unchecked")
        private static JWKSource<SecurityContext> keySource(Object keys, List<Closeable> owned) {
            if (keys instanceof URL) {
                JWKSource<SecurityContext> remote = JWKSourceBuilder.<SecurityContext>create((URL) keys)
                        .cache(true)
                        .refreshAheadCache(JWKSourceBuilder.DEFAULT_REFRESH_AHEAD_TIME, null,
                                REFRESH_EXECUTOR, false, null, false)
                        .rateLimited(true)
                        .retrying(true)
                        .outageTolerant(true)
                        .build();
                if (remote instanceof Closeable) {
                    owned.add((Closeable) remote);
                }
                return remote;
            }
            return (JWKSource<SecurityContext>) keys;
        }

        private static boolean isLoopback(String host) {
            if ("localhost".equalsIgnoreCase(host)) {
                return true;
            }
            String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
                return false; // only IP literals, never a DNS lookup
            }
            try {
                return InetAddress.getByName(literal).isLoopbackAddress();
            } catch (UnknownHostException e) {
                return false;
            }
        }
    }
}
