package dev.agentid.interop;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A first start on an empty data directory without ISSUER_ADMIN_TOKEN: the secrets it creates are
 * private files, and nothing secret ever reaches the process's output, also after a working session
 * with successful and refused requests.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class StartupIT {

    static final String API = "https://api.example";
    static final Pattern COMPACT_JWS = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+");

    static IssuerProcess issuer;
    /** Every secret value the test saw: admin token, private key d values, tokens, client assertions. */
    static final List<String> secrets = new ArrayList<>();
    static String stdout;
    static String stderr;

    @BeforeAll
    static void startFreshAndWork() {
        issuer = IssuerProcess.named("startup").adminToken(null).start();
        TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
        secrets.add(issuer.adminToken());
        Agent a = agents.agent("start-a").owner("user:alice").scopes("files:read", "files:write")
                .audiences(API).delegates("start-b").register();
        Agent b = agents.agent("start-b").owner("user:bob").scopes("files:read").audiences(API).register();
        secrets.add(a.privateKeyD());
        secrets.add(b.privateKeyD());

        String tokenA = a.token("files:read files:write", null);
        String tokenB = b.exchanged(tokenA, "files:read", null);
        secrets.add(tokenA);
        secrets.add(tokenB);
        agents.isActive(tokenB);
        b.introspect(tokenA).expect(200);
        // refusals: a widened scope, a replayed client assertion, a revoked subject token
        b.exchange(tokenA, "files:write", null).expect(400);
        String assertion = a.clientAssertion();
        secrets.add(assertion);
        Map<String, String> form = Map.of("grant_type", "client_credentials", "scope", "files:read",
                "client_assertion_type", TestAgents.JWT_BEARER, "client_assertion", assertion);
        agents.http().postForm(issuer.tokenEndpoint(), form, null).expect(200);
        agents.http().postForm(issuer.tokenEndpoint(), form, null).expect(401);
        a.revoke(tokenA).expect(200);
        b.exchange(tokenA, "files:read", null).expect(400);
        agents.http().postForm(issuer.introspectionEndpoint(), Map.of("token", tokenB), "wrong-" + issuer.adminToken())
                .expect(401);

        secrets.addAll(privateKeyDs(issuer.dataDir().resolve("keys/signing-keys.json")));
        issuer.stop();
        stdout = issuer.stdoutText();
        stderr = issuer.stderrText();
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> privateKeyDs(Path keyFile) {
        try {
            Map<String, Object> root = JSONObjectUtils.parse(Files.readString(keyFile, StandardCharsets.UTF_8));
            List<String> ds = new ArrayList<>();
            for (Object entry : (List<Object>) root.get("keys")) {
                Map<String, Object> jwk = (Map<String, Object>) ((Map<String, Object>) entry).get("jwk");
                ds.add((String) jwk.get("d"));
            }
            assertFalse(ds.isEmpty() || ds.contains(null), "the key file holds private keys");
            return ds;
        } catch (Exception e) {
            throw new AssertionError("cannot read " + keyFile, e);
        }
    }

    static String permissions(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void aGeneratedAdminTokenIsWrittenToAnOwnerOnlyFile() throws Exception {
        Path file = issuer.dataDir().resolve("admin-token");
        assertTrue(Files.isRegularFile(file), "DATA_DIR/admin-token exists");
        assertEquals("rw-------", permissions(file));
        String token = Files.readString(file, StandardCharsets.UTF_8).trim();
        assertTrue(token.length() >= 32, "the admin token is long enough to be unguessable: " + token.length());
    }

    @Test
    void theSigningKeyFileIsOwnerOnly() throws Exception {
        Path file = issuer.dataDir().resolve("keys/signing-keys.json");
        assertTrue(Files.isRegularFile(file), "DATA_DIR/keys/signing-keys.json exists");
        assertEquals("rw-------", permissions(file));
        assertEquals("rwx------", permissions(file.getParent()));
    }

    @Test
    void readinessIsAnnouncedOnStdout() {
        assertTrue(stdout.contains(IssuerProcess.READY_LINE + issuer.issuer()),
                "stdout announces 'issuer ready at " + issuer.issuer() + "'");
    }

    @Test
    void theOutputNeverContainsASecret() {
        assertTrue(secrets.size() >= 7, "the test collected its secrets: " + secrets.size());
        for (int i = 0; i < secrets.size(); i++) {
            String secret = secrets.get(i);
            assertFalse(stdout.contains(secret), "secret #" + i + " appears on stdout");
            assertFalse(stderr.contains(secret), "secret #" + i + " appears on stderr");
        }
    }

    @Test
    void theOutputContainsNoCompactJwsAtAll() {
        for (String stream : List.of(stdout, stderr)) {
            Matcher jws = COMPACT_JWS.matcher(stream);
            assertFalse(jws.find(), "a JWS appears in the issuer's output at offset " + (jws.hitEnd() ? -1 : jws.start()));
        }
    }
}
