package dev.agentid.issuer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/** A test agent: its key and its registration, with client assertions on demand. */
public final class TestAgent {

    public final String id;
    public final ECKey key;
    public final JsonObject registration;

    private TestAgent(String id, ECKey key, JsonObject registration) {
        this.id = id;
        this.key = key;
        this.registration = registration;
    }

    public static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A pre-filled registration builder (TestAgents style). */
    public static Builder agent(String id) {
        return new Builder(id);
    }

    /** A valid client assertion for the issuer. */
    public String assertion(String audience) {
        return assertion(new JWTClaimsSet.Builder()
                .issuer(id).subject(id).audience(audience)
                .expirationTime(Date.from(Instant.now().plusSeconds(60)))
                .issueTime(new Date())
                .jwtID(UUID.randomUUID().toString())
                .build(), key);
    }

    public static String assertion(JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static final class Builder {
        private final String id;
        private String owner = "user:alice";
        private List<String> scopes = List.of("read", "write", "admin");
        private List<String> audiences = List.of("https://api.example");
        private List<String> delegates = List.of();
        private int maxDepth = 5;
        private int ttl = 600;
        private final ECKey key = newKey();

        private Builder(String id) {
            this.id = id;
        }

        public Builder owner(String owner) {
            this.owner = owner;
            return this;
        }

        public Builder scopes(String... scopes) {
            this.scopes = List.of(scopes);
            return this;
        }

        public Builder audiences(String... audiences) {
            this.audiences = List.of(audiences);
            return this;
        }

        public Builder delegates(String... delegates) {
            this.delegates = List.of(delegates);
            return this;
        }

        public Builder maxDepth(int depth) {
            this.maxDepth = depth;
            return this;
        }

        public Builder ttl(int seconds) {
            this.ttl = seconds;
            return this;
        }

        public TestAgent build() {
            JsonObject registration = new JsonObject()
                    .put("agent_id", id)
                    .put("owner", owner)
                    .put("jwks", new JsonObject().put("keys", new JsonArray().add(
                            new JsonObject(key.toPublicJWK().toJSONObject()))))
                    .put("scopes", new JsonArray(scopes))
                    .put("audiences", new JsonArray(audiences))
                    .put("delegates", new JsonArray(delegates))
                    .put("max_delegation_depth", maxDepth)
                    .put("token_ttl_seconds", ttl);
            return new TestAgent(id, key, registration);
        }
    }

    public Duration ttl() {
        return Duration.ofSeconds(registration.getInteger("token_ttl_seconds"));
    }
}
