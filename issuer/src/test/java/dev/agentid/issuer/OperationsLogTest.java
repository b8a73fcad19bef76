package dev.agentid.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One log line per admin action and per refusal, with a safe reason, and never a token. */
class OperationsLogTest {

    @TempDir
    static Path dataDir;
    static TestIssuer issuer;
    static final List<String> lines = new CopyOnWriteArrayList<>();
    static final Logger HTTP = Logger.getLogger("dev.agentid.issuer.http");
    static final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.INFO.intValue()) {
                lines.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start() {
        HTTP.addHandler(capture);
        issuer = TestIssuer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        HTTP.removeHandler(capture);
        issuer.close();
    }

    @Test
    void adminActionsAndRefusalsAreLoggedWithoutTokens() {
        TestAgent agent = issuer.register(TestAgent.agent("logged-agent").owner("user:carol").scopes("files:read"));
        TestIssuer.Response token = issuer.token(issuer.as(agent, "grant_type", "client_credentials",
                "scope", "files:read"));
        assertEquals(200, token.status());
        String accessToken = token.json().getString("access_token");
        // refusals are logged at most 20 per wall-clock second, process-wide (LogBudget): the tests before this one
        // may have spent this second's budget, so the refusal is sent again until its line is written (bounded)
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        do {
            assertEquals(400, issuer.token(issuer.as(agent, "grant_type", "client_credentials",
                    "scope", "files:write\nforged log line")).status());
        } while (lines.stream().noneMatch(l -> l.startsWith("refused POST /oauth2/token 400 invalid_scope: "))
                && System.nanoTime() < deadline);
        assertEquals(200, issuer.admin("POST", "/admin/agents/logged-agent/kill", null).status());

        assertTrue(lines.stream().anyMatch(l -> l.startsWith("admin: registered agent logged-agent (owner user:carol")),
                lines.toString());
        assertTrue(lines.contains("admin: killed agent logged-agent (owner user:carol)"), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("refused POST /oauth2/token 400 invalid_scope: ")),
                lines.toString());
        for (String line : lines) {
            assertFalse(line.contains(accessToken), "a token in the log: " + line);
            assertFalse(line.contains("\n"), "one line per entry: " + line);
        }
    }
}
