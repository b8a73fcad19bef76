package dev.agentid.agentctl;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** Fixture factory: agents with fresh ids and keys, and their registrations as the admin API takes them. */
final class TestAgents {

    static final String API = "https://api.example";
    static final String BANK = "https://bank.example";
    private static final AtomicInteger SEQ = new AtomicInteger();

    private TestAgents() {
    }

    record Agent(String id, ECKey key, JsonObject registration) {
    }

    static String freshId(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Agent agent(String prefix) {
        return agent(prefix, List.of());
    }

    static Agent agent(String prefix, List<String> delegates) {
        String id = freshId(prefix);
        ECKey key;
        try {
            key = new ECKeyGenerator(Curve.P_256).keyID(id + "-key").generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        JsonObject registration = new JsonObject()
                .put("agent_id", id)
                .put("owner", "user:alice")
                .put("jwks", new JsonObject(new JWKSet(key.toPublicJWK()).toString(true)))
                .put("scopes", new JsonArray().add("read").add("write"))
                .put("audiences", new JsonArray().add(API).add(BANK))
                .put("delegates", new JsonArray(delegates))
                .put("token_ttl_seconds", 600);
        return new Agent(id, key, registration);
    }
}
