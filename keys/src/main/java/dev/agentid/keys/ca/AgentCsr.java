package dev.agentid.keys.ca;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import java.security.KeyPair;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The agent's side: a PKCS#10 certificate signing request for its own key, signed with that key
 * (the proof of possession the {@link AgentCa} checks), with subject {@code CN=<agentId>}.
 */
public final class AgentCsr {

    private AgentCsr() {
    }

    /**
     * A CSR for the agent's P-256 key (the private JWK of {@code agent-key}), signed SHA256withECDSA by
     * BouncyCastle.
     *
     * @throws IllegalArgumentException for a public-only key or an invalid agent id
     */
    public static PKCS10CertificationRequest create(ECKey agentKey, String agentId) {
        Objects.requireNonNull(agentKey, "agentKey");
        if (!agentKey.isPrivate()) {
            throw new IllegalArgumentException("a CSR is signed with the agent's private key");
        }
        try {
            // the JDK's key factory encodes the named curve (RFC 5480); a key made from a plain
            // ECParameterSpec by BouncyCastle would carry explicit curve parameters
            return create(agentKey.toKeyPair(), agentId);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the agent key cannot be used: " + e.getMessage(), e);
        }
    }

    /**
     * A CSR for an EC or RSA key pair, signed SHA256withECDSA or SHA256withRSA by BouncyCastle.
     *
     * @throws IllegalArgumentException for an invalid agent id or an unsupported key
     */
    public static PKCS10CertificationRequest create(KeyPair keyPair, String agentId) {
        Objects.requireNonNull(keyPair, "keyPair");
        AgentCa.checkAgentId(agentId);
        String algorithm = switch (keyPair.getPublic().getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> throw new IllegalArgumentException("unsupported key algorithm "
                    + keyPair.getPublic().getAlgorithm());
        };
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, agentId).build();
        try {
            return new JcaPKCS10CertificationRequestBuilder(subject, keyPair.getPublic())
                    .build(new JcaContentSignerBuilder(algorithm)
                            .setProvider(BouncyCastleProviderSingleton.getInstance())
                            .build(keyPair.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new IllegalArgumentException("cannot sign the CSR: " + e.getMessage(), e);
        }
    }
}
