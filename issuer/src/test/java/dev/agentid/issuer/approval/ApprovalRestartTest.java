package dev.agentid.issuer.approval;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A pending request is in the persisted store, not in a node's memory: it survives a restart of the issuer, and the
 * restarted issuer lists it, takes the decision and answers the poll with the token.
 */
class ApprovalRestartTest {

    @TempDir
    Path dir;

    @Test
    void pendingRequestSurvivesARestartAndIsRedeemedAfterIt() throws Exception {
        MutableClock clock = new MutableClock();
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();   // the same issuer identifier after the restart
        }
        TestAgent a;
        TestAgent c;
        String id;
        try (TestIssuer issuer = TestIssuer.start(dir, clock, port, Map.of())) {
            c = agent("restart-c").scopes("read").build();
            c.registration.put("approval", new JsonObject().put("scopes", new JsonArray().add("read"))
                    .put("approvers", new JsonObject().put("owner", true)).put("interval_seconds", 1));
            assertEquals(201, issuer.admin("POST", "/admin/agents", c.registration).status());
            a = issuer.register(agent("restart-a").scopes("read").delegates(c.id));
            String root = issuer.tokenFor(a);
            Map<String, String> form = issuer.as(c, "subject_token", root,
                    "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
            TestIssuer.Response started = issuer.post("/oauth2/bc-authorize", "application/x-www-form-urlencoded",
                    TestIssuer.form(form));
            assertEquals(200, started.status(), started.body());
            id = started.json().getString("auth_req_id");
        }
        try (TestIssuer issuer = TestIssuer.start(dir, clock, port, Map.of())) {
            JsonArray pending = issuer.admin("GET", "/admin/approvals", null).json().getJsonArray("approvals");
            assertEquals(1, pending.size(), pending.encode());
            assertEquals(id, pending.getJsonObject(0).getString("id"));
            assertEquals(200, issuer.admin("POST", "/admin/approvals/" + id + "/approve", new JsonObject()).status());
            TestIssuer.Response token = issuer.token(issuer.as(c, "grant_type", "urn:openid:params:grant-type:ciba",
                    "auth_req_id", id));
            assertEquals(200, token.status(), token.body());
            JWTClaimsSet claims = SignedJWT.parse(token.json().getString("access_token")).getJWTClaimsSet();
            assertEquals(id, ((Map<?, ?>) claims.getJSONObjectClaim("act").get("apv")).get("id"));
        }
    }
}
