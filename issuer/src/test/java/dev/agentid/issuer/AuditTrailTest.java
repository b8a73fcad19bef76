package dev.agentid.issuer;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.audit.AuditRecord;
import dev.agentid.issuer.audit.AuditVerifyCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every decision of the walk-through leaves an audit record (issue 14): issuance, refusal, revocation, kill and
 * restore, registration changes, key rotation; {@code GET /admin/audit} answers by agent, principal, lineage, type and
 * time, page by page, as JSON or JSON lines; the log verifies; and no token, key or secret is in it.
 */
class AuditTrailTest {

    @TempDir
    Path dir;

    private static String jti(String token) throws Exception {
        return SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
    }

    private static String logText(Path dataDir) throws Exception {
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dataDir.resolve("audit"))) {
            for (Path f : files.sorted().toList()) {
                all.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        return all.toString();
    }

    private static TestIssuer.Response audit(TestIssuer issuer, String query) {
        return issuer.admin("GET", "/admin/audit" + (query.isEmpty() ? "" : "?" + query), null);
    }

    /** The {@code agentid_key_file_checks} gauge of {@code /metrics}. */
    private static long keyFileChecks(TestIssuer issuer) {
        String body = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/metrics")).GET().build()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^agentid_key_file_checks ([0-9.E]+)$")
                .matcher(body);
        assertTrue(m.find(), "agentid_key_file_checks in /metrics");
        return (long) Double.parseDouble(m.group(1));
    }

    private static JsonArray events(TestIssuer issuer, String query) {
        TestIssuer.Response r = audit(issuer, query);
        assertEquals(200, r.status(), r.body());
        assertEquals("no-store", r.header("Cache-Control"));
        return r.json().getJsonArray("events");
    }

    private static List<String> types(JsonArray events) {
        List<String> types = new ArrayList<>();
        events.forEach(e -> types.add(((JsonObject) e).getString("type")));
        return types;
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void everyDecisionOfTheWalkThroughIsRecordedAndAnsweredByTheAdminApi() throws Exception {
        Instant start = Instant.now().minusSeconds(1);
        String tokenA;
        String tokenB;
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("audit-a").owner("alice").delegates("audit-b"));
            TestAgent b = issuer.register(agent("audit-b").owner("bob"));
            tokenA = issuer.tokenFor(a);
            assertTrue(logText(dir).contains("\"jti\":\"" + jti(tokenA) + "\""),
                    "the issuance record is on disk before the token response is sent");
            tokenB = issuer.exchanged(b, tokenA);
            TestIssuer.Response refused = issuer.clientCredentials(a, "scope", "not-granted");
            assertEquals(400, refused.status(), refused.body());
            assertEquals(200, issuer.revoke(a, tokenA).status());
            assertEquals(200, issuer.admin("POST", "/admin/agents/audit-b/kill",
                    new JsonObject().put("reason", "incident 42")).status());
            assertEquals(200, issuer.admin("POST", "/admin/agents/audit-b/restore", null).status());
            assertEquals(200, issuer.admin("PATCH", "/admin/agents/audit-a",
                    new JsonObject().put("token_ttl_seconds", 120)).status());
            assertEquals(200, issuer.admin("POST", "/admin/keys/rotate",
                    new JsonObject().put("activate_in_seconds", 0)).status());

            assertEquals(List.of("agent.registered", "agent.registered", "token.issued", "token.issued",
                            "token.refused", "token.revoked", "agent.killed", "agent.restored", "agent.updated",
                            "keys.rotated"),
                    types(events(issuer, "")).stream().filter(t -> !t.startsWith("audit.")).toList());

            JsonObject exchange = events(issuer, "type=token.issued&agent=audit-b").getJsonObject(0);
            JsonObject f = exchange.getJsonObject("fields");
            assertEquals("token-exchange", f.getString("grant"));
            assertEquals("audit-b", f.getString("agent"));
            assertEquals("bob", f.getString("owner"));
            assertEquals("alice", f.getString("principal"));
            assertEquals(new JsonArray().add(new JsonObject().put("iss", issuer.url).put("sub", "audit-b"))
                    .add(new JsonObject().put("iss", issuer.url).put("sub", "audit-a")), f.getJsonArray("chain"));
            assertEquals(jti(tokenB), f.getString("jti"));
            assertEquals(jti(tokenA), f.getString("parent_jti"));
            assertEquals(new JsonArray().add(jti(tokenA)), f.getJsonArray("anc"));
            assertEquals("bearer", f.getString("binding"));
            assertEquals(64, exchange.getString("hash").length());

            JsonObject refusal = events(issuer, "type=token.refused").getJsonObject(0).getJsonObject("fields");
            assertEquals("invalid_scope", refusal.getString("error"));
            assertEquals("audit-a", refusal.getString("agent"));
            assertEquals(true, refusal.getBoolean("authenticated"));
            assertEquals("client_credentials", refusal.getString("grant"));

            JsonObject kill = events(issuer, "type=agent.killed").getJsonObject(0).getJsonObject("fields");
            assertEquals("admin", kill.getString("by"));
            assertEquals("incident 42", kill.getString("reason"));
            JsonObject update = events(issuer, "type=agent.updated").getJsonObject(0).getJsonObject("fields");
            assertEquals(new JsonObject().put("token_ttl_seconds", new JsonObject().put("from", 600).put("to", 120)),
                    update.getJsonObject("changes"));
            JsonObject revoked = events(issuer, "type=token.revoked").getJsonObject(0).getJsonObject("fields");
            assertEquals(jti(tokenA), revoked.getString("jti"));
            assertEquals("audit-a", revoked.getString("by"));

            // the lineage of the child: itself, its parent, and the parent's revocation
            assertEquals(List.of("token.issued", "token.issued", "token.revoked"),
                    types(events(issuer, "lineage=" + q(jti(tokenB)))));
            assertEquals(3, events(issuer, "lineage=" + q(jti(tokenA))).size(), "the descendants too");
            // "which actions did agents take on behalf of alice since ..."
            assertEquals(List.of("token.issued", "token.issued", "token.revoked"),
                    types(events(issuer, "principal=alice&since=" + q(start.toString()))));
            assertEquals(0, events(issuer, "principal=alice&until=" + q(start.toString())).size());
            assertEquals(List.of("agent.registered", "token.issued", "agent.killed", "agent.restored"),
                    types(events(issuer, "agent=audit-b")));
            assertEquals(List.of("agent.registered", "agent.killed", "agent.restored"),
                    types(events(issuer, "type=agent&agent=audit-b")));
        }
        // the clean shutdown ended with a checkpoint; the log verifies against the data directory's keys
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(0, AuditVerifyCommand.run(List.of("--data-dir", dir.toString()), Map.of(), print, print),
                out.toString(StandardCharsets.UTF_8));
        String log = logText(dir);
        assertFalse(log.contains(tokenA) || log.contains(tokenB), "no token in the log");
        assertFalse(log.contains(TestIssuer.ADMIN_TOKEN), "no admin token in the log");
        assertFalse(log.contains("\"d\""), "no private key member in the log");
        assertFalse(log.contains("client_assertion"), "no client assertion in the log");
    }

    @Test
    void aRegistrationWithNestedSettingsIsRecordedWithItsKeyIdsOnly() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent.Builder builder = agent("nested-a");
            TestAgent a = builder.build();
            JsonObject registration = a.registration.copy()
                    .put("attestation", new JsonObject().put("required", false)
                            .put("models", new JsonArray().add("model-x")))
                    .put("acts_for", new JsonObject().put("users", new JsonArray().add("https://idp.example#alice")));
            TestIssuer.Response r = issuer.admin("POST", "/admin/agents", registration);
            assertEquals(201, r.status(), r.body());
            JsonObject changes = events(issuer, "type=agent.registered").getJsonObject(0).getJsonObject("fields")
                    .getJsonObject("changes");
            assertEquals(new JsonArray().add("model-x"), changes.getJsonObject("attestation").getJsonArray("models"));
            assertEquals(new JsonArray().add("https://idp.example#alice"),
                    changes.getJsonObject("acts_for").getJsonArray("users"));
            assertEquals(new JsonArray().add(a.key.getKeyID()), changes.getJsonArray("jwks_kids"));
            assertNull(changes.getValue("jwks"), "the JWK set itself is not recorded");
        }
    }

    @Test
    void aRotationWithKeysJarOnTheKeyFileIsRecordedWhenTheIssuerPicksItUp() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), 0,
                Map.of("ISSUER_KEYS_RELOAD_MILLIS", "100"))) {
            dev.agentid.keys.KeyRing ring = dev.agentid.keys.KeyStoreFile.in(dir).rotate(java.time.Clock.systemUTC(),
                    java.time.Duration.ofSeconds(120), java.time.Duration.ofHours(1), java.time.Duration.ofMinutes(1));
            String newKid = ring.keys().stream().max(java.util.Comparator.comparing(
                    dev.agentid.keys.ManagedKey::createdAt)).orElseThrow().privateJwk().getKeyID();
            JsonArray rotated = new JsonArray();
            for (int i = 0; i < 100 && rotated.isEmpty(); i++) {
                Thread.sleep(50);
                rotated = events(issuer, "type=keys.rotated");
            }
            assertEquals(1, rotated.size(), "recorded");
            long checked = keyFileChecks(issuer);
            for (int i = 0; i < 100 && keyFileChecks(issuer) < checked + 3; i++) {
                Thread.sleep(50);
            }
            assertTrue(keyFileChecks(issuer) >= checked + 3, "the watcher polled the unchanged file three more times");
            assertEquals(1, events(issuer, "type=keys.rotated").size(), "recorded once");
            JsonObject f = rotated.getJsonObject(0).getJsonObject("fields");
            assertEquals("key-file", f.getString("by"));
            assertEquals(newKid, f.getString("new_kid"));
        }
    }

    @Test
    void withPeersTheAnswerCoversEveryNodeMergedByTimeWithOneCursor(@TempDir Path otherNode) {
        TestIssuer b = TestIssuer.start(otherNode);
        boolean bRunning = true;
        try (TestIssuer a = TestIssuer.start(dir, new MutableClock(), 0, Map.of("ISSUER_AUDIT_PEERS", b.url + "/"))) {
            TestAgent x = a.register(agent("peer-x"));
            TestAgent y = b.register(agent("peer-y"));
            a.tokenFor(x);
            b.tokenFor(y);
            a.tokenFor(x);
            b.tokenFor(y);
            a.tokenFor(x);
            List<JsonObject> all = new ArrayList<>();
            String cursor = null;
            for (int page = 0; page < 10; page++) {
                TestIssuer.Response r = audit(a, "type=token.issued&limit=2"
                        + (cursor == null ? "" : "&cursor=" + q(cursor)));
                assertEquals(200, r.status(), r.body());
                r.json().getJsonArray("events").forEach(e -> all.add((JsonObject) e));
                cursor = r.json().getString("next_cursor");
                if (cursor == null) {
                    break;
                }
            }
            assertEquals(List.of("peer-x", "peer-y", "peer-x", "peer-y", "peer-x"),
                    all.stream().map(e -> e.getJsonObject("fields").getString("agent")).toList(),
                    "every node's records, merged by time, each once");
            assertEquals(3, events(a, "type=token.issued&scope=node").size(), "scope=node: this node alone");

            b.close();
            bRunning = false;
            TestIssuer.Response partial = audit(a, "type=token.issued");
            assertEquals(200, partial.status());
            assertEquals(3, partial.json().getJsonArray("events").size());
            assertEquals(b.url, partial.json().getJsonArray("unavailable").getJsonObject(0).getString("peer"));
        } finally {
            if (bRunning) {
                b.close();
            }
        }
    }

    @Test
    void aPeerThatIsNotAnHttpBaseUrlRefusesToStart() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> IssuerConfig.fromValues(Map.of("ISSUER_AUDIT_PEERS", "http://node-2:8080/admin")));
        assertTrue(e.getMessage().startsWith("ISSUER_AUDIT_PEERS: 'http://node-2:8080/admin' must be"), e.getMessage());
    }

    @Test
    void pagesFollowTheCursorWithoutOverlapAndJsonLinesAreTheLogLines() throws Exception {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("page-a"));
            for (int i = 0; i < 5; i++) {
                issuer.tokenFor(a);
            }
            TestIssuer.Response first = audit(issuer, "type=token.issued&limit=2");
            String cursor = first.json().getString("next_cursor");
            Set<String> seen = new HashSet<>();
            first.json().getJsonArray("events").forEach(e -> seen.add(((JsonObject) e).getString("hash")));
            TestIssuer.Response second = audit(issuer, "type=token.issued&limit=2&cursor=" + cursor);
            second.json().getJsonArray("events").forEach(e -> assertTrue(seen.add(((JsonObject) e)
                    .getString("hash"))));
            TestIssuer.Response third = audit(issuer, "type=token.issued&limit=2&cursor="
                    + second.json().getString("next_cursor"));
            assertEquals(1, third.json().getJsonArray("events").size());
            assertNull(third.json().getString("next_cursor"), "the last page has no cursor");

            TestIssuer.Response lines = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                            + "/admin/audit?type=token.issued&limit=3"))
                    .header("Authorization", "Bearer " + TestIssuer.ADMIN_TOKEN)
                    .header("Accept", "application/x-ndjson").build());
            assertEquals(200, lines.status());
            assertEquals("application/x-ndjson", lines.header("Content-Type"));
            String[] records = lines.body().split("\n");
            assertEquals(3, records.length);
            for (String line : records) {
                AuditRecord record = AuditRecord.parse(line);
                assertEquals(record.computedHash(), record.hash());
                assertTrue(logText(dir).contains(line + "\n"), "exactly the log's line");
            }
            assertEquals(lines.header("Audit-Next-Cursor"), Long.toString(AuditRecord.parse(records[2]).seq()));
            assertEquals(lines.body(), audit(issuer, "type=token.issued&limit=3&format=jsonl").body());
        }
    }

    @Test
    void auditQueriesNeedTheAdminTokenAndRefuseMalformedParameters() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestIssuer.Response anonymous = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url
                    + "/admin/audit")).build());
            assertEquals(401, anonymous.status());
            TestIssuer.Response since = audit(issuer, "since=yesterday");
            assertEquals(400, since.status());
            assertEquals("since", since.json().getString("field"));
            assertEquals(400, audit(issuer, "limit=0").status());
            assertEquals(400, audit(issuer, "colour=red").status());
            assertEquals(400, audit(issuer, "agent=a&agent=b").status());
            assertEquals("no-store", since.header("Cache-Control"));
        }
    }
}
