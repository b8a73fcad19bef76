package dev.agentid.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct ES256 verifier on what reaches it without {@link CompactJws}' checks (e.g. a status list token). */
class Es256VerificationTest {

    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.ES256);
    private static final byte[] INPUT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0".getBytes(StandardCharsets.US_ASCII);

    @Test
    void aSignatureSmuggledPastTheAlphabetIsRefusedNotSkipped() throws Exception {
        ECKey key = TestTokens.KEY;
        ECDSASigner signer = new ECDSASigner(key);
        signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        String signature = signer.sign(HEADER, INPUT).toString();
        JWSVerifier verifier = Es256Verification.forKey(key.toECPublicKey());

        assertTrue(verifier.verify(HEADER, INPUT, new Base64URL(signature)), "the signature as made");
        // a lenient decoder drops characters outside base64url and would accept these as the same signature
        for (String smuggled : new String[] {signature.substring(0, 20) + "!" + signature.substring(20),
                signature.substring(0, 40) + " " + signature.substring(40), signature + ".", "+" + signature}) {
            assertFalse(verifier.verify(HEADER, INPUT, new Base64URL(smuggled)), smuggled);
        }
    }
}
