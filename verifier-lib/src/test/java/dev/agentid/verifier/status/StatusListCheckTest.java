package dev.agentid.verifier.status;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.Reason;
import dev.agentid.verifier.TestTokens;
import dev.agentid.verifier.TokenVerificationException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The opt-in status list check against a JDK HTTP server on loopback serving the issuer's lists. */
class StatusListCheckTest {

    static final class MutableClock extends Clock {
        Instant now = TestTokens.NOW;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private HttpServer server;
    private String issuer;
    private String listUri;
    private volatile Function<String, String> body;   // path -> response body, null -> 503
    private final AtomicInteger fetches = new AtomicInteger();
    private final MutableClock clock = new MutableClock();
    private StatusList bits;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            fetches.incrementAndGet();
            Function<String, String> b = body;
            String text = b == null ? null : b.apply(exchange.getRequestURI().getPath());
            if (text == null) {
                exchange.sendResponseHeaders(503, -1);
            } else {
                byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
                exchange.getResponseHeaders().add("Content-Type", StatusListCheck.MEDIA_TYPE);
                exchange.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
            exchange.close();
        });
        server.start();
        issuer = "http://127.0.0.1:" + server.getAddress().getPort();
        listUri = issuer + "/oauth2/status/0";
        bits = StatusList.allValid(1024, 1);
        bits.set(7, StatusList.INVALID);
        body = path -> listToken(listUri, bits, TestTokens.KEY, "statuslist+jwt", 60);
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    String listToken(String sub, StatusList list, ECKey key, String typ, long ttl) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(sub)
                .issueTime(Date.from(clock.now))
                .expirationTime(Date.from(clock.now.plusSeconds(2 * ttl)))
                .claim("ttl", ttl)
                .claim("status_list", Map.of("bits", list.bits(), "lst", list.encode()))
                .build();
        return TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType(typ))
                .keyID(key.getKeyID()).build(), claims, key);
    }

    String token(int idx) {
        return token(Map.of("status_list", Map.of("idx", idx, "uri", listUri)));
    }

    String token(Object status) {
        return TestTokens.sign(TestTokens.claims().issuer(issuer).claim("status", status)
                .issueTime(Date.from(clock.now.minusSeconds(5))).expirationTime(Date.from(clock.now.plusSeconds(600)))
                .build());
    }

    AgentTokenVerifier verifier(StatusListPolicy policy) {
        return AgentTokenVerifier.builder()
                .trustIssuer(issuer, new JWKSet(TestTokens.KEY.toPublicJWK()))
                .audience(TestTokens.AUDIENCE)
                .clock(clock)
                .statusLists(policy)
                .build();
    }

    static Reason reason(AgentTokenVerifier verifier, String token) {
        return assertThrows(TokenVerificationException.class, () -> verifier.verify(token)).reason();
    }

    @Test
    void aValidStatusIsAccepted() {
        assertDoesNotThrow(() -> verifier(StatusListPolicy.failClosed()).verify(token(6)));
    }

    @Test
    void aSetStatusIsRevoked() {
        assertEquals(Reason.REVOKED, reason(verifier(StatusListPolicy.failClosed()), token(7)));
        assertEquals(Reason.REVOKED, reason(verifier(StatusListPolicy.failOpen()), token(7)));
    }

    @Test
    void anIndexOutsideTheListIsAnInvalidClaimEvenFailOpen() {
        assertEquals(Reason.INVALID_CLAIM, reason(verifier(StatusListPolicy.failOpen()), token(1024)));
        assertDoesNotThrow(() -> verifier(StatusListPolicy.failOpen()).verify(token(1023)));
    }

    @Test
    void aListWhoseSubIsAnotherUriIsRefusedEvenFailOpen() {
        body = path -> listToken(issuer + "/oauth2/status/1", bits, TestTokens.KEY, "statuslist+jwt", 60);
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failClosed()), token(6)));
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failOpen()), token(6)));
    }

    @Test
    void aListSignedByAnotherKeyIsRefusedEvenFailOpen() {
        ECKey other = TestTokens.newKey(TestTokens.KEY.getKeyID());
        body = path -> listToken(listUri, bits, other, "statuslist+jwt", 60);
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failClosed()), token(6)));
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failOpen()), token(6)));
    }

    @Test
    void aListOfAnotherTypeIsRefused() {
        body = path -> listToken(listUri, bits, TestTokens.KEY, "at+jwt", 60);
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failClosed()), token(6)));
    }

    @Test
    void anOutageRefusesFailClosedAndAcceptsFailOpen() {
        body = null;
        assertEquals(Reason.KEY_SOURCE_UNAVAILABLE, reason(verifier(StatusListPolicy.failClosed()), token(7)));
        assertDoesNotThrow(() -> verifier(StatusListPolicy.failOpen()).verify(token(7)));
    }

    @Test
    void theListIsCachedForItsTtlThenFetchedAgain() {
        AgentTokenVerifier verifier = verifier(StatusListPolicy.failClosed());
        assertDoesNotThrow(() -> verifier.verify(token(6)));
        bits.set(6, StatusList.INVALID);
        clock.now = clock.now.plusSeconds(59);
        assertDoesNotThrow(() -> verifier.verify(token(6)), "the cached list still says valid");
        assertEquals(1, fetches.get());
        clock.now = clock.now.plusSeconds(1);
        assertEquals(Reason.REVOKED, reason(verifier, token(6)));
        assertEquals(2, fetches.get());
    }

    @Test
    void theCacheTimeIsCappedByThePolicy() {
        body = path -> listToken(listUri, bits, TestTokens.KEY, "statuslist+jwt", 86_400);
        AgentTokenVerifier verifier = verifier(StatusListPolicy.failClosed().maxCacheTime(Duration.ofSeconds(10)));
        assertDoesNotThrow(() -> verifier.verify(token(6)));
        clock.now = clock.now.plusSeconds(10);
        assertDoesNotThrow(() -> verifier.verify(token(6)));
        assertEquals(2, fetches.get());
    }

    @Test
    void aUriOutsideTheIssuerIsNeverFetched() {
        String elsewhere = "http://127.0.0.1:" + server.getAddress().getPort() + "0/oauth2/status/0";
        assertEquals(Reason.INVALID_CLAIM, reason(verifier(StatusListPolicy.failOpen()),
                token(Map.of("status_list", Map.of("idx", 1, "uri", elsewhere)))));
        assertEquals(Reason.INVALID_CLAIM, reason(verifier(StatusListPolicy.failOpen()),
                token(Map.of("status_list", Map.of("idx", -1, "uri", listUri)))));
        assertEquals(0, fetches.get());
    }

    @Test
    void aTokenWithoutStatusIsRefusedUnlessAllowed() {
        String plain = TestTokens.sign(TestTokens.claims().issuer(issuer).build());
        assertEquals(Reason.MISSING_CLAIM, reason(verifier(StatusListPolicy.failClosed()), plain));
        assertDoesNotThrow(() -> verifier(StatusListPolicy.failClosed().allowTokensWithoutStatus()).verify(plain));
    }
}
