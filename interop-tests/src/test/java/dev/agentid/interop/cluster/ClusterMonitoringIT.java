package dev.agentid.interop.cluster;

import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Behavioural monitoring judges an agent over the whole cluster: a burst spread over three issuer JVMs, each node
 * seeing a third of it (below the threshold on its own), is detected as the one agent's burst from the nodes'
 * published counts, and the agent is suspended on every node, once.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterMonitoringIT {

    /**
     * Burst: 20 x baseline, at least 60 per minute, i.e. 10 tokens in 10 s for an agent without history; no learning
     * period, so the first-time-seen detectors of scopes and audiences (everything is new) are off.
     */
    static final String SETTINGS = "{\"learning_minutes\": 0, \"detectors\": {\"burst\": {\"factor\": 20,"
            + " \"floor\": 60, \"window_seconds\": 10}, \"new_scope\": {\"enabled\": false},"
            + " \"new_audience\": {\"enabled\": false}}}";
    static final int PER_NODE = 4;

    static Cluster cluster;
    static final Http http = new Http();

    @BeforeAll
    static void startCluster() {
        Path settings;
        try {
            settings = Files.createTempFile("monitor", ".json");
            Files.writeString(settings, SETTINGS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        cluster = Cluster.start("monitoring", 3, launcher -> launcher.env("ISSUER_MONITOR_FILE",
                settings.toString()));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void burstSpreadOverThreeNodesIsDetectedAsOneAgentsBehaviour() {
        TestAgents.Agent agent = register(cluster.agents(1), "mon-burst", "user:alice");
        // 4 tokens per node, 12 in all, within a few seconds: 24 per minute on each node, 72 in the cluster
        for (int i = 0; i < PER_NODE; i++) {
            for (int n = 1; n <= 3; n++) {
                HttpResult r = agent.at(cluster.agents(n)).clientCredentials("files:read", API);
                assertTrue(r.status() == 200 || r.status() == 401, r.describe());
            }
        }
        for (int n = 1; n <= 3; n++) {
            int node = n;
            Interop.await("node " + n + " sees the agent killed", Duration.ofSeconds(20), Duration.ofMillis(200),
                    () -> "killed".equals(cluster.agents(node).getAgent("mon-burst").expect(200).json().get("status"))
                            ? Boolean.TRUE : null);
        }
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            HttpResult r = http.get(cluster.node(n).admin("/admin/alerts?agent=mon-burst"), cluster.adminToken())
                    .expect(200);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> mine = (List<Map<String, Object>>) r.json().get("alerts");
            alerts.addAll(mine);
        }
        List<Map<String, Object>> bursts = alerts.stream().filter(a -> "burst".equals(a.get("detector"))).toList();
        assertEquals(1, bursts.size(), "one node responds for the cluster: " + alerts);
        Map<String, Object> burst = bursts.get(0);
        assertEquals("suspend", burst.get("response"));
        @SuppressWarnings("unchecked")
        Map<String, Object> evidence = (Map<String, Object>) burst.get("evidence");
        long count = ((Number) evidence.get("count")).longValue();
        assertTrue(count >= 10 && count > PER_NODE, "counted over the cluster, more than one node saw: " + burst);
    }
}
