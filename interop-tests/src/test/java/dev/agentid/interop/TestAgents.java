package dev.agentid.interop;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Agents registered at a running issuer, each with its own ES256 key, and the OAuth calls they make
 * (private_key_jwt client authentication, RFC 7523). After an issuer restart, {@link #use(IssuerProcess)}
 * points the same agents at the new process.
 *
 * <pre>
 * TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
 * Agent a = agents.agent("agent-a").owner("user:alice").scopes("files:read").audiences(API).register();
 * String token = a.token("files:read", API);
 * </pre>
 */
public final class TestAgents {

    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    public static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration ASSERTION_LIFETIME = Duration.ofSeconds(60);

    private final Http http = new Http();
    private final Clock clock;
    private volatile IssuerProcess issuer;

    public TestAgents(IssuerProcess issuer, Clock clock) {
        this.issuer = Objects.requireNonNull(issuer, "issuer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** From now on, every call goes to this issuer (same agents, same keys). */
    public void use(IssuerProcess next) {
        this.issuer = Objects.requireNonNull(next, "next");
    }

    public IssuerProcess issuer() {
        return issuer;
    }

    public Http http() {
        return http;
    }

    public static String randomSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A fresh P-256 key pair for ES256, generated with BouncyCastle. */
    public static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true)
                    .provider(BouncyCastleProviderSingleton.getInstance())
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A registration, pre-filled: owner "user:" + id, scope "files:read", one audience, TTL 300 s, depth 4. */
    public Registration agent(String agentId) {
        return new Registration(agentId);
    }

    public final class Registration {
        private final String agentId;
        private String owner;
        private List<String> scopes = List.of("files:read");
        private List<String> audiences = List.of("https://api.example");
        private List<String> delegates = List.of();
        private int maxDelegationDepth = 4;
        private int tokenTtlSeconds = 300;
        private ECKey key = newKey();
        private final Map<String, Object> extra = new LinkedHashMap<>();

        private Registration(String agentId) {
            this.agentId = agentId;
            this.owner = "user:" + agentId;
        }

        public Registration owner(String value) {
            this.owner = value;
            return this;
        }

        public Registration scopes(String... values) {
            this.scopes = List.of(values);
            return this;
        }

        public Registration audiences(String... values) {
            this.audiences = List.of(values);
            return this;
        }

        public Registration delegates(String... values) {
            this.delegates = List.of(values);
            return this;
        }

        public Registration maxDelegationDepth(int value) {
            this.maxDelegationDepth = value;
            return this;
        }

        public Registration tokenTtlSeconds(int value) {
            this.tokenTtlSeconds = value;
            return this;
        }

        /** The agent's key pair (default: a fresh one), for tests whose clients sign their own assertions. */
        public Registration key(ECKey value) {
            this.key = Objects.requireNonNull(value, "key");
            return this;
        }

        /** Any other registration field (e.g. {@code acts_for}), sent as given. */
        public Registration field(String name, Object value) {
            extra.put(name, value);
            return this;
        }

        public Map<String, Object> json() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("agent_id", agentId);
            body.put("owner", owner);
            body.put("jwks", Map.of("keys", List.of(key.toPublicJWK().toJSONObject())));
            body.put("scopes", scopes);
            body.put("audiences", audiences);
            body.put("delegates", delegates);
            body.put("max_delegation_depth", maxDelegationDepth);
            body.put("token_ttl_seconds", tokenTtlSeconds);
            body.putAll(extra);
            return body;
        }

        /** POST /admin/agents; fails unless the issuer answers 201. */
        public Agent register() {
            HttpResult created = http.postJson(issuer.admin("/admin/agents"), json(), issuer.adminToken());
            created.expect(201);
            return new Agent(agentId, owner, key, tokenTtlSeconds);
        }
    }

    /** A registered agent: its id and private key, and the calls it makes to the token endpoints. */
    public final class Agent {
        private final String id;
        private final String owner;
        private final ECKey key;
        private final int tokenTtlSeconds;

        private Agent(String id, String owner, ECKey key, int tokenTtlSeconds) {
            this.id = id;
            this.owner = owner;
            this.key = key;
            this.tokenTtlSeconds = tokenTtlSeconds;
        }

        public String id() {
            return id;
        }

        /** The same agent (id, key) talking to the issuer of {@code other}: another node of a cluster. */
        public Agent at(TestAgents other) {
            return other.new Agent(id, owner, key, tokenTtlSeconds);
        }

        public String owner() {
            return owner;
        }

        public int tokenTtlSeconds() {
            return tokenTtlSeconds;
        }

        /** The private key's {@code d} (base64url), so tests can look for it where it must not be. */
        public String privateKeyD() {
            return key.getD().toString();
        }

        /** A fresh RFC 7523 client assertion: iss = sub = agent id, aud = the issuer identifier, unique jti. */
        public String clientAssertion() {
            Instant now = clock.instant();
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .issuer(id)
                    .subject(id)
                    .audience(issuer.issuer())
                    .issueTime(Date.from(now))
                    .expirationTime(Date.from(now.plus(ASSERTION_LIFETIME)))
                    .jwtID(UUID.randomUUID().toString())
                    .build();
            try {
                ECDSASigner signer = new ECDSASigner(key);
                signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
                SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                        .keyID(key.getKeyID()).type(JOSEObjectType.JWT).build(), claims);
                jwt.sign(signer);
                return jwt.serialize();
            } catch (JOSEException e) {
                throw new IllegalStateException(e);
            }
        }

        private Map<String, String> authenticated(Map<String, String> params) {
            Map<String, String> form = new LinkedHashMap<>(params);
            form.put("client_assertion_type", JWT_BEARER);
            form.put("client_assertion", clientAssertion());
            return form;
        }

        /** client_credentials grant; scope and audience may be null. */
        public HttpResult clientCredentials(String scope, String audience) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", "client_credentials");
            form.put("scope", scope);
            form.put("audience", audience);
            return http.postForm(issuer.tokenEndpoint(), authenticated(form), null);
        }

        /** RFC 8693 token exchange of an access token; scope and audience may be null. */
        public HttpResult exchange(String subjectToken, String scope, String audience) {
            return http.postForm(issuer.tokenEndpoint(), exchangeForm(subjectToken, scope, audience), null);
        }

        /** The form of a token exchange, with a fresh client assertion (for timing the call alone). */
        public Map<String, String> exchangeForm(String subjectToken, String scope, String audience) {
            Map<String, String> form = new LinkedHashMap<>();
            form.put("grant_type", TOKEN_EXCHANGE);
            form.put("subject_token", subjectToken);
            form.put("subject_token_type", ACCESS_TOKEN_TYPE);
            form.put("scope", scope);
            form.put("audience", audience);
            return authenticated(form);
        }

        /** client_credentials that must succeed; returns the access token. */
        public String token(String scope, String audience) {
            return TokenResponse.of(clientCredentials(scope, audience)).accessToken();
        }

        /** A token exchange that must succeed; returns the access token. */
        public String exchanged(String subjectToken, String scope, String audience) {
            return TokenResponse.of(exchange(subjectToken, scope, audience)).accessToken();
        }

        public HttpResult introspect(String token) {
            return http.postForm(issuer.introspectionEndpoint(), authenticated(Map.of("token", token)), null);
        }

        public HttpResult revoke(String token) {
            return http.postForm(issuer.revocationEndpoint(), authenticated(Map.of("token", token)), null);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    // ---- admin calls -------------------------------------------------------------------------

    public HttpResult adminIntrospect(String token) {
        return http.postForm(issuer.introspectionEndpoint(), Map.of("token", token), issuer.adminToken());
    }

    /** True when the admin introspection says the token is active; fails on anything but 200. */
    public boolean isActive(String token) {
        Object active = adminIntrospect(token).expect(200).json().get("active");
        if (!(active instanceof Boolean)) {
            throw new AssertionError("introspection has no boolean 'active'");
        }
        return (Boolean) active;
    }

    public HttpResult adminRevoke(String token) {
        return http.postForm(issuer.revocationEndpoint(), Map.of("token", token), issuer.adminToken());
    }

    public HttpResult kill(String agentId) {
        return http.postJson(issuer.admin("/admin/agents/" + agentId + "/kill"), Map.of(), issuer.adminToken());
    }

    public HttpResult restore(String agentId) {
        return http.postJson(issuer.admin("/admin/agents/" + agentId + "/restore"), Map.of(), issuer.adminToken());
    }

    public HttpResult getAgent(String agentId) {
        return http.get(issuer.admin("/admin/agents/" + agentId), issuer.adminToken());
    }

    /** GET /admin/agents → the "agents" array. */
    public List<Map<String, Object>> listAgents() {
        Object agents = http.get(issuer.admin("/admin/agents"), issuer.adminToken()).expect(200).json().get("agents");
        if (!(agents instanceof List)) {
            throw new AssertionError("GET /admin/agents has no 'agents' array");
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object agent : (List<?>) agents) {
            @SuppressWarnings("unchecked")
            Map<String, Object> record = (Map<String, Object>) agent;
            out.add(record);
        }
        return out;
    }

    public HttpResult rotateKeys(int activateInSeconds) {
        return http.postJson(issuer.admin("/admin/keys/rotate"), Map.of("activate_in_seconds", activateInSeconds),
                issuer.adminToken());
    }
}
