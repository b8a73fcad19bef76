package dev.agentid.agentctl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.agentid.agentctl.TestAgents.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operations commands against a real issuer (in-process, port 0): approvals (list, show, approve, deny), audit
 * query, audit verify (the issuer's own verifier as a process, on the live log and on a tampered copy), review (list,
 * recertify), keys rotate, alerts, completion and --help; each with its refusals and exit codes.
 */
class OperationsCommandsTest {

    static final String ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";

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

    static void register(TestAgents.Agent a) throws IOException {
        Path file = dir.resolve(a.id() + ".json");
        Files.writeString(file, a.registration().encode());
        Cli.Run r = cli.ctl("register", "-f", file.toString());
        assertEquals(0, r.code(), r.toString());
    }

    /**
     * A request held for approval: A (no policy) gets a token, C, A's delegate, whose tokens for the bank need a
     * human's approval, asks the backchannel endpoint to exchange it for the bank. Returns the auth_req_id.
     */
    static String pendingRequest() throws IOException {
        TestAgents.Agent c = agent("c");
        c.registration().put("approval", new JsonObject()
                .put("audiences", new JsonArray().add(TestAgents.BANK))
                .put("approvers", new JsonObject().put("users", new JsonArray().add("https://idp.example#bob"))));
        register(c);
        TestAgents.Agent a = agent("a", List.of(c.id()));
        register(a);
        InProcessIssuer.Answer token = issuer.form("/oauth2/token",
                issuer.as(a, "grant_type", "client_credentials", "scope", "read", "audience", TestAgents.BANK));
        assertEquals(200, token.status(), token.json().encode());
        InProcessIssuer.Answer held = issuer.form("/oauth2/bc-authorize", issuer.as(c,
                "subject_token", token.json().getString("access_token"), "subject_token_type", ACCESS_TOKEN,
                "audience", TestAgents.BANK, "scope", "read"));
        assertEquals(200, held.status(), held.json().encode());
        return held.json().getString("auth_req_id");
    }

    // ---- approvals ----

    /** An id that begins with '-' (issuers before 2026-12-07 drew one in 64 so) is given after "--". */
    @Test
    void anIdThatBeginsWithADashIsGivenAfterTheEndOfOptions() {
        Cli.Run show = Cli.raw(java.util.Map.of(), "approvals", "show", "--issuer", issuer.url, "--token-file",
                issuer.adminTokenFile().toString(), "-o", "json", "--", "-oAAAAAAAAAAAAAAAAAAAAA");
        assertEquals(3, show.code(), show.toString());   // not found: the id reached the issuer whole
        assertTrue(show.err().startsWith("agentctl: not_found: no approval request '-oAAAAAAAAAAAAAAAAAAAAA'"),
                show.err());
    }

    @Test
    void approvalsListShowsThePendingRequestAndApproveDecidesIt() throws IOException {
        String id = pendingRequest();

        Cli.Run list = cli.ctl("approvals", "list");
        assertEquals(0, list.code(), list.toString());
        String[] lines = list.out().split("\n");
        assertTrue(lines[0].matches("ID\\s+STATE\\s+AGENT\\s+PRINCIPAL\\s+SCOPES\\s+AUDIENCE\\s+REASONS\\s+EXPIRES_AT"),
                lines[0]);
        String row = Arrays.stream(lines).filter(l -> l.startsWith(id + " ")).findFirst().orElseThrow(
                () -> new AssertionError(list.out()));
        assertTrue(row.matches(id + "\\s+pending\\s+c-.*\\s+read\\s+" + TestAgents.BANK + "\\s+.*"), row);

        Cli.Run json = cli.ctl("approvals", "list", "-o", "json");
        assertEquals(0, json.code(), json.toString());
        assertTrue(json.json().getJsonArray("approvals").stream()
                .anyMatch(x -> id.equals(((JsonObject) x).getString("id"))), json.out());

        Cli.Run show = cli.ctl("approvals", "show", id, "-o", "json");
        assertEquals(0, show.code(), show.toString());
        assertEquals("pending", show.json().getString("state"));
        assertEquals(2, show.json().getJsonArray("chain").size(), "A over C: " + show.out());

        Cli.Run approve = cli.ctl("approvals", "approve", id, "-o", "json");
        assertEquals(0, approve.code(), approve.toString());
        assertEquals("approved", approve.json().getString("state"));
        assertEquals("break-glass:admin", approve.json().getString("approver"));

        assertEquals("approved", cli.ctl("approvals", "show", id, "-o", "json").json().getString("state"));
        Cli.Run after = cli.ctl("approvals", "list");
        assertFalse(after.out().contains(id), "no longer pending: " + after.out());

        Cli.Run again = cli.ctl("approvals", "deny", id);
        assertEquals(1, again.code(), again.toString());
        assertTrue(again.err().startsWith("agentctl: approval_not_pending: "), again.err());
    }

