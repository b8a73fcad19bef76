package dev.agentid.issuer.binding;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.oauth2.sdk.dpop.verifiers.DPoPProofUse;
import com.nimbusds.oauth2.sdk.util.singleuse.AlreadyUsedException;
import com.nimbusds.oauth2.sdk.util.singleuse.SingleUseChecker;
import dev.agentid.issuer.store.ReplayCache;
import io.vertx.core.Future;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Objects;

/**
 * The single-use check of one DPoP proof, split in two because the Nimbus SDK's {@link SingleUseChecker} is
 * synchronous while the issuer's {@link ReplayCache} is asynchronous (and shared across the cluster).
 *
 * <p>{@link #markAsUsed} is called by the SDK's verifier only after the proof's signature and every other claim
 * check passed; it records the use and accepts it. {@link #commit} then asks the replay cache, off the SDK's call
 * stack, whether the proof's {@code jti} is seen for the first time: an atomic put-if-absent that holds the key until
 * the proof could no longer be accepted anyway. One instance serves one request; the proof is valid only if
 * {@code commit} answers {@code true}. Nothing blocks the event loop.
 */
final class ReplayCacheProofUse implements SingleUseChecker<DPoPProofUse> {

    private final ReplayCache replay;
    private final String keyThumbprint;
    private final Instant acceptedUntil;
    private DPoPProofUse use;

    /**
     * @param keyThumbprint the proof key's RFC 7638 thumbprint: a proof id is single-use per key
     * @param acceptedUntil until when the proof could still pass the {@code iat} window (and so must be remembered)
     */
    ReplayCacheProofUse(ReplayCache replay, String keyThumbprint, Instant acceptedUntil) {
        this.replay = Objects.requireNonNull(replay);
        this.keyThumbprint = Objects.requireNonNull(keyThumbprint);
        this.acceptedUntil = Objects.requireNonNull(acceptedUntil);
    }

    @Override
    public void markAsUsed(DPoPProofUse use) throws AlreadyUsedException {
        if (this.use != null) {
            throw new AlreadyUsedException("one proof per check");
        }
        this.use = use;
    }

    /** True exactly once per proof id and key, cluster-wide; fails if the SDK never recorded the use. */
    Future<Boolean> commit() {
        if (use == null) {
            return Future.failedFuture(new IllegalStateException("the DPoP verifier did not record the proof's use"));
        }
        return replay.firstUse("dpop:" + keyThumbprint + ":" + sha256(use.getJWTID().getValue()), acceptedUntil);
    }

    /** Proof ids are chosen by clients; hashing bounds the key size. */
    private static String sha256(String value) {
        try {
            return Base64URL.encode(MessageDigest.getInstance("SHA-256")
                    .digest(value.getBytes(StandardCharsets.UTF_8))).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
