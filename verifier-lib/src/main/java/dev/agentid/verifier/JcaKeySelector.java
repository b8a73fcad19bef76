package dev.agentid.verifier;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;

import java.security.Key;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Nimbus' {@link JWSVerificationKeySelector}, matching the same keys, but handing out each JWK as the
 * Java key {@link JcaKeys} converted once (a BouncyCastle key for EC) instead of a fresh JDK key per
 * verification. Use it wherever a JWS is verified with BouncyCastle on the request path.
 */
public class JcaKeySelector<C extends SecurityContext> extends JWSVerificationKeySelector<C> {

    public JcaKeySelector(JWSAlgorithm algorithm, JWKSource<C> source) {
        super(algorithm, source);
    }

    public JcaKeySelector(Set<JWSAlgorithm> algorithms, JWKSource<C> source) {
        super(algorithms, source);
    }

    @Override
    public List<Key> selectJWSKeys(JWSHeader header, C context) throws KeySourceException {
        JWKMatcher matcher = createJWKMatcher(header);
        if (matcher == null) {
            return List.of();
        }
        List<JWK> jwks = getJWKSource().get(new JWKSelector(matcher), context);
        List<Key> keys = new ArrayList<>(jwks.size());
        for (JWK jwk : jwks) {
            Key key = JcaKeys.publicKey(jwk);
            if (key != null) {
                keys.add(key);
            }
        }
        return keys;
    }
}
