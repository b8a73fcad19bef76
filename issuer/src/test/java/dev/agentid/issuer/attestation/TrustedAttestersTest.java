package dev.agentid.issuer.attestation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The attesters file: its format, its refusals, and reloading it when it changes. */
class TrustedAttestersTest {

    @TempDir
    Path dir;

    @Test
    void parsesJwksAndX509AttestersWithTheirAges() {
        TestAttester jwks = TestAttester.jwks("https://attester.example");
        TestAttester x509 = TestAttester.x509("https://tee.example", Instant.now());
        TrustedAttesters trusted = TrustedAttesters.parse(new JsonObject().put("max_age_seconds", 120)
                .put("pop_max_age_seconds", 30).put("attesters", new JsonArray().add(jwks.entry()).add(x509.entry()))
                .encode());
        assertEquals(Set.of("https://attester.example", "https://tee.example"), trusted.issuers());
        assertNotNull(trusted.attester("https://attester.example").jwks());
        assertEquals(1, trusted.attester("https://tee.example").roots().size());
        assertNull(trusted.attester("https://stranger.example"));
        assertEquals(Duration.ofSeconds(120), trusted.maxAge());
        assertEquals(Duration.ofSeconds(30), trusted.popMaxAge());
    }

    @Test
    void defaultsAreFiveMinutes() {
        TrustedAttesters trusted = TrustedAttesters.parse("{\"attesters\": []}");
        assertEquals(Duration.ofMinutes(5), trusted.maxAge());
        assertEquals(Duration.ofMinutes(5), trusted.popMaxAge());
    }

    @Test
    void refusesWhatItCannotTrustSafely() {
        JsonObject jwks = TestAttester.jwks("https://a.example").entry();
        JsonObject privateKey = new JsonObject().put("iss", "https://p.example").put("jwks", new JsonObject()
                .put("keys", new JsonArray().add(new JsonObject(TestAttester.newKey().toJSONObject()))));
        for (String bad : new String[] {
                "[]",
                "{}",
                "{\"attesters\": {}}",
                "{\"attesters\": [], \"max_age_seconds\": 0}",
                "{\"attesters\": [], \"max_age\": 10}",
                "{\"attesters\": [{\"jwks\": {\"keys\": []}}]}",
                "{\"attesters\": [{\"iss\": \"https://x.example\"}]}",
                "{\"attesters\": [{\"iss\": \"https://x.example\", \"x5c_roots\": [\"not pem\"]}]}",
                new JsonObject().put("attesters", new JsonArray().add(jwks).add(jwks)).encode(),
                new JsonObject().put("attesters", new JsonArray().add(jwks.copy().put("x5c_roots",
                        new JsonArray()))).encode(),
                new JsonObject().put("attesters", new JsonArray().add(privateKey)).encode()}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrustedAttesters.parse(bad), bad);
            assertFalse(e.getMessage().contains("\"d\""), "never echoes key material");
        }
    }

    @Test
    void aChangedFileIsReloadedAndABrokenEditKeepsThePreviousAttesters() throws Exception {
        Path file = dir.resolve("attesters.json");
        Files.writeString(file, TestAttester.file(300, TestAttester.jwks("https://one.example")));
        AttestersFile attesters = AttestersFile.load(file);
        assertEquals(Set.of("https://one.example"), attesters.get().issuers());
        assertFalse(attesters.reloadIfChanged(), "unchanged");

        Files.writeString(file, TestAttester.file(60, TestAttester.jwks("https://two.example"),
                TestAttester.jwks("https://three.example")));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
        assertTrue(attesters.reloadIfChanged());
        assertEquals(Set.of("https://two.example", "https://three.example"), attesters.get().issuers());
        assertEquals(Duration.ofSeconds(60), attesters.get().maxAge());

        Files.writeString(file, "{ broken");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertFalse(attesters.reloadIfChanged());
        assertEquals(Set.of("https://two.example", "https://three.example"), attesters.get().issuers());
    }

    @Test
    void anUnreadableFileStopsTheStart() {
        assertThrows(IllegalArgumentException.class, () -> AttestersFile.load(dir.resolve("missing.json")));
    }
}
