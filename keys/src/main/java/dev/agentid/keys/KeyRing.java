package dev.agentid.keys;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.security.Provider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable, thread-safe snapshot of the signing keys.
 *
 * <p>There is no status field: every state is derived from the timestamps at the instant asked about.
 * Keys are ordered by {@code activatesAt} (ties: {@code createdAt}, then kid).
 * <ul>
 *   <li>The <em>signing key</em> at {@code now} is the last key in that order with
 *       {@code activatesAt <= now}.</li>
 *   <li>A key is <em>superseded</em> at the {@code activatesAt} of the next key in that order, once that
 *       key has activated.</li>
 *   <li>Published at {@code now}: every pending key (so JWKS caches hold it before it signs), the signing
 *       key, and every superseded key until {@code supersededAt + maxTokenLifetime + clockSkew}
 *       (inclusive), after which all tokens it signed are expired even for a lenient verifier.</li>
 * </ul>
 */
public final class KeyRing {

    /**
     * The order keys take over signing in. Times are whole seconds, so two keys can tie; the sorts are
     * stable and new keys are appended, so on a tie the key added last (the newest rotation) wins.
     */
    static final Comparator<ManagedKey> ACTIVATION_ORDER = Comparator.comparing(ManagedKey::activatesAt)
            .thenComparing(ManagedKey::createdAt);

    /** The signing key at an instant, with its ready-made signer. */
    public record ActiveSigner(String keyId, JWSAlgorithm algorithm, JWSSigner signer) {
    }

    private final List<ManagedKey> keys;
    private final Map<String, JWSSigner> signers;

    private KeyRing(List<ManagedKey> sorted, Map<String, JWSSigner> signers) {
        this.keys = sorted;
        this.signers = signers;
    }

    /**
     * A ring of these keys. Creates one BouncyCastle-backed signer per key here, once.
     *
     * @throws IllegalArgumentException on duplicate kids or a key that cannot sign
     */
    public static KeyRing of(List<ManagedKey> keys) {
        Objects.requireNonNull(keys, "keys");
        List<ManagedKey> sorted = new ArrayList<>(keys);
        sorted.forEach(k -> Objects.requireNonNull(k, "key"));
        sorted.sort(ACTIVATION_ORDER);
        Provider bc = BouncyCastleProviderSingleton.getInstance();
        Map<String, JWSSigner> signers = new HashMap<>();
        for (ManagedKey key : sorted) {
            if (signers.containsKey(key.kid())) {
                throw new IllegalArgumentException("duplicate kid " + key.kid());
            }
            try {
                ECDSASigner signer = new ECDSASigner(key.privateJwk().toECPrivateKey(bc), Curve.P_256);
                signer.getJCAContext().setProvider(bc);
                signers.put(key.kid(), signer);
            } catch (JOSEException e) {
                // Nimbus' messages describe the problem, not the key; still, do not chain the cause text.
                throw new IllegalArgumentException("key " + key.kid() + " cannot sign ES256");
            }
        }
        return new KeyRing(List.copyOf(sorted), Map.copyOf(signers));
    }

    /** All keys, in activation order. */
    public List<ManagedKey> keys() {
        return keys;
    }

    public Optional<ManagedKey> find(String kid) {
        return keys.stream().filter(k -> k.kid().equals(kid)).findFirst();
    }

    /** The key that signs at {@code now}, if any. */
    public Optional<ManagedKey> findSigningKey(Instant now) {
        ManagedKey current = null;
        for (ManagedKey key : keys) {
            if (key.activatesAt().isAfter(now)) {
                break;
            }
            current = key;
        }
        return Optional.ofNullable(current);
    }

    /**
     * The key that signs at {@code now}.
     *
     * @throws IllegalStateException if no key has activated yet
     */
    public ManagedKey signingKey(Instant now) {
        return findSigningKey(now).orElseThrow(() -> new IllegalStateException(
                "no signing key is active at " + now + " (" + keys.size() + " keys, none activated yet)"));
    }

    /** The kid of {@link #signingKey(Instant)}. */
    public String signingKeyId(Instant now) {
        return signingKey(now).kid();
    }

    /** The (cached, thread-safe) ES256 signer of {@link #signingKey(Instant)}, on BouncyCastle. */
    public JWSSigner signer(Instant now) {
        return signers.get(signingKey(now).kid());
    }

