package dev.agentid.interop;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.TokenVerificationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two signing-key rotations of a running issuer, one with the keys CLI on its data directory and one
 * with the admin API. Tokens signed before and after each rotation must all verify, with verifier-lib
 * and with Node jose, against the one published JWKS.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class KeyRotationIT {

    static final String API = "https://api.example";
    static final Duration ROTATION_TIMEOUT = Duration.ofSeconds(30);
    static final Duration POLL = Duration.ofMillis(250);

    static IssuerProcess issuer;
    static TestAgents agents;
    static Agent a;
    static Agent b;
    /** Tokens by name, in the order they were minted. */
    static final Map<String, String> tokens = new LinkedHashMap<>();
    static String kid1;
    static String kid2;
    static String kid3;
    static String tokenMintedWhileKid3Pending;
    static Set<String> jwksWhileKid3Pending;
    static AgentTokenVerifier verifierFromBeforeRotation;

    @BeforeAll
    static void rotateTwice() throws Exception {
        issuer = IssuerProcess.named("rotation").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
        a = agents.agent("rot-a").owner("user:alice").scopes("files:read").audiences(API)
                .delegates("rot-b").tokenTtlSeconds(600).register();
        b = agents.agent("rot-b").owner("user:bob").scopes("files:read").audiences(API)
                .tokenTtlSeconds(300).register();

        tokens.put("a before", a.token("files:read", null));
        tokens.put("b before", b.exchanged(tokens.get("a before"), null, null));
        kid1 = kid(tokens.get("a before"));
        verifierFromBeforeRotation = Verifiers.remote(issuer, API);
        verifierFromBeforeRotation.verify(tokens.get("a before"));

        // rotation 1: the operator's CLI writes the key file; the issuer picks it up by itself
        KeysCli.Result cli = KeysCli.run("rotate", "--data-dir", issuer.dataDir().toString(), "--activate-in", "2");
        assertEquals(0, cli.exitCode(), "keys rotate: " + cli.output());
        tokens.put("a after cli", awaitTokenSignedWithNewKey(Set.of(kid1)));
        kid2 = kid(tokens.get("a after cli"));
        tokens.put("b after cli", b.exchanged(tokens.get("a before"), null, null));

        // rotation 2: the admin API, with time to see the new key published before it signs
        HttpResult rotated = agents.rotateKeys(8);
        assertTrue(rotated.status() == 200 || rotated.status() == 201, "admin rotate: " + rotated.describe());
        jwksWhileKid3Pending = Interop.await("a third key in the JWKS", ROTATION_TIMEOUT, POLL, () -> {
            Set<String> kids = publishedKids();
            return kids.size() >= 3 ? kids : null;
        });
        tokenMintedWhileKid3Pending = a.token("files:read", null);
        tokens.put("a after admin", awaitTokenSignedWithNewKey(Set.of(kid1, kid2)));
        kid3 = kid(tokens.get("a after admin"));
        tokens.put("b after admin", b.exchanged(tokens.get("a before"), null, null));
    }

    @AfterAll
    static void stopIssuer() {
        if (verifierFromBeforeRotation != null) {
            verifierFromBeforeRotation.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    private static String awaitTokenSignedWithNewKey(Set<String> oldKids) {
        return Interop.await("a token signed with a new key", ROTATION_TIMEOUT, POLL, () -> {
            String token = a.token("files:read", null);
            return oldKids.contains(kid(token)) ? null : token;
        });
    }

    static String kid(String token) {
        try {
            return SignedJWT.parse(token).getHeader().getKeyID();
        } catch (ParseException e) {
            throw new AssertionError("not a JWS", e);
        }
    }

    static Set<String> publishedKids() {
        try {
            JWKSet set = JWKSet.parse(agents.http().get(issuer.jwksUri(), null).expect(200).body());
            for (JWK key : set.getKeys()) {
                assertFalse(key.isPrivate(), "the JWKS publishes private key material");
            }
            return set.getKeys().stream().map(JWK::getKeyID).collect(Collectors.toSet());
        } catch (ParseException e) {
            throw new AssertionError("the jwks_uri does not serve a JWK set", e);
        }
    }

    @Test
    void eachRotationSignsNewTokensWithANewKeyAndTheJwksKeepsAllOfThem() {
        assertEquals(3, Set.of(kid1, kid2, kid3).size(), "three distinct kids");
        assertAll(
                () -> assertEquals(kid2, kid(tokens.get("b after cli")), "an exchange after rotation 1 uses key 2"),
                () -> assertEquals(kid3, kid(tokens.get("b after admin")), "an exchange after rotation 2 uses key 3"),
                () -> assertEquals(kid1, kid(tokens.get("b before"))),
                () -> assertTrue(publishedKids().containsAll(Set.of(kid1, kid2, kid3)), "JWKS: " + publishedKids()));
    }

    @Test
    void aNewKeyIsPublishedBeforeItSigns() {
        assertTrue(jwksWhileKid3Pending.contains(kid3), "the JWKS listed key 3 before any token carried it");
        assertEquals(kid2, kid(tokenMintedWhileKid3Pending), "a pending key does not sign yet");
    }

    @Test
    void verifierLibAcceptsTokensFromBeforeAndAfterEachRotation() throws TokenVerificationException {
        try (AgentTokenVerifier verifier = Verifiers.remote(issuer, API)) {
            for (Map.Entry<String, String> token : tokens.entrySet()) {
                assertEquals(kid(token.getValue()), verifier.verify(token.getValue()).keyId(), token.getKey());
            }
        }
    }

    @Test
    void aVerifierThatCachedTheOldJwksFindsTheNewKeys() throws TokenVerificationException {
        for (Map.Entry<String, String> token : tokens.entrySet()) {
            assertEquals(kid(token.getValue()), verifierFromBeforeRotation.verify(token.getValue()).keyId(),
                    token.getKey());
        }
    }

    @Test
    void nodeJoseAcceptsTokensFromBeforeAndAfterEachRotation() {
        List<String> names = List.copyOf(tokens.keySet());
        List<NodeJose.Verdict> verdicts = NodeJose.verify(issuer.metadataUri(), API, List.copyOf(tokens.values()));
        for (int i = 0; i < names.size(); i++) {
            NodeJose.Verdict verdict = verdicts.get(i);
            assertTrue(verdict.ok(), names.get(i) + ": jose says " + verdict.code());
            assertEquals(kid(tokens.get(names.get(i))), verdict.header().get("kid"), names.get(i));
        }
    }
}
