package dev.agentid.issuer.federation.idp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The {@code identity_providers} entries of the trust file. */
class IdentityProviderTest {

    static IllegalArgumentException refused(JsonObject entry) {
        return assertThrows(IllegalArgumentException.class,
                () -> IdentityProvider.parseAll(new JsonArray().add(entry)));
    }

    @Test
    void metadataUrlDefaultsToTheDiscoveryDocumentAndAudienceMayBeAList() {
        IdentityProvider idp = IdentityProvider.parseAll(new JsonArray().add(new JsonObject()
                .put("issuer", "https://idp.example").put("audience", new JsonArray().add("agentid").add("urn:x"))))
                .get(0);
        assertEquals(URI.create("https://idp.example/.well-known/openid-configuration"), idp.metadataUrl());
        assertEquals(List.of("agentid", "urn:x"), idp.audiences());
        assertEquals("https://idp.example#alice", idp.principal("alice"));
        assertEquals("https://idp.example#ops", idp.group("ops"));
    }

    @Test
    void parseWhenAudienceMissingThenRefused() {
        assertEquals("identity_providers[0].audience must be a non-empty string or array of strings",
                refused(new JsonObject().put("issuer", "https://idp.example")).getMessage());
    }

    @Test
    void parseWhenPlainHttpToARemoteHostThenRefused() {
        assertEquals("identity_providers[0].issuer must be an https URL (http only for a loopback host)",
                refused(new JsonObject().put("issuer", "http://idp.example").put("audience", "a")).getMessage());
    }

    @Test
    void parseWhenUnknownFieldThenRefused() {
        assertEquals("identity_providers[0]: unknown field 'client_secret'", refused(new JsonObject()
                .put("issuer", "https://idp.example").put("audience", "a").put("client_secret", "x")).getMessage());
    }

    @Test
    void parseWhenIssuerListedTwiceThenRefused() {
        JsonObject entry = new JsonObject().put("issuer", "https://idp.example").put("audience", "a");
        assertEquals("identity_providers: issuer 'https://idp.example' appears twice",
                assertThrows(IllegalArgumentException.class,
                        () -> IdentityProvider.parseAll(new JsonArray().add(entry).add(entry.copy()))).getMessage());
    }
}
