package dev.agentid.interop.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.cluster.Cluster;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Owner offboarding by a real OpenID Provider (panva/oidc-provider from npm): the provider disables a user and, as a
 * Shared Signals transmitter, pushes a Security Event Token (RFC 8417, RFC 8935) to one node of a three-node cluster.
 * Within 5 s the user's agents are suspended and every chain through them is inactive on every node, while the
 * chains of other owners live on (issue 15, "Done when").
 */
@ExtendWith(IssuerLogsOnFailure.class)
class SharedSignalsOffboardingIT {

    static final String API = "https://api.example";
    static final Duration BOUND = Duration.ofSeconds(5);

    static OidcProviderProcess idp;
    static Cluster cluster;

    @BeforeAll
    static void start() throws IOException {
        idp = OidcProviderProcess.start();
        Path trust = Files.createTempFile(Files.createDirectories(Interop.targetDir().resolve("issuer-data")),
                "ssf-trust-", ".json");
        Files.writeString(trust, "{\"identity_providers\": [{\"issuer\": \"" + idp.issuer() + "\", \"audience\": \""
                + idp.clientId() + "\"}]}");
        cluster = Cluster.start("ssf", 3, launcher -> launcher.env("ISSUER_TRUST_FILE", trust.toString())
                .env("ISSUER_FEDERATION_LOOPBACK_HTTP", "true"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    static TestAgents.Agent register(String id, String user, String... delegates) {
        return cluster.agents(1).agent(id).owner(idp.issuer() + "#" + user).scopes("files:read").audiences(API)
                .delegates(delegates).maxDelegationDepth(3).tokenTtlSeconds(600).register();
    }

    static URI receiver(int node) {
        return URI.create(cluster.node(node).localBase() + "/ssf/events");
    }

    static boolean activeEverywhere(String token) {
        for (int n = 1; n <= cluster.size(); n++) {
            if (!cluster.agents(n).isActive(token)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@code token} is inactive on every node; answers how long that took since {@code since}. */
    static Duration inactiveEverywhere(String what, String token, long since) {
        for (int n = 1; n <= cluster.size(); n++) {
            int node = n;
            Interop.await(what + " inactive on node " + n, BOUND, Duration.ofMillis(50),
                    () -> cluster.agents(node).isActive(token) ? null : Boolean.TRUE);
        }
        return Duration.ofNanos(System.nanoTime() - since);
    }

    @Test
    void providerDisablesAUserAndTheirAgentsAndChainsDieOnEveryNodeWithinFiveSeconds() {
        TestAgents.Agent planner = register("ssf-planner", "alice", "ssf-helper");
        TestAgents.Agent helper = register("ssf-helper", "bob");
        TestAgents.Agent bystander = register("ssf-bystander", "bob");
        String root = planner.token("files:read", API);
        String chained = helper.at(cluster.agents(2)).exchanged(root, "files:read", API);
        String unrelated = bystander.at(cluster.agents(3)).token("files:read", API);
        assertTrue(activeEverywhere(root) && activeEverywhere(chained) && activeEverywhere(unrelated));

        long start = System.nanoTime();
        Map<String, Object> pushed = idp.disable("alice", receiver(1), "account-disabled");
        assertEquals(202, ((Number) pushed.get("status")).intValue(), "the receiver's answer: " + pushed);
        Duration took = inactiveEverywhere("alice's chain", chained, start);
        inactiveEverywhere("alice's root token", root, start);
        assertTrue(took.compareTo(BOUND) <= 0, "within 5 s: " + took);
        System.out.println("shared signals: account-disabled pushed to node 1, the chain inactive on all 3 nodes after "
                + took.toMillis() + " ms");
        for (int n = 1; n <= cluster.size(); n++) {
            assertEquals("killed", cluster.agents(n).getAgent("ssf-planner").expect(200).json().get("status"));
            assertEquals("active", cluster.agents(n).getAgent("ssf-helper").expect(200).json().get("status"));
        }
        assertTrue(activeEverywhere(unrelated), "another owner's chains live on");
        HttpResult refused = planner.at(cluster.agents(3)).clientCredentials("files:read", API);
        assertEquals(401, refused.status(), refused.describe());
    }

    @Test
    void sessionRevokedPushedToAnotherNodeSuspendsThatUsersAgentsEverywhere() {
        TestAgents.Agent agent = register("ssf-carol-agent", "carol");
        String token = agent.at(cluster.agents(2)).token("files:read", API);
        assertTrue(activeEverywhere(token));

        long start = System.nanoTime();
        Map<String, Object> pushed = idp.disable("carol", receiver(3), "session-revoked");
        assertEquals(202, ((Number) pushed.get("status")).intValue(), "the receiver's answer: " + pushed);
        Duration took = inactiveEverywhere("carol's token", token, start);
        assertTrue(took.compareTo(BOUND) <= 0, "within 5 s: " + took);
        System.out.println("shared signals: session-revoked pushed to node 3, the token inactive on all 3 nodes after "
                + took.toMillis() + " ms");
        assertFalse(activeEverywhere(token));
    }
}
