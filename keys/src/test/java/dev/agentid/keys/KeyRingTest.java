package dev.agentid.keys;

import static dev.agentid.keys.TestKeys.LIFETIME;
import static dev.agentid.keys.TestKeys.SKEW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyRingTest {

    private final TestClock clock = TestClock.atStart();

    private static List<String> kids(JWKSet jwks) {
        return jwks.getKeys().stream().map(JWK::getKeyID).toList();
    }

    @Test
    void singleActiveKeySignsAndIsPublished() throws Exception {
        ManagedKey key = TestKeys.activeKey(clock);
        KeyRing ring = KeyRing.of(List.of(key));

        assertEquals(key, ring.signingKey(clock.instant()));
        assertEquals(key.kid(), ring.signingKeyId(clock.instant()));
        assertEquals(List.of(key.kid()), kids(ring.publicJwks(clock.instant(), LIFETIME, SKEW)));
        SignedJWT jwt = TestKeys.sign(ring, clock.instant(), LIFETIME);
        assertTrue(TestKeys.verifies(jwt, ring.publicJwks(clock.instant(), LIFETIME, SKEW)));
    }

    @Test
    void signingKeyWhenNoKeyHasActivatedThenIllegalState() {
        KeyRing ring = KeyRing.of(List.of(TestKeys.key(clock, clock.instant().plusSeconds(10))));

        assertThrows(IllegalStateException.class, () -> ring.signingKey(clock.instant()));
        assertThrows(IllegalStateException.class, () -> ring.signer(clock.instant()));
        assertTrue(ring.findSigningKey(clock.instant()).isEmpty());
        assertEquals(ring.keys().get(0), ring.signingKey(clock.instant().plusSeconds(10)));
    }

    @Test
    void pendingKeyIsPublishedButDoesNotSign() {
        ManagedKey old = TestKeys.activeKey(clock);
        ManagedKey next = TestKeys.key(clock, clock.instant().plusSeconds(120));
        KeyRing ring = KeyRing.of(List.of(next, old));
        Instant now = clock.instant().plusSeconds(119);

        assertEquals(old.kid(), ring.signingKeyId(now));
        assertEquals(List.of(old.kid(), next.kid()), kids(ring.publicJwks(now, LIFETIME, SKEW)));
        assertEquals(List.of(KeyState.ACTIVE, KeyState.PENDING),
                ring.status(now, LIFETIME, SKEW).stream().map(KeyStatus::state).toList());
    }

    @Test
    void afterActivationOldKeyStaysPublishedUntilMaxLifetimePlusSkewThenDisappears() {
        ManagedKey old = TestKeys.activeKey(clock);
        Instant activation = clock.instant().plusSeconds(120);
        ManagedKey next = TestKeys.key(clock, activation);
        KeyRing ring = KeyRing.of(List.of(old, next));
        Instant horizon = activation.plus(LIFETIME).plus(SKEW);

        assertEquals(next.kid(), ring.signingKeyId(activation));
        assertEquals(List.of(next.kid(), old.kid()), kids(ring.publicJwks(activation, LIFETIME, SKEW)));
        assertEquals(List.of(next.kid(), old.kid()), kids(ring.publicJwks(horizon, LIFETIME, SKEW)));
        assertEquals(List.of(next.kid()), kids(ring.publicJwks(horizon.plusSeconds(1), LIFETIME, SKEW)));

        KeyStatus retired = ring.status(horizon, LIFETIME, SKEW).get(0);
        assertEquals(KeyState.RETIRED, retired.state());
        assertEquals(activation, retired.supersededAt().orElseThrow());
        assertEquals(horizon, retired.publishedUntil().orElseThrow());
        assertEquals(KeyState.EXPIRED, ring.status(horizon.plusSeconds(1), LIFETIME, SKEW).get(0).state());
    }

    @Test
    void retentionFollowsTheGivenLifetimeAndSkew() {
        ManagedKey old = TestKeys.activeKey(clock);
        Instant activation = clock.instant().plusSeconds(60);
        KeyRing ring = KeyRing.of(List.of(old, TestKeys.key(clock, activation)));
        Duration shortLifetime = Duration.ofSeconds(300);
        Instant t = activation.plusSeconds(301);

        assertTrue(kids(ring.publicJwks(t, shortLifetime, Duration.ofSeconds(1))).contains(old.kid()));
        assertFalse(kids(ring.publicJwks(t, shortLifetime, Duration.ZERO)).contains(old.kid()));
    }

    @Test
    void tokenSignedByOldKeyJustBeforeActivationVerifiesAtEveryInstantUntilItsExpiry() throws Exception {
        ManagedKey old = TestKeys.activeKey(clock);
        Instant activation = clock.instant().plusSeconds(120);
        KeyRing ring = KeyRing.of(List.of(old, TestKeys.key(clock, activation)));
        Instant iat = activation.minusMillis(1);
        SignedJWT token = TestKeys.sign(ring, iat, LIFETIME);
        assertEquals(old.kid(), token.getHeader().getKeyID());
        Instant exp = token.getJWTClaimsSet().getExpirationTime().toInstant();

        for (Instant t = iat; !t.isAfter(exp.plus(SKEW)); t = t.plusSeconds(30)) {
            assertTrue(TestKeys.verifies(token, ring.publicJwks(t, LIFETIME, SKEW)), "at " + t);
        }
        assertTrue(TestKeys.verifies(token, ring.publicJwks(exp, LIFETIME, SKEW)));
        assertTrue(TestKeys.verifies(token, ring.publicJwks(exp.plus(SKEW), LIFETIME, SKEW)));
    }

    @Test
    void tokenSignedByNewKeyVerifiesAgainstAJwksFetchedBeforeActivation() throws Exception {
        Instant activation = clock.instant().plusSeconds(120);
        KeyRing ring = KeyRing.of(List.of(TestKeys.activeKey(clock), TestKeys.key(clock, activation)));
        JWKSet cachedBeforeActivation = ring.publicJwks(clock.instant(), LIFETIME, SKEW);

        SignedJWT token = TestKeys.sign(ring, activation, LIFETIME);

        assertTrue(TestKeys.verifies(token, cachedBeforeActivation));
    }

    @Test
    void whenTwoKeysActivateAtTheSameInstantThenTheLaterCreatedSigns() {
        Instant at = clock.instant().plusSeconds(10);
        ManagedKey first = TestKeys.key(clock, at);
        clock.advanceSeconds(1);
        ManagedKey second = TestKeys.key(clock, at);

        assertEquals(second, KeyRing.of(List.of(second, first)).signingKey(at));
        assertEquals(second, KeyRing.of(List.of(first, second)).signingKey(at));
    }

    @Test
    void pruneDropsOnlyExpiredKeys() {
        ManagedKey a = TestKeys.activeKey(clock);
        ManagedKey b = TestKeys.key(clock, clock.instant().plusSeconds(100));
        ManagedKey c = TestKeys.key(clock, clock.instant().plusSeconds(10_000));
        ManagedKey pending = TestKeys.key(clock, clock.instant().plusSeconds(20_000));
        KeyRing ring = KeyRing.of(List.of(a, b, c, pending));
        Instant now = clock.instant().plusSeconds(10_001);

        KeyRing pruned = ring.prune(now, LIFETIME, SKEW);

        // a was superseded at +100 and is gone; b was superseded at +10000 and is retired; c is active.
        assertEquals(List.of(b, c, pending), pruned.keys());
        assertSame(pruned, pruned.prune(now, LIFETIME, SKEW));
        assertEquals(c.kid(), pruned.signingKeyId(now));
    }

    @Test
    void signerIsCreatedOncePerKeyAndUsesBouncyCastle() {
        ManagedKey old = TestKeys.activeKey(clock);
        ManagedKey next = TestKeys.key(clock, clock.instant().plusSeconds(60));
        KeyRing ring = KeyRing.of(List.of(old, next));

        JWSSigner signer = ring.signer(clock.instant());
        assertSame(signer, ring.signer(clock.instant().plusSeconds(59)));
        assertNotSame(signer, ring.signer(clock.instant().plusSeconds(60)));
        assertSame(signer, ring.with(TestKeys.key(clock, clock.instant().plusSeconds(30_000))).signer(clock.instant()));
        assertSame(BouncyCastleProviderSingleton.getInstance(), signer.getJCAContext().getProvider());
        assertTrue(((ECDSASigner) signer).getPrivateKey().getClass().getName().startsWith("org.bouncycastle."));
    }

    @Test
    void publicJwksContainsNoPrivateMaterial() {
        ManagedKey key = TestKeys.activeKey(clock);
        KeyRing ring = KeyRing.of(List.of(key, TestKeys.key(clock, clock.instant().plusSeconds(60))));

        JWKSet jwks = ring.publicJwks(clock.instant(), LIFETIME, SKEW);

        assertEquals(2, jwks.getKeys().size());
        jwks.getKeys().forEach(jwk -> assertFalse(jwk.isPrivate(), jwk.getKeyID()));
        String json = jwks.toString(false);
        assertFalse(json.contains("\"d\""), json);
        assertFalse(json.contains(key.privateJwk().getD().toString()));
    }

    @Test
    void managedKeyToStringNeverShowsThePrivateKey() {
        ManagedKey key = TestKeys.activeKey(clock);
        KeyRing ring = KeyRing.of(List.of(key));

        assertTrue(key.toString().contains(key.kid()));
        assertFalse(key.toString().contains(key.privateJwk().getD().toString()));
        assertFalse(ring.toString().contains(key.privateJwk().getD().toString()));
    }

    @Test
    void ofWhenDuplicateKidThenRejected() {
        ManagedKey key = TestKeys.activeKey(clock);
        ManagedKey sameKeyLater = new ManagedKey(key.privateJwk(), key.createdAt(), key.activatesAt().plusSeconds(5));

        assertThrows(IllegalArgumentException.class, () -> KeyRing.of(List.of(key, sameKeyLater)));
        assertThrows(IllegalArgumentException.class, () -> KeyRing.of(List.of(key)).with(sameKeyLater));
    }

    @Test
    void managedKeyWhenPublicOnlyThenRejected() {
        ManagedKey key = TestKeys.activeKey(clock);

        assertThrows(IllegalArgumentException.class,
                () -> new ManagedKey(key.privateJwk().toPublicJWK(), key.createdAt(), key.activatesAt()));
    }
}
