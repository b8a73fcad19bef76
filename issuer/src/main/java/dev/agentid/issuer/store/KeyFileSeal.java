package dev.agentid.issuer.store;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * Seals the cluster's signing key file before it enters the replicated {@code keys} cache, so private keys are never
 * replicated, nor persisted by the cache's file store, in the clear (even though cluster traffic is encrypted as well):
 * the file becomes a compact JWE ({@code alg dir}, {@code enc A256GCM}, Nimbus JOSE) under a key derived from the
 * cluster secret, and replicas compare files by an HMAC-SHA256 under another derived key (a plain hash of a key file
 * would let anyone who sees it test guesses). A value sealed under another secret, or altered, does not open.
 */
final class KeyFileSeal {

    /** JWE content type of the sealed file; checked on open so no other JWE under the same key is taken for it. */
    static final String CONTENT_TYPE = "agentid-signing-keys+json";

    private final SecretKey wrapKey;
    private final SecretKey digestKey;

    KeyFileSeal(SecretKey wrapKey, SecretKey digestKey) {
        this.wrapKey = Objects.requireNonNull(wrapKey);
        this.digestKey = Objects.requireNonNull(digestKey);
    }

    static KeyFileSeal of(ClusterSettings cluster) {
        return new KeyFileSeal(cluster.secret().keyWrapKey(cluster.clusterName()),
                cluster.secret().keyFileDigestKey(cluster.clusterName()));
    }

    /** The cache value for the key file {@code json}. */
    SharedKeyFile seal(String json) {
        try {
            JWEObject jwe = new JWEObject(new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM)
                    .contentType(CONTENT_TYPE).build(), new Payload(json));
            jwe.encrypt(new DirectEncrypter(wrapKey));
            return new SharedKeyFile(jwe.serialize(), digest(json), null);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot seal the signing key file", e);
        }
    }

    /**
     * The key file inside {@code sealed}.
     *
     * @throws IllegalStateException (never quoting the content) if it was sealed under another cluster secret, was
     *         altered, or is not a sealed key file
     */
    String open(SharedKeyFile sealed) {
        try {
            JWEObject jwe = JWEObject.parse(sealed.wrapped());
            if (!JWEAlgorithm.DIR.equals(jwe.getHeader().getAlgorithm())
                    || !EncryptionMethod.A256GCM.equals(jwe.getHeader().getEncryptionMethod())
                    || !CONTENT_TYPE.equals(jwe.getHeader().getContentType())) {
                throw new IllegalStateException("the cluster's signing key file is not sealed the way this issuer"
                        + " seals it");
            }
            jwe.decrypt(new DirectDecrypter(wrapKey));
            String json = jwe.getPayload().toString();
            if (!MessageDigest.isEqual(digest(json).getBytes(StandardCharsets.US_ASCII),
                    sealed.digest().getBytes(StandardCharsets.US_ASCII))) {
                throw new IllegalStateException("the cluster's signing key file does not match its digest");
            }
            return json;
        } catch (ParseException | JOSEException e) {
            throw new IllegalStateException("cannot open the cluster's signing key file: it was sealed with another"
                    + " cluster secret (ISSUER_CLUSTER_SECRET_FILE) or altered");
        }
    }

    /** HMAC-SHA256 of the key file under the digest key, hex. */
    String digest(String json) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(digestKey);
            return HexFormat.of().formatHex(mac.doFinal(json.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
