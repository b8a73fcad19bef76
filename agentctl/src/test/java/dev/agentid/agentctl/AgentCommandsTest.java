package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static dev.agentid.agentctl.TestAgents.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inventory commands against a real issuer (in-process, port 0): register (JSON and YAML), list, show, patch, kill,
 * restore, deregister; each asserts the output, the exit code and the effect on the issuer (a second command reads it
 * back). The refusals: the issuer's 4xx (exit 1, its OAuth error on stderr), unknown agent (3), bad file and usage (2),
 * wrong or missing token (1, 2), unreachable issuer (4).
 */
class AgentCommandsTest {

    @TempDir
    static Path dir;
    static InProcessIssuer issuer;
    static Cli cli;

    @BeforeAll
    static void start() {
        issuer = InProcessIssuer.start(dir.resolve("data"));
        cli = new Cli(issuer);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    static TestAgents.Agent registered() throws IOException {
        TestAgents.Agent a = agent("inv");
        Path file = dir.resolve(a.id() + ".json");
        Files.writeString(file, a.registration().encodePrettily());
        Cli.Run r = cli.ctl("register", "-f", file.toString(), "-o", "json");
        assertEquals(0, r.code(), r.toString());
        return a;
    }

    static JsonObject show(String id) {
        Cli.Run r = cli.ctl("show", id, "-o", "json");
        assertEquals(0, r.code(), r.toString());
        return r.json();
    }

    @Test
    void registerFromJsonPrintsTheAgentAndShowAndListFindIt() throws IOException {
        TestAgents.Agent a = agent("planner");
        Path file = dir.resolve("planner.json");
        Files.writeString(file, a.registration().encodePrettily());

        Cli.Run r = cli.ctl("register", "-f", file.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().matches("(?s)agent_id\\s+" + a.id() + "\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\nstatus\\s+active\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\njwks\\s+kids " + a.id() + "-key\n.*"), "a JWK set shows as its kids: "
                + r.out());
        assertEquals("", r.err());

        JsonObject shown = show(a.id());
        assertEquals(a.id(), shown.getString("agent_id"));
        assertEquals("active", shown.getString("status"));
        assertEquals(new JsonArray().add("read").add("write"), shown.getJsonArray("scopes"));
        assertEquals(0L, shown.getLong("live_tokens"));

        Cli.Run table = cli.ctl("list");
        assertEquals(0, table.code(), table.toString());
        String[] lines = table.out().split("\n");
        assertTrue(lines[0].matches("AGENT_ID\\s+OWNER\\s+STATUS\\s+LIVE_TOKENS\\s+SCOPES\\s+AUDIENCES\\s+DELEGATES"),
                lines[0]);
        String row = java.util.Arrays.stream(lines).filter(l -> l.startsWith(a.id() + " ")).findFirst().orElseThrow();
        assertTrue(row.matches(a.id() + "\\s+user:alice\\s+active\\s+0\\s+read,write\\s+"
                + "https://api.example,https://bank.example\\s+-"), row);
        int column = lines[0].indexOf("OWNER");
        assertEquals("user:alice", row.substring(column, column + "user:alice".length()), "columns are aligned");

        Cli.Run json = cli.ctl("list", "-o", "json");
        assertEquals(0, json.code(), json.toString());
        assertTrue(json.json().getJsonArray("agents").stream()
                .anyMatch(x -> a.id().equals(((JsonObject) x).getString("agent_id"))), json.out());
    }

    @Test
    void registerFromYamlTakesTheSameFields() throws IOException {
        TestAgents.Agent a = agent("yaml");
        JsonObject jwk = a.registration().getJsonObject("jwks").getJsonArray("keys").getJsonObject(0);
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, String.join("\n",
                "# a registration in YAML",
                "agent_id: " + a.id(),
                "owner: team:research",
                "jwks:",
                "  keys:",
                "    - kty: EC",
                "      crv: P-256",
                "      kid: " + jwk.getString("kid"),
                "      x: " + jwk.getString("x"),
                "      y: " + jwk.getString("y"),
                "scopes: [read]",
                "audiences:",
                "  - https://api.example",
                "max_delegation_depth: 2",
                "token_ttl_seconds: 120",
                "dpop_bound_access_tokens: false",
                ""));
        Cli.Run r = cli.ctl("register", "-f", file.toString(), "-o", "json");
        assertEquals(0, r.code(), r.toString());
        assertEquals(a.id(), r.json().getString("agent_id"));

        JsonObject shown = show(a.id());
        assertEquals("team:research", shown.getString("owner"));
        assertEquals(new JsonArray().add("read"), shown.getJsonArray("scopes"));
        assertEquals(2, shown.getInteger("max_delegation_depth"));
        assertEquals(120, shown.getInteger("token_ttl_seconds"));
    }