    /** Key ID and signer of the same key, picked once, for building a JWS header and signing it. */
    public ActiveSigner activeSigner(Instant now) {
        ManagedKey key = signingKey(now);
        return new ActiveSigner(key.kid(), JWSAlgorithm.ES256, signers.get(key.kid()));
    }

    /** The state of every key at {@code now}, in activation order. */
    public List<KeyStatus> status(Instant now, Duration maxTokenLifetime, Duration clockSkew) {
        Duration retention = retention(maxTokenLifetime, clockSkew);
        List<KeyStatus> result = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            ManagedKey key = keys.get(i);
            if (key.activatesAt().isAfter(now)) {
                result.add(new KeyStatus(key, KeyState.PENDING, Optional.empty(), Optional.empty()));
                continue;
            }
            ManagedKey next = i + 1 < keys.size() ? keys.get(i + 1) : null;
            if (next == null || next.activatesAt().isAfter(now)) {
                result.add(new KeyStatus(key, KeyState.ACTIVE, Optional.empty(), Optional.empty()));
                continue;
            }
            Instant supersededAt = next.activatesAt();
            Instant publishedUntil = supersededAt.plus(retention);
            KeyState state = now.isAfter(publishedUntil) ? KeyState.EXPIRED : KeyState.RETIRED;
            result.add(new KeyStatus(key, state, Optional.of(supersededAt), Optional.of(publishedUntil)));
        }
        return result;
    }

    /**
     * The public JWK set to serve at {@code now}: the signing key first, then pending keys, then
     * retired keys (newest first). Never contains private parameters.
     *
     * @param maxTokenLifetime the longest lifetime of any token the issuer signs
     * @param clockSkew the clock skew verifiers may tolerate past {@code exp}
     */
    public JWKSet publicJwks(Instant now, Duration maxTokenLifetime, Duration clockSkew) {
        List<KeyStatus> status = status(now, maxTokenLifetime, clockSkew);
        List<JWK> published = new ArrayList<>();
        status.stream().filter(s -> s.state() == KeyState.ACTIVE).forEach(s -> published.add(s.key().publicJwk()));
        status.stream().filter(s -> s.state() == KeyState.PENDING).forEach(s -> published.add(s.key().publicJwk()));
        for (int i = status.size() - 1; i >= 0; i--) {
            if (status.get(i).state() == KeyState.RETIRED) {
                published.add(status.get(i).key().publicJwk());
            }
        }
        return new JWKSet(published);
    }

    /** This ring without the keys that are {@link KeyState#EXPIRED} at {@code now}. */
    public KeyRing prune(Instant now, Duration maxTokenLifetime, Duration clockSkew) {
        List<KeyStatus> status = status(now, maxTokenLifetime, clockSkew);
        if (status.stream().allMatch(KeyStatus::published)) {
            return this;
        }
        List<ManagedKey> kept = status.stream().filter(KeyStatus::published).map(KeyStatus::key).toList();
        Map<String, JWSSigner> keptSigners = new HashMap<>();
        kept.forEach(k -> keptSigners.put(k.kid(), signers.get(k.kid())));
        return new KeyRing(kept, Map.copyOf(keptSigners));
    }

    /** This ring plus one key (its signer is created once, the others are reused). */
    public KeyRing with(ManagedKey key) {
        Objects.requireNonNull(key, "key");
        if (signers.containsKey(key.kid())) {
            throw new IllegalArgumentException("duplicate kid " + key.kid());
        }
        KeyRing added = of(List.of(key));
        List<ManagedKey> all = new ArrayList<>(keys);
        all.add(key);
        all.sort(ACTIVATION_ORDER);
        Map<String, JWSSigner> allSigners = new HashMap<>(signers);
        allSigners.putAll(added.signers);
        return new KeyRing(List.copyOf(all), Map.copyOf(allSigners));
    }

    private static Duration retention(Duration maxTokenLifetime, Duration clockSkew) {
        Objects.requireNonNull(maxTokenLifetime, "maxTokenLifetime");
        Objects.requireNonNull(clockSkew, "clockSkew");
        if (maxTokenLifetime.isNegative() || clockSkew.isNegative()) {
            throw new IllegalArgumentException("maxTokenLifetime and clockSkew must not be negative");
        }
        return maxTokenLifetime.plus(clockSkew);
    }

    @Override
    public String toString() {
        return "KeyRing" + keys;
    }
}
