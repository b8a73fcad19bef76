package dev.agentid.issuer;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.AgentTokenVerifier;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 8414 metadata, the JWKS, first-start key and admin-token files, and rotation without failures. */
class MetadataAndKeysTest {

    @TempDir
    Path dir;

    static TestIssuer.Response get(TestIssuer issuer, String path) {
        return issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + path)).GET().build());
    }

    @Test
    void metadataAdvertisesExactlyWhatIsServed() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestIssuer.Response r = get(issuer, "/.well-known/oauth-authorization-server");
            assertEquals(200, r.status());
            JsonObject md = r.json();
            assertEquals(issuer.url, md.getString("issuer"));
            assertEquals(issuer.url + "/oauth2/token", md.getString("token_endpoint"));
            assertEquals(issuer.url + "/oauth2/jwks", md.getString("jwks_uri"));
            assertEquals(issuer.url + "/oauth2/introspect", md.getString("introspection_endpoint"));
            assertEquals(issuer.url + "/oauth2/revoke", md.getString("revocation_endpoint"));
            assertEquals(new JsonArray().add("client_credentials").add("urn:ietf:params:oauth:grant-type:token-exchange")
                    .add("urn:openid:params:grant-type:ciba"), md.getJsonArray("grant_types_supported"));
            assertEquals(issuer.url + "/oauth2/bc-authorize", md.getString("backchannel_authentication_endpoint"));
            assertEquals(new JsonArray().add("poll"), md.getJsonArray("backchannel_token_delivery_modes_supported"));
            assertEquals(new JsonArray().add("private_key_jwt"), md.getJsonArray("token_endpoint_auth_methods_supported"));
            assertEquals(new JsonArray().add("ES256"), md.getJsonArray("token_endpoint_auth_signing_alg_values_supported"));
            assertEquals(new JsonArray(), md.getJsonArray("response_types_supported"));
            assertFalse(md.containsKey("authorization_endpoint"));
        }
    }

    @Test
    void jwksServesPublicKeysOnlyWithCacheControl() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestIssuer.Response r = get(issuer, "/oauth2/jwks");
            assertEquals(200, r.status());
            assertEquals("public, max-age=60", r.header("Cache-Control"));
            JWKSet set = JWKSet.parse(r.body());
            assertEquals(1, set.getKeys().size());
            assertFalse(set.getKeys().get(0).isPrivate());
            assertFalse(r.body().contains("\"d\""));
        }
    }

    @Test
    void firstStartCreatesPrivateKeyAndAdminTokenFiles() throws Exception {
        java.util.Map<String, String> values = new java.util.HashMap<>();
        values.put("ISSUER_PORT", "0");
        values.put("ISSUER_DATA_DIR", dir.toString());
        try (IssuerServer server = IssuerServer.start(IssuerConfig.fromValues(values), new MutableClock())) {
            Path token = dir.resolve("admin-token");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(token)));
            assertEquals(Files.readString(token).trim(), server.adminToken());
            assertTrue(server.adminToken().length() >= 32);
            Path keys = dir.resolve("keys").resolve("signing-keys.json");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keys)));
            assertEquals(Integer.toString(server.port()), Files.readString(dir.resolve("issuer.port")));
        }
    }

    @Test
    void rotationPublishesBeforeSigningAndOldTokensKeepVerifying() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("rot-a").ttl(900));
            AgentTokenVerifier verifier = AgentTokenVerifier.builder()
                    .trustIssuer(issuer.url, URI.create(issuer.url + "/oauth2/jwks").toURL())
                    .audience("https://api.example").clock(issuer.clock).build();
            String before = issuer.tokenFor(a);
            String oldKid = SignedJWT.parse(before).getHeader().getKeyID();

            TestIssuer.Response rotated = issuer.admin("POST", "/admin/keys/rotate",
                    new JsonObject().put("activate_in_seconds", 90));
            assertEquals(200, rotated.status(), rotated.body());
            assertEquals(oldKid, rotated.json().getString("signing_kid"), "the new key does not sign yet");
            JWKSet published = JWKSet.parse(get(issuer, "/oauth2/jwks").body());
            assertEquals(2, published.getKeys().size(), "the new key is published before it signs");
            String pending = published.getKeys().stream().map(k -> k.getKeyID()).filter(k -> !k.equals(oldKid))
                    .findFirst().orElseThrow();
            assertEquals(oldKid, SignedJWT.parse(issuer.tokenFor(a)).getHeader().getKeyID());

            issuer.clock.advance(Duration.ofSeconds(91));
            String after = issuer.tokenFor(a);
            assertEquals(pending, SignedJWT.parse(after).getHeader().getKeyID());
            assertNotEquals(oldKid, pending);
            verifier.verify(before);
            verifier.verify(after);
            assertTrue(issuer.introspect(before).getBoolean("active"));
            assertTrue(issuer.introspect(after).getBoolean("active"));
            assertEquals(2, JWKSet.parse(get(issuer, "/oauth2/jwks").body()).getKeys().size(),
                    "the retired key stays published while its tokens live");
        }
    }

    @Test
    void aRotationByTheCliIsPickedUpWithoutARestart() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), 0,
                Map.of("ISSUER_KEYS_RELOAD_MILLIS", "100"))) {
            TestAgent a = issuer.register(agent("cli-a"));
            String oldKid = SignedJWT.parse(issuer.tokenFor(a)).getHeader().getKeyID();
            dev.agentid.keys.KeyStoreFile.in(dir).rotate(java.time.Clock.systemUTC(), Duration.ZERO,
                    Duration.ofHours(1), Duration.ofSeconds(60));
            String kid = oldKid;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (kid.equals(oldKid) && System.nanoTime() < deadline) {
                kid = SignedJWT.parse(issuer.tokenFor(a)).getHeader().getKeyID();
            }
            assertNotEquals(oldKid, kid, "the issuer signs with the rotated key");
        }
    }
}