    @Test
    void registerAndPatchReadStdinForDash() {
        TestAgents.Agent a = agent("stdin");
        Cli.Run r = cli.ctlWithStdin(a.registration().encode(), "register", "-f", "-", "-o", "json");
        assertEquals(0, r.code(), r.toString());
        assertEquals(a.id(), r.json().getString("agent_id"));

        Cli.Run patch = cli.ctlWithStdin("owner: team:platform\n", "patch", a.id(), "-f", "-");
        assertEquals(0, patch.code(), patch.toString());
        assertEquals("team:platform", show(a.id()).getString("owner"));
    }

    @Test
    void listFiltersByStatusAndOwner() throws IOException {
        TestAgents.Agent live = registered();
        TestAgents.Agent killed = registered();
        assertEquals(0, cli.ctl("kill", killed.id(), "--reason", "test").code());

        Cli.Run r = cli.ctl("list", "--status", "killed", "-o", "json");
        assertEquals(0, r.code(), r.toString());
        JsonArray agents = r.json().getJsonArray("agents");
        assertTrue(agents.stream().anyMatch(x -> killed.id().equals(((JsonObject) x).getString("agent_id"))));
        assertTrue(agents.stream().allMatch(x -> "killed".equals(((JsonObject) x).getString("status"))));
        assertFalse(r.out().contains(live.id()));

        Cli.Run none = cli.ctl("list", "--owner", "user:nobody");
        assertEquals(0, none.code(), none.toString());
        assertEquals(1, none.out().split("\n").length, "only the heading: " + none.out());
    }

    @Test
    void patchWithSetChangesTheRegistration() throws IOException {
        TestAgents.Agent a = registered();
        Cli.Run r = cli.ctl("patch", a.id(), "--set", "token_ttl_seconds=120", "--set", "owner=user:bob",
                "--set", "scopes=[\"read\"]", "-o", "json");
        assertEquals(0, r.code(), r.toString());
        assertEquals(120, r.json().getInteger("token_ttl_seconds"));

        JsonObject shown = show(a.id());
        assertEquals("user:bob", shown.getString("owner"));
        assertEquals(120, shown.getInteger("token_ttl_seconds"));
        assertEquals(new JsonArray().add("read"), shown.getJsonArray("scopes"));
    }

    @Test
    void patchFromAYamlFileWithANestedSetAndNullRemovesAField() throws IOException {
        TestAgents.Agent a = registered();
        Path file = dir.resolve("patch-" + a.id() + ".yml");
        Files.writeString(file, "audiences: [https://api.example]\ndelegates: []\n");
        Cli.Run r = cli.ctl("patch", a.id(), "-f", file.toString(), "--set", "attestation.required=false",
                "--set", "token_ttl_seconds=null");
        assertEquals(0, r.code(), r.toString());

        JsonObject shown = show(a.id());
        assertEquals(new JsonArray().add("https://api.example"), shown.getJsonArray("audiences"));
        assertEquals(300, shown.getInteger("token_ttl_seconds"), "null removed it: the issuer's default");
    }

    @Test
    void patchThatTheIssuerRefusesExitsOneWithTheField() throws IOException {
        TestAgents.Agent a = registered();
        Cli.Run r = cli.ctl("patch", a.id(), "--set", "scopes=[]");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: invalid_request: scopes must not be empty (field scopes)"), r.err());
        assertEquals("", r.out());
        assertEquals(new JsonArray().add("read").add("write"), show(a.id()).getJsonArray("scopes"), "unchanged");

        Cli.Run nothing = cli.ctl("patch", a.id());
        assertEquals(2, nothing.code(), nothing.toString());
        assertTrue(nothing.err().contains("give -f FILE or at least one --set"), nothing.err());
    }

