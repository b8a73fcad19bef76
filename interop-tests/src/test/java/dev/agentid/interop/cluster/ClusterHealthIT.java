package dev.agentid.interop.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.agentid.interop.Http;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a load balancer sees of a 3-node cluster: {@code /health/ready} is 200 on the majority side and 503 with the
 * reason on a node left alone (its two peers crashed), while {@code /health/live} stays 200; when the peers return,
 * every node is ready again.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ClusterHealthIT {

    private static final Duration SETTLE = Duration.ofSeconds(60);

    static Cluster cluster;
    static final Http http = new Http();

    @BeforeAll
    static void startCluster() {
        cluster = Cluster.start("health", 3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void readinessFollowsTheMajorityAndTheMinority() {
        for (int n : List.of(1, 2, 3)) {
            Map<String, Object> ready = awaitReady(n, 200);
            assertEquals("UP", ready.get("status"));
            assertEquals(Boolean.TRUE, ready.get("clustered"));
            assertEquals(3, ((List<?>) ready.get("members")).size(), ready.toString());
        }

        cluster.kill(2);
        cluster.kill(3);
        Map<String, Object> alone = awaitReady(1, 503);
        assertEquals("DOWN", alone.get("status"));
        assertEquals("this node cannot reach a majority of the cluster", alone.get("reason"));
        assertEquals(200, get(1, "/health/live").status(), "a node without a majority is still alive");

        // the crashed members return (together: a cache degraded by crashes waits for its last stable members)
        try (IssuerProcess two = cluster.startWithoutWaiting(2, launcher -> launcher);
             IssuerProcess three = cluster.startWithoutWaiting(3, launcher -> launcher)) {
            for (int n : List.of(1, 2, 3)) {
                assertEquals("UP", awaitReady(n, 200).get("status"));
            }
        }
    }

    private static Map<String, Object> awaitReady(int node, int status) {
        return Interop.await("node " + node + " /health/ready " + status, SETTLE, Duration.ofMillis(200), () -> {
            try {
                HttpResult result = get(node, "/health/ready");
                return result.status() == status ? result.json() : null;
            } catch (UncheckedIOException notListening) {
                return null;
            }
        });
    }

    private static HttpResult get(int node, String path) {
        return http.get(URI.create(cluster.node(node).localBase() + path), null);
    }
}
