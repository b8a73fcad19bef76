package dev.agentid.issuer;

import com.nimbusds.jwt.JWTClaimsSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The issuer verifies each of its own subject tokens once (the signature and the claims of the same bytes with the
 * same keys); everything that can change since runs on every exchange: expiry against the clock, revocation, the
 * lineage, the agents' status. Each test first has the token verified and remembered by a successful exchange.
 */
class SubjectTokenCacheTest {

    @TempDir
    Path dir;

    @Test
    void aSubjectTokenVerifiedBeforeStillExpires() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b").ttl(60));
            TestAgent b = issuer.register(agent("b"));
            String subject = issuer.tokenFor(a);
            issuer.exchanged(b, subject);
            issuer.exchanged(b, subject);
            issuer.clock.advance(Duration.ofSeconds(125));   // past exp (60 s) and the clock skew (60 s)
            // client assertions are read on the system time; this one outlives the replay store's advanced clock
            Instant now = Instant.now();
            Map<String, String> params = new LinkedHashMap<>();
            params.put("grant_type", TestIssuer.EXCHANGE);
            params.put("subject_token", subject);
            params.put("subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
            params.put("client_assertion_type", TestIssuer.JWT_BEARER);
            params.put("client_assertion", TestAgent.assertion(new JWTClaimsSet.Builder().issuer(b.id).subject(b.id)
                    .audience(issuer.url).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(290)))
                    .jwtID(UUID.randomUUID().toString()).build(), b.key));
            RefusalTable.assertRow(issuer.token(params), "X08");
        }
    }

    @Test
    void aSubjectTokenVerifiedBeforeIsRefusedOnceRevoked() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String subject = issuer.tokenFor(a);
            issuer.exchanged(b, subject);
            assertEquals(200, issuer.revoke(a, subject).status());
            RefusalTable.assertRow(issuer.exchange(b, subject), "X11");
        }
    }

    @Test
    void aSubjectTokenVerifiedBeforeIsRefusedOnceItsAgentIsKilled() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String subject = issuer.tokenFor(a);
            issuer.exchanged(b, subject);
            assertEquals(200, issuer.admin("POST", "/admin/agents/a/kill", null).status());
            RefusalTable.assertRow(issuer.exchange(b, subject), "X13", "agent", "a");
        }
    }

    @Test
    void aTamperedCopyOfAVerifiedSubjectTokenIsVerifiedOnItsOwn() {
        try (TestIssuer issuer = TestIssuer.start(dir)) {
            TestAgent a = issuer.register(agent("a").delegates("b"));
            TestAgent b = issuer.register(agent("b"));
            String subject = issuer.tokenFor(a);
            issuer.exchanged(b, subject);
            int at = subject.lastIndexOf('.') + 10;
            String tampered = subject.substring(0, at) + (subject.charAt(at) == 'A' ? 'B' : 'A')
                    + subject.substring(at + 1);
            RefusalTable.assertRow(issuer.exchange(b, tampered), "X05");
            issuer.exchanged(b, subject);
        }
    }
}
