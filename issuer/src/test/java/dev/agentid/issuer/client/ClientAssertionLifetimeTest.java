package dev.agentid.issuer.client;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.UUID;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code ISSUER_MAX_ASSERTION_LIFETIME_SECONDS}: the longest client assertion the token endpoint accepts (T18). */
class ClientAssertionLifetimeTest {

    @TempDir
    Path dir;

    private static Map<String, String> livingFor(TestIssuer issuer, TestAgent a, long seconds) {
        Map<String, String> params = issuer.as(a, "grant_type", "client_credentials");
        params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(a.id).subject(a.id)
                .audience(issuer.url).issueTime(new Date()).expirationTime(Date.from(Instant.now()
                        .plusSeconds(seconds))).jwtID(UUID.randomUUID().toString()).build(), a.key));
        return params;
    }

    @Test
    void assertionLiving400SecondsIsAcceptedWhenTheMaximumIs600AndUsableOnlyOnce() {
        try (TestIssuer issuer = TestIssuer.start(dir, new MutableClock(), 0,
                Map.of("ISSUER_MAX_ASSERTION_LIFETIME_SECONDS", "600"))) {
            TestAgent a = issuer.register(agent("long-lived"));
            Map<String, String> params = livingFor(issuer, a, 400);
            TestIssuer.Response first = issuer.token(params);
            assertEquals(200, first.status(), first.body());
            TestIssuer.assertError(issuer.token(params), 401, "invalid_client",
                    "client assertion has already been used");
            TestIssuer.assertError(issuer.token(livingFor(issuer, a, 700)), 401, "invalid_client",
                    "the client assertion lives too long: exp may be at most 600 s after the issuer receives it");
        }
    }

    @Test
    void assertionLiving400SecondsIsRefusedByDefault() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("long-lived"));
            TestIssuer.assertError(issuer.token(livingFor(issuer, a, 400)), 401, "invalid_client",
                    "the client assertion lives too long: exp may be at most 300 s after the issuer receives it");
        }
    }
}
