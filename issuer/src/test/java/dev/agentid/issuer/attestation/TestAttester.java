package dev.agentid.issuer.attestation;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.X509CertUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A client attester for tests: its signing key (and, for an X.509 attester, a root CA and a leaf
 * certificate), its entry of the attesters file, and client attestations and proofs of possession on
 * demand. Fixture factories return pre-filled builders so a test only states what differs.
 */
public final class TestAttester {

    public static final String DIGEST_A = "sha256:" + "a1".repeat(32);
    public static final String DIGEST_B = "sha256:" + "b2".repeat(32);

    public final String issuer;
    public final ECKey key;
    private final X509Certificate root;
    private final X509Certificate leaf;

    private TestAttester(String issuer, ECKey key, X509Certificate root, X509Certificate leaf) {
        this.issuer = issuer;
        this.key = key;
        this.root = root;
        this.leaf = leaf;
    }

    /** An attester trusted by its JWK set. */
    public static TestAttester jwks(String issuer) {
        return new TestAttester(issuer, newKey(), null, null);
    }

    /** An attester trusted by its X.509 root: attestations carry x5c = [leaf, root]. */
    public static TestAttester x509(String issuer, Instant now) {
        try {
            ECKey rootKey = newKey();
            ECKey leafKey = newKey();
            X509Certificate root = certificate("CN=test attester root", rootKey, "CN=test attester root", rootKey,
                    true, now);
            X509Certificate leaf = certificate("CN=test attester", leafKey, "CN=test attester root", rootKey,
                    false, now);
            return new TestAttester(issuer, leafKey, root, leaf);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECKey newKey() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This attester's entry of the attesters file. */
    public JsonObject entry() {
        JsonObject entry = new JsonObject().put("iss", issuer);
        if (root == null) {
            entry.put("jwks", new JsonObject(new JWKSet(key.toPublicJWK()).toJSONObject()));
        } else {
            entry.put("x5c_roots", new JsonArray().add(X509CertUtils.toPEMString(root)));
        }
        return entry;
    }

    /** An attesters file trusting these attesters. */
    public static String file(long maxAgeSeconds, TestAttester... attesters) {
        JsonArray list = new JsonArray();
        for (TestAttester a : attesters) {
            list.add(a.entry());
        }
        return new JsonObject().put("max_age_seconds", maxAgeSeconds).put("attesters", list).encodePrettily();
    }

    /** A client attestation for an agent, about to be tuned. */
    public Presented attest(String agentId, Instant now) {
        return new Presented(this, agentId, now);
    }

    /** The two headers of a request: the attestation and its proof of possession. */
    public record Headers(String attestation, String pop) {
        public Map<String, String> asMap() {
            Map<String, String> map = new LinkedHashMap<>();
            if (attestation != null) {
                map.put(ClientAttestationVerifier.ATTESTATION_HEADER, attestation);
            }
            if (pop != null) {
                map.put(ClientAttestationVerifier.POP_HEADER, pop);
            }
            return map;
        }
    }

    /** A client attestation and its proof, with every claim adjustable. */
    public static final class Presented {
        private final TestAttester attester;
        public final JWTClaimsSet.Builder claims;
        public final JWTClaimsSet.Builder popClaims;
        public final ECKey instanceKey = newKey();
        public ECKey attesterKey;
        public ECKey popKey;
        public JOSEObjectType type = ClientAttestationVerifier.ATTESTATION_TYPE;
        public JOSEObjectType popType = ClientAttestationVerifier.POP_TYPE;
        public final Map<String, Object> workload = new LinkedHashMap<>();

        private Presented(TestAttester attester, String agentId, Instant now) {
            this.attester = attester;
            this.attesterKey = attester.key;
            this.popKey = instanceKey;
            workload.put("digest", DIGEST_A);
            workload.put("model", "example-model-1");
            workload.put("runtime", "python-3.12");
            claims = new JWTClaimsSet.Builder()
                    .issuer(attester.issuer).subject(agentId)
                    .issueTime(Date.from(now.minusSeconds(30)))
                    .expirationTime(Date.from(now.plusSeconds(3600)));
            popClaims = new JWTClaimsSet.Builder()
                    .issueTime(Date.from(now))
                    .jwtID(UUID.randomUUID().toString());
        }

        public Presented workload(String name, Object value) {
            if (value == null) {
                workload.remove(name);
            } else {
                workload.put(name, value);
            }
            return this;
        }

        /** The attestation JWT (typ, claims, cnf = the instance key, signed by {@link #attesterKey}). */
        public String attestationJwt() {
            JWTClaimsSet set = claims.claim("cnf", Map.of("jwk", instanceKey.toPublicJWK().toJSONObject()))
                    .claim("workload", new LinkedHashMap<>(workload)).build();
            JWSHeader.Builder header = new JWSHeader.Builder(JWSAlgorithm.ES256).type(type);
            if (attester.leaf != null) {
                try {
                    header.x509CertChain(List.of(Base64.encode(attester.leaf.getEncoded()),
                            Base64.encode(attester.root.getEncoded())));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            } else {
                header.keyID(attesterKey.getKeyID());
            }
            return sign(header.build(), set, attesterKey);
        }

        /** The PoP JWT for an issuer (aud), signed by {@link #popKey}. */
        public String popJwt(String audience) {
            JWTClaimsSet set = popClaims.audience(audience).build();
            return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).type(popType).build(), set, popKey);
        }

        public Headers headers(String audience) {
            return new Headers(attestationJwt(), popJwt(audience));
        }
    }

    static String sign(JWSHeader header, JWTClaimsSet claims, ECKey key) {
        try {
            SignedJWT jwt = new SignedJWT(header, claims);
            ECDSASigner signer = new ECDSASigner(key);
            signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate certificate(String subject, ECKey subjectKey, String issuer, ECKey issuerKey,
                                               boolean ca, Instant now) throws Exception {
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now.toEpochMilli()).add(BigInteger.valueOf(subject.hashCode() & 0xffff)),
                Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86_400 * 30L)), new X500Name(subject),
                subjectKey.toECPublicKey());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca
                ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
        return new JcaX509CertificateConverter().setProvider(BouncyCastleProviderSingleton.getInstance())
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA")
                        .setProvider(BouncyCastleProviderSingleton.getInstance()).build(issuerKey.toECPrivateKey())));
    }
}
