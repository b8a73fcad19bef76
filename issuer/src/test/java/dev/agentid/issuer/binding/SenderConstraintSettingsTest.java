package dev.agentid.issuer.binding;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The configuration of the TLS listener, and the agents' sender-constraint settings as registered and persisted. */
class SenderConstraintSettingsTest {

    @TempDir
    Path dir;

    @Test
    void withoutTlsVariablesThereIsNoTls() {
        assertNull(TlsSettings.fromValues(Map.of()));
    }

    @Test
    void certificateWithoutKeyIsRefused() {
        TlsFixture tls = new TlsFixture(dir, new MutableClock());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsSettings.fromValues(Map.of(TlsSettings.CERT, tls.serverCertFile.toString())));
        assertEquals("ISSUER_TLS_CERT and ISSUER_TLS_KEY must be set together", e.getMessage());
    }

    @Test
    void clientCaWithoutTlsIsRefused() {
        TlsFixture tls = new TlsFixture(dir, new MutableClock());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsSettings.fromValues(Map.of(TlsSettings.CLIENT_CA, tls.caFile.toString())));
        assertTrue(e.getMessage().startsWith("ISSUER_TLS_CLIENT_CA needs ISSUER_TLS_CERT and ISSUER_TLS_KEY"),
                e.getMessage());
    }

    @Test
    void unreadableFileIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsSettings.fromValues(
                Map.of(TlsSettings.CERT, dir.resolve("missing.pem").toString(), TlsSettings.KEY, "x")));
        assertTrue(e.getMessage().startsWith("ISSUER_TLS_CERT names a file that cannot be read"), e.getMessage());
    }

    @Test
    void clientCaThatIsNotACertificateIsRefused() {
        TlsFixture tls = new TlsFixture(dir, new MutableClock());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsSettings.fromValues(
                Map.of(TlsSettings.CERT, tls.serverCertFile.toString(), TlsSettings.KEY, tls.serverKeyFile.toString(),
                        TlsSettings.CLIENT_CA, tls.serverKeyFile.toString())));
        assertTrue(e.getMessage().startsWith("ISSUER_TLS_CLIENT_CA does not hold a PEM certificate"), e.getMessage());
    }

    @Test
    void tlsWithoutClientCaServesHttpsWithoutMutualTls() {
        TlsFixture tls = new TlsFixture(dir.resolve("tls"), new MutableClock());
        TlsSettings settings = TlsSettings.fromValues(Map.of(TlsSettings.CERT, tls.serverCertFile.toString(),
                TlsSettings.KEY, tls.serverKeyFile.toString()));
        assertFalse(settings.mutualTls());
        try (TestIssuer issuer = TestIssuer.start(Map.of(TlsSettings.CERT, tls.serverCertFile.toString(),
                TlsSettings.KEY, tls.serverKeyFile.toString()), new MutableClock(), dir.resolve("issuer"),
                tls.anonymousClient())) {
            JsonObject md = issuer.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(issuer.url
                    + "/.well-known/oauth-authorization-server")).GET().build()).json();
            assertTrue(issuer.url.startsWith("https://"));
            assertFalse(md.getJsonArray("token_endpoint_auth_methods_supported").contains("tls_client_auth"));
            assertFalse(md.containsKey("tls_client_certificate_bound_access_tokens"));
        }
    }

    @Test
    void senderConstraintSettingsSurviveARestart() {
        TestAgent a = agent("persisted").build();
        a.registration.put("dpop_bound_access_tokens", true)
                .put("tls_client_certificate_bound_access_tokens", true)
                .put("tls_client_auth_san_uri", "urn:agentid:agent:persisted");
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("issuer"))) {
            assertEquals(201, issuer.admin("POST", "/admin/agents", a.registration).status());
        }
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("issuer"))) {
            JsonObject json = issuer.admin("GET", "/admin/agents/persisted", null).json();
            assertEquals(true, json.getBoolean("dpop_bound_access_tokens"));
            assertEquals(true, json.getBoolean("tls_client_certificate_bound_access_tokens"));
            assertEquals("urn:agentid:agent:persisted", json.getString("tls_client_auth_san_uri"));
        }
    }

    @Test
    void registrationWithANonBooleanFlagIsRefused() {
        TestAgent a = agent("flag").build();
        a.registration.put("dpop_bound_access_tokens", "yes");
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("issuer"))) {
            TestIssuer.Response r = issuer.admin("POST", "/admin/agents", a.registration);
            assertEquals(new JsonObject().put("error", "invalid_request")
                    .put("error_description", "dpop_bound_access_tokens must be true or false")
                    .put("field", "dpop_bound_access_tokens"), r.json());
        }
    }
}
