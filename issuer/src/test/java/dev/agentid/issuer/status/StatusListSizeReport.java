package dev.agentid.issuer.status;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.verifier.status.StatusList;
import java.util.Date;
import java.util.Map;
import java.util.Random;

/**
 * Measurement, not a test: the size of a status list of 1,000,000 indices with 1% (10,000 random, fixed seed) set,
 * compressed ({@code lst} bytes) and as a signed {@code statuslist+jwt}. Run:
 * {@code java -cp issuer/target/test-classes:$(cat cp.txt) dev.agentid.issuer.status.StatusListSizeReport}.
 */
public final class StatusListSizeReport {

    public static void main(String[] args) throws Exception {
        int size = 1_000_000;
        StatusList list = StatusList.allValid(size, 1);
        Random random = new Random(42);
        int set = 0;
        while (set < size / 100) {
            int i = random.nextInt(size);
            if (list.status(i) == StatusList.VALID) {
                list.set(i, StatusList.INVALID);
                set++;
            }
        }
        String lst = list.encode(StatusLists.COMPRESSION);
        int compressed = new Base64URL(lst).decode().length;
        ECKey key = new ECKeyGenerator(Curve.P_256).keyID("k").provider(BouncyCastleProviderSingleton.getInstance())
                .generate();
        ECDSASigner signer = new ECDSASigner(key);
        signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(StatusLists.STATUSLIST_JWT)
                .keyID("k").build(), new JWTClaimsSet.Builder().issuer("https://issuer.example")
                .subject("https://issuer.example/oauth2/status/0").issueTime(new Date()).claim("ttl", 60)
                .claim("status_list", Map.of("bits", 1, "lst", lst)).build());
        jwt.sign(signer);
        System.out.printf("indices=%d set=%d uncompressed=%d bytes compressed=%d bytes lst=%d chars token=%d bytes%n",
                size, set, list.toBytes().length, compressed, lst.length(), jwt.serialize().length());
    }
}