    @Test
    void approvalsDenyDecidesTheRequestAndAnUnknownIdExitsThree() throws IOException {
        String id = pendingRequest();
        Cli.Run deny = cli.ctl("approvals", "deny", id, "--reason", "not during the freeze");
        assertEquals(0, deny.code(), deny.toString());
        assertTrue(deny.out().matches("(?s).*\nstate\\s+denied\n.*"), deny.out());
        assertEquals("denied", cli.ctl("approvals", "show", id, "-o", "json").json().getString("state"));

        Cli.Run audit = cli.ctl("audit", "query", "--type", "approval", "-o", "json");
        assertEquals(0, audit.code(), audit.toString());
        assertTrue(audit.json().getJsonArray("events").stream().map(e -> (JsonObject) e)
                .anyMatch(e -> e.getString("type").equals("approval.denied")
                        && "not during the freeze".equals(e.getJsonObject("fields").getString("decision_reason"))),
                audit.out());

        Cli.Run unknown = cli.ctl("approvals", "approve", "no-such-request");
        assertEquals(3, unknown.code(), unknown.toString());
        assertEquals(3, cli.ctl("approvals", "show", "no-such-request").code());
    }

    @Test
    void anApproverTokenThatIsNotAnIdTokenIsRefused() throws IOException {
        String id = pendingRequest();
        Path idToken = dir.resolve("id-token");
        Files.writeString(idToken, "eyJhbGciOiJub25lIn0.e30.\n");
        Cli.Run r = Cli.raw(Map.of(), "approvals", "approve", id, "--issuer", issuer.url,
                "--approver-token-file", idToken.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("agentctl: invalid_token: the approver's token is not a valid id_token"),
                r.err());
        assertEquals("pending", cli.ctl("approvals", "show", id, "-o", "json").json().getString("state"));
    }

    // ---- audit ----

