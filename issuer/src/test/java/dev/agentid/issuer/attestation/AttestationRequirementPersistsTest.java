package dev.agentid.issuer.attestation;

import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The attestation requirement and pins are persisted (ProtoStream fields 13–16) and enforced after a restart. */
class AttestationRequirementPersistsTest {

    @TempDir
    Path dir;

    @Test
    void requirementAndPinsSurviveARestart() throws Exception {
        TestAttester attester = TestAttester.jwks("https://attester.example");
        Path file = dir.resolve("attesters.json");
        Files.writeString(file, TestAttester.file(300, attester));
        Map<String, String> extra = Map.of("ISSUER_ATTESTERS_FILE", file.toString());
        TestAgent a = agent("persisted").build();
        JsonObject requirement = new JsonObject().put("required", true)
                .put("digests", new JsonArray().add(TestAttester.DIGEST_A)).put("models", new JsonArray())
                .put("runtimes", new JsonArray().add("python-3.12"));
        a.registration.put("attestation", requirement);
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0, extra)) {
            assertEquals(201, issuer.admin("POST", "/admin/agents", a.registration).status());
        }
        try (TestIssuer issuer = TestIssuer.start(dir.resolve("data"), new MutableClock(), 0, extra)) {
            assertEquals(requirement, issuer.admin("GET", "/admin/agents/persisted", null).json()
                    .getJsonObject("attestation"));
            TestIssuer.Response missing = issuer.clientCredentials(a);
            RefusalTable.assertRow(missing, "A01", "agent", a.id);
            Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(issuer.url + "/oauth2/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params)));
            attester.attest(a.id, issuer.clock.instant()).workload("runtime", "node-22").headers(issuer.url).asMap()
                    .forEach(request::header);
            RefusalTable.assertRow(issuer.send(request.build()), "A08", "measurement", "runtime", "agent", a.id);
        }
    }
}
