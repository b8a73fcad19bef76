package dev.agentid.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics is Prometheus text that every line of which parses, and its counters move with traffic. */
class MetricsTest {

    /** A Prometheus text-format sample: name, optional {labels}, value. */
    static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? "
                    + "(-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)( -?[0-9]+)?");

    @TempDir
    static Path dataDir;
    static TestIssuer issuer;

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        issuer.close();
    }

    @Test
    void metricsAreValidPrometheusTextAndMoveWithTraffic() {
        TestAgent agent = issuer.register(TestAgent.agent("metrics-agent").scopes("files:read"));
        Map<String, Double> before = scrape();

        assertEquals(200, issuer.token(issuer.as(agent, "grant_type", "client_credentials", "scope", "files:read"))
                .status());
        assertEquals(200, issuer.token(issuer.as(agent, "grant_type", "client_credentials", "scope", "files:read"))
                .status());
        assertEquals(400, issuer.token(issuer.as(agent, "grant_type", "client_credentials", "scope", "files:write"))
                .status());
        assertEquals(200, issuer.admin("POST", "/admin/agents/metrics-agent/kill", null).status());

        Map<String, Double> after = scrape();
        assertEquals(2.0, delta(before, after,
                "agentid_tokens_issued_total{grant=\"client_credentials\"}"));
        assertEquals(1.0, delta(before, after,
                "agentid_refusals_total{endpoint=\"/oauth2/token\",error=\"invalid_scope\"}"));
        assertEquals(1.0, delta(before, after, "agentid_kills_total"));
        assertTrue(delta(before, after, "agentid_http_request_seconds_count{endpoint=\"/oauth2/token\"}") >= 3.0);
        // the two issuances and the kill waited for their audit records' fsyncs (one group commit at least)
        assertTrue(delta(before, after, "agentid_audit_fsync_seconds_count") >= 1.0);
        assertTrue(after.get("agentid_audit_fsync_seconds_max") > 0.0);
        assertEquals(1.0, after.get("agentid_cluster_members"));
        assertTrue(after.get("agentid_replay_marks") >= 3.0, "the three client assertions are marked");
        assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("vertx_http_server_requests_total")),
                "Vert.x's own HTTP server metrics are there too");
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String sample) {
        assertTrue(after.containsKey(sample), sample + " in " + after.keySet());
        return after.get(sample) - before.getOrDefault(sample, 0.0);
    }

    /** Every non-comment line must be a sample; returns name{labels} to value. */
    private static Map<String, Double> scrape() {
        TestIssuer.Response response = issuer.send(HttpRequest.newBuilder(URI.create(issuer.url + "/metrics"))
                .GET().build());
        assertEquals(200, response.status());
        assertTrue(response.header("Content-Type").startsWith("text/plain"), response.header("Content-Type"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertTrue(m.matches(), "not a Prometheus sample: " + line);
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(
                    m.group(3).replace("+Inf", "Infinity").replace("-Inf", "-Infinity")));
        }
        return samples;
    }
}