    @Test
    void auditQueryFiltersPagesAndFollowsCursors() throws IOException {
        TestAgents.Agent a = agent("audited");
        register(a);
        for (String reason : List.of("first", "second")) {
            assertEquals(0, cli.ctl("kill", a.id(), "--reason", reason).code());
            assertEquals(0, cli.ctl("restore", a.id(), "--reason", reason).code());
        }

        Cli.Run table = cli.ctl("audit", "query", "--agent", a.id());
        assertEquals(0, table.code(), table.toString());
        String[] lines = table.out().split("\n");
        assertTrue(lines[0].matches("TIME\\s+NODE\\s+SEQ\\s+TYPE\\s+AGENT\\s+PRINCIPAL\\s+BY\\s+REASON"), lines[0]);
        assertEquals(6, lines.length, "registered, 2 kills, 2 restores: " + table.out());
        assertTrue(lines[1].matches("\\S+\\s+local\\s+\\d+\\s+agent\\.registered\\s+" + a.id() + "\\s+-\\s+admin\\s+-"),
                lines[1]);
        assertTrue(lines[2].matches(".*agent\\.killed\\s+" + a.id() + "\\s+-\\s+admin\\s+first"), lines[2]);

        Cli.Run page = cli.ctl("audit", "query", "--agent", a.id(), "--limit", "2", "-o", "json");
        assertEquals(0, page.code(), page.toString());
        assertEquals(2, page.json().getJsonArray("events").size());
        String cursor = page.json().getString("next_cursor");
        assertTrue(cursor != null, page.out());
        Cli.Run next = cli.ctl("audit", "query", "--agent", a.id(), "--limit", "2", "--cursor", cursor, "-o", "json");
        assertEquals("agent.restored", next.json().getJsonArray("events").getJsonObject(0).getString("type"),
                next.out());

        Cli.Run tablePage = cli.ctl("audit", "query", "--agent", a.id(), "--limit", "2");
        assertTrue(tablePage.err().startsWith("more records: --cursor "), tablePage.err());

        Cli.Run all = cli.ctl("audit", "query", "--agent", a.id(), "--limit", "2", "--all", "-o", "json");
        assertEquals(0, all.code(), all.toString());
        assertEquals(5, all.json().getJsonArray("events").size(), all.out());
        assertFalse(all.json().containsKey("next_cursor"));

        Cli.Run since = cli.ctl("audit", "query", "--agent", a.id(), "--since",
                Instant.now().plus(Duration.ofHours(1)).toString(), "-o", "json");
        assertEquals(0, since.json().getJsonArray("events").size(), since.out());

        Cli.Run bad = cli.ctl("audit", "query", "--since", "yesterday");
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.err().startsWith("agentctl: invalid_request: since must be an ISO-8601 instant"), bad.err());
    }

    /**
     * A jar whose manifest runs the issuer's Main on this test's class path: {@code java -jar} it like issuer.jar
     * (the shaded issuer.jar is only built in the package phase, after these tests).
     */
    static Path issuerLauncherJar() throws IOException {
        Path jar = dir.resolve("issuer-launcher.jar");
        if (Files.exists(jar)) {
            return jar;
        }
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> Path.of(p).toUri().toString()).collect(Collectors.joining(" "));
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.agentid.issuer.Main");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        return jar;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    @Test
    void auditVerifyFindsTheLiveLogIntactAndNamesTheRecordEditedInACopy() throws IOException {
        TestAgents.Agent a = agent("verified");
        register(a);
        assertEquals(0, cli.ctl("kill", a.id(), "--reason", "tamper-me").code());
        Path jar = issuerLauncherJar();

        Cli.Run intact = Cli.raw(Map.of(), "audit", "verify", "--data-dir", issuer.dataDir.toString(),
                "--issuer-jar", jar.toString());
        assertEquals(0, intact.code(), intact.toString());
        assertTrue(intact.out().startsWith("audit log intact: records 1.."), intact.out());

        // a copy of the node's audit log and key file, with the kill's reason edited
        Path copy = Files.createDirectories(dir.resolve("tampered"));
        copyTree(issuer.dataDir.resolve("audit"), copy.resolve("audit"));
        copyTree(issuer.dataDir.resolve("keys"), copy.resolve("keys"));
        long seq = -1;
        try (Stream<Path> files = Files.list(copy.resolve("audit"))) {
            for (Path segment : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(segment, StandardCharsets.UTF_8);
                for (String line : text.split("\n")) {
                    if (line.contains("\"tamper-me\"")) {
                        seq = new JsonObject(line).getLong("seq");
                        Files.writeString(segment, text.replace("\"tamper-me\"", "\"nothing to see\""));
                    }
                }
            }
        }
        assertNotEquals(-1, seq, "the kill's record is in the log");
        Cli.Run broken = Cli.raw(Map.of("AGENTID_ISSUER_JAR", jar.toString()), "audit", "verify",
                "--data-dir", copy.toString());
        assertEquals(5, broken.code(), broken.toString());
        assertTrue(broken.out().startsWith("audit log BROKEN: first broken record seq " + seq + ":"), broken.out());

        Cli.Run noLog = Cli.raw(Map.of(), "audit", "verify", "--data-dir", dir.resolve("empty").toString(),
                "--issuer-jar", jar.toString());
        assertEquals(2, noLog.code(), noLog.toString());
        assertTrue(noLog.err().contains("no audit log in"), noLog.err());

        Cli.Run noJar = Cli.raw(Map.of(), "audit", "verify", "--data-dir", issuer.dataDir.toString(),
                "--issuer-jar", dir.resolve("missing.jar").toString());
        assertEquals(2, noJar.code(), noJar.toString());
        assertTrue(noJar.err().contains("no issuer.jar at"), noJar.err());
    }

    // ---- review ----

    @Test
    void reviewRecertifyRecordsWhoCertifiedAndReviewListShowsIt() throws IOException {
        TestAgents.Agent a = agent("reviewed");
        register(a);
        Cli.Run recertify = cli.ctl("review", "recertify", a.id(), "--by", "security@example",
                "--next-review-days", "30", "-o", "json");
        assertEquals(0, recertify.code(), recertify.toString());
        Instant due = Instant.parse(recertify.json().getString("review_due"));
        assertTrue(Math.abs(Duration.between(Instant.now().plus(Duration.ofDays(30)), due).toMinutes()) < 5,
                recertify.out());

        Cli.Run list = cli.ctl("review", "list", "-o", "json");
        assertEquals(0, list.code(), list.toString());
        JsonObject review = list.json().getJsonArray("reviews").stream().map(r -> (JsonObject) r)
                .filter(r -> a.id().equals(r.getString("agent_id"))).findFirst().orElseThrow();
        assertEquals("security@example", review.getString("certified_by"));
        assertEquals(false, review.getBoolean("overdue"));

        Cli.Run table = cli.ctl("review", "list");
        assertTrue(table.out().split("\n")[0].matches(
                "AGENT_ID\\s+OWNER\\s+STATUS\\s+REVIEW_DUE\\s+OVERDUE\\s+CERTIFIED_BY\\s+CERTIFIED_AT"), table.out());
        assertTrue(table.out().contains(a.id()));
        Cli.Run overdue = cli.ctl("review", "list", "--due");
        assertEquals(0, overdue.code(), overdue.toString());
        assertFalse(overdue.out().contains(a.id()), "not overdue: " + overdue.out());

        Cli.Run ghost = cli.ctl("review", "recertify", "ghost", "--by", "x");
        assertEquals(3, ghost.code(), ghost.toString());
        Cli.Run badDays = cli.ctl("review", "recertify", a.id(), "--by", "x", "--next-review-days", "0");
        assertEquals(1, badDays.code(), badDays.toString());
        assertTrue(badDays.err().contains("next_review_days must be an integer 1..3650"), badDays.err());
    }

    // ---- keys ----

    @Test
    void keysRotatePublishesANewSigningKey() {
        Cli.Run first = cli.ctl("keys", "rotate", "--activate-in", "0", "-o", "json");
        assertEquals(0, first.code(), first.toString());
        String kid = first.json().getString("signing_kid");
        JsonArray keys = first.json().getJsonArray("keys");
        assertEquals(kid, keys.getJsonObject(keys.size() - 1).getString("kid"), "the new key signs at once: "
                + first.out());
        assertTrue(issuer.getJson("/oauth2/jwks").getJsonArray("keys").stream()
                .anyMatch(k -> kid.equals(((JsonObject) k).getString("kid"))), "published");

        Cli.Run second = cli.ctl("keys", "rotate");
        assertEquals(0, second.code(), second.toString());
        String[] lines = second.out().split("\n");
        assertTrue(lines[0].matches("KID\\s+CREATED_AT\\s+ACTIVATES_AT\\s+SIGNING"), second.out());
        assertEquals(1, Arrays.stream(lines).filter(l -> l.endsWith(" yes")).count(), second.out());
        assertTrue(Arrays.stream(lines).anyMatch(l -> l.startsWith(kid + " ") && l.endsWith(" yes")),
                "the new key activates in 120 s; until then the previous one signs: " + second.out());

        Cli.Run bad = cli.ctl("keys", "rotate", "--activate-in", "100000");
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.err().contains("activate_in_seconds must be between 0 and 86400"), bad.err());
    }

    // ---- alerts ----

    @Test
    void alertsListsTheMonitorsAlerts() {
        Cli.Run json = cli.ctl("alerts", "-o", "json");
        assertEquals(0, json.code(), json.toString());
        assertTrue(json.json().getJsonArray("alerts") != null, json.out());
        assertTrue(json.json().getJsonObject("monitor").containsKey("observations"), json.out());

        Cli.Run table = cli.ctl("alerts", "--limit", "5");
        assertEquals(0, table.code(), table.toString());
        assertTrue(table.out().startsWith("TIME"), table.out());

        Cli.Run bad = cli.ctl("alerts", "--agent", "not an agent id!");
        assertEquals(1, bad.code(), bad.toString());
        assertTrue(bad.err().startsWith("agentctl: invalid_request: agent must be an agent id"), bad.err());
    }

    // ---- completion and help ----

    @Test
    void completionBashPrintsAScriptThatBashAccepts() throws Exception {
        Cli.Run r = Cli.raw(Map.of(), "completion", "bash");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("complete -F _complete_agentctl"), r.out());
        for (String command : List.of("register", "list", "show", "patch", "kill", "restore", "deregister",
                "approvals", "audit", "review", "keys", "alerts")) {
            assertTrue(r.out().contains(command), command);
        }
        assertTrue(r.out().contains("--token-file"));

        Path script = dir.resolve("agentctl-completion.bash");
        Files.writeString(script, r.out());
        Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        String output = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, bash.exitValue(), "bash -n: " + output);

        // the script completes: a command name, a subcommand, an option's values
        assertEquals("kill", complete(script, "agentctl", "ki"));
        assertEquals("approve", complete(script, "agentctl", "approvals", "ap"));
        assertEquals("table json", complete(script, "agentctl", "list", "-o", ""));

        Cli.Run fish = Cli.raw(Map.of(), "completion", "fish");
        assertEquals(2, fish.code(), fish.toString());
    }

    /** What bash's completion function offers for the last word. */
    static String complete(Path script, String... words) throws Exception {
        StringBuilder array = new StringBuilder();
        for (String w : words) {
            array.append(" '").append(w).append("'");
        }
        String line = String.join(" ", words);
        String program = "source '" + script + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; _complete_agentctl 2>/dev/null; "
                + "echo \"${COMPREPLY[*]}\"";
        Process bash = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        return out.strip();
    }

    @Test
    void helpDocumentsTheExitCodes() {
        Cli.Run r = Cli.raw(Map.of(), "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Exit codes:"), r.out());
        for (String code : List.of("0", "1", "2", "3", "4", "5")) {
            assertTrue(r.out().matches("(?s).*\n\\s+" + code + "\\s+\\S.*"), "exit code " + code + ": " + r.out());
        }
        Cli.Run kill = Cli.raw(Map.of(), "kill", "--help");
        assertEquals(0, kill.code(), kill.toString());
        assertTrue(kill.out().contains("--reason=TEXT"), kill.out());
    }
}