    @Test
    void killThenRestoreThenDeregisterEachChangeTheStatusAndRecordTheReason() throws IOException {
        TestAgents.Agent a = registered();

        Cli.Run kill = cli.ctl("kill", a.id(), "--reason", "key leaked in CI logs");
        assertEquals(0, kill.code(), kill.toString());
        assertTrue(kill.out().matches("(?s).*\nstatus\\s+killed\n.*"), kill.out());
        JsonObject killed = show(a.id());
        assertEquals("killed", killed.getString("status"));
        assertTrue(killed.containsKey("last_killed_at"));

        Cli.Run audit = cli.ctl("audit", "query", "--agent", a.id(), "--type", "agent.killed", "-o", "json");
        assertEquals(0, audit.code(), audit.toString());
        JsonArray events = audit.json().getJsonArray("events");
        assertEquals(1, events.size(), audit.out());
        assertEquals("key leaked in CI logs", events.getJsonObject(0).getJsonObject("fields").getString("reason"));

        Cli.Run restore = cli.ctl("restore", a.id(), "--reason", "key rotated");
        assertEquals(0, restore.code(), restore.toString());
        assertEquals("active", show(a.id()).getString("status"));

        Cli.Run deregister = cli.ctl("deregister", a.id(), "--reason", "project ended", "-o", "json");
        assertEquals(0, deregister.code(), deregister.toString());
        assertEquals("deregistered", deregister.json().getString("status"));
        assertEquals("deregistered", show(a.id()).getString("status"));

        Cli.Run again = cli.ctl("deregister", a.id());
        assertEquals(0, again.code(), "deregistration is idempotent: " + again);

        Cli.Run restoreDeregistered = cli.ctl("restore", a.id(), "--reason", "oops");
        assertEquals(1, restoreDeregistered.code(), restoreDeregistered.toString());
        assertTrue(restoreDeregistered.err().startsWith("agentctl: agent_deregistered: agent '" + a.id()
                + "' is deregistered"), restoreDeregistered.err());
        assertTrue(restoreDeregistered.err().contains("-> 409]"), restoreDeregistered.err());
    }

    @Test
    void agentIdsWithColonsAndAtSignsAreAddressedInThePath() throws IOException {
        TestAgents.Agent a = agent("svc:billing@eu");
        Path file = dir.resolve("colon.json");
        Files.writeString(file, a.registration().encode());
        assertEquals(0, cli.ctl("register", "-f", file.toString()).code());
        assertEquals(a.id(), show(a.id()).getString("agent_id"));
        Cli.Run kill = cli.ctl("kill", a.id(), "--reason", "test");
        assertEquals(0, kill.code(), kill.toString());
        assertEquals("killed", show(a.id()).getString("status"));
    }

    @Test
    void registeringTheSameAgentTwiceExitsOneWithTheOAuthError() throws IOException {
        TestAgents.Agent a = registered();
        Path file = dir.resolve(a.id() + ".json");
        Cli.Run r = cli.ctl("register", "-f", file.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: agent_exists: agent '" + a.id() + "' is already registered"),
                r.err());
        assertEquals("", r.out());
    }

    @Test
    void aRegistrationTheIssuerRefusesExitsOne() throws IOException {
        TestAgents.Agent a = agent("no-owner");
        a.registration().remove("owner");
        Path file = dir.resolve("no-owner.json");
        Files.writeString(file, a.registration().encode());
        Cli.Run r = cli.ctl("register", "-f", file.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: invalid_request: owner must be a non-empty string (field owner)"),
                r.err());
        assertEquals(3, cli.ctl("show", a.id()).code(), "nothing was registered");
    }

    @Test
    void aFileThatIsMissingOrNotJsonOrYamlIsAUsageErrorAndNothingIsSent() throws IOException {
        Cli.Run missing = cli.ctl("register", "-f", dir.resolve("nope.json").toString());
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().contains("nope.json: cannot read it (NoSuchFileException)"), missing.err());

        Path badJson = dir.resolve("bad.json");
        Files.writeString(badJson, "{\"agent_id\": ");
        Cli.Run json = cli.ctl("register", "-f", badJson.toString());
        assertEquals(2, json.code(), json.toString());
        assertTrue(json.err().contains("bad.json: not valid JSON"), json.err());

        Path badYaml = dir.resolve("bad.yaml");
        Files.writeString(badYaml, "agent_id: [unclosed\n");
        Cli.Run yaml = cli.ctl("register", "-f", badYaml.toString());
        assertEquals(2, yaml.code(), yaml.toString());
        assertTrue(yaml.err().contains("bad.yaml: not valid YAML"), yaml.err());

        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "- a\n- b\n");
        Cli.Run notAnObject = cli.ctl("register", "-f", list.toString());
        assertEquals(2, notAnObject.code(), notAnObject.toString());
        assertTrue(notAnObject.err().contains("not a YAML mapping"), notAnObject.err());

        Path date = dir.resolve("date.yaml");
        Files.writeString(date, "agent_id: x\ncreated: 2026-12-01\n");
        Cli.Run timestamp = cli.ctl("register", "-f", date.toString());
        assertEquals(2, timestamp.code(), timestamp.toString());
        assertTrue(timestamp.err().contains("created: a YAML Date has no JSON form"), timestamp.err());
    }

    @Test
    void anUnknownAgentExitsThree() {
        for (String[] args : new String[][] {{"show", "ghost"}, {"kill", "ghost", "--reason", "x"},
                {"restore", "ghost", "--reason", "x"}, {"deregister", "ghost"},
                {"patch", "ghost", "--set", "owner=x"}}) {
            Cli.Run r = cli.ctl(args);
            assertEquals(3, r.code(), String.join(" ", args) + ": " + r);
            assertTrue(r.err().startsWith("agentctl: not_found: agent 'ghost' is not registered"), r.err());
        }
    }

    @Test
    void aWrongAdminTokenExitsOneAndTheTokenIsNeverPrinted() throws IOException {
        Path wrong = dir.resolve("wrong-token");
        Files.writeString(wrong, "not-the-admin-token-4711\n");
        Cli.Run r = Cli.raw(Map.of(), "list", "--issuer", issuer.url, "--token-file", wrong.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: invalid_token: admin bearer token required"), r.err());
        assertFalse(r.err().contains("4711") || r.out().contains("4711"));

        String real = Files.readString(issuer.adminTokenFile()).trim();
        Cli.Run viaEnv = Cli.raw(Map.of("AGENTID_ISSUER", issuer.url, "AGENTID_ADMIN_TOKEN", real), "list");
        assertEquals(0, viaEnv.code(), "$AGENTID_ISSUER and $AGENTID_ADMIN_TOKEN: " + viaEnv);
        assertFalse(viaEnv.out().contains(real) || viaEnv.err().contains(real));

        Cli.Run envWrong = Cli.raw(Map.of("AGENTID_ISSUER", issuer.url, "AGENTID_ADMIN_TOKEN", "wrong-4711"), "list");
        assertEquals(1, envWrong.code(), envWrong.toString());
        assertFalse(envWrong.err().contains("4711"));
    }

    @Test
    void noAdminTokenAnywhereIsAUsageError() {
        Cli.Run r = Cli.raw(Map.of(), "list", "--issuer", issuer.url, "--token-file",
                dir.resolve("missing-token").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("cannot read the token file"), r.err());
    }

    @Test
    void anIssuerThatDoesNotAnswerExitsFour() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        Cli.Run r = Cli.raw(Map.of(), "list", "--issuer", "http://127.0.0.1:" + closed, "--token-file",
                issuer.adminTokenFile().toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: cannot reach the issuer at http://127.0.0.1:" + closed), r.err());
    }

    @Test
    void usageErrorsExitTwo() {
        Cli.Run noReason = cli.ctl("kill", "someone");
        assertEquals(2, noReason.code(), noReason.toString());
        assertTrue(noReason.err().contains("Missing required option: '--reason=TEXT'"), noReason.err());

        assertEquals(2, Cli.raw(Map.of()).code(), "no command");
        assertEquals(2, Cli.raw(Map.of(), "frobnicate").code(), "unknown command");
        assertEquals(2, cli.ctl("list", "-o", "yaml").code(), "unknown output format");
        assertEquals(2, Cli.raw(Map.of(), "list", "--issuer", "ftp://x").code(), "not an http URL");
        assertEquals(2, cli.ctl("register").code(), "-f is required");
        Cli.Run status = cli.ctl("list", "--status", "sleeping");
        assertEquals(2, status.code(), status.toString());
        assertTrue(status.err().contains("expected one of [active, killed, deregistered]"), status.err());
    }
}
