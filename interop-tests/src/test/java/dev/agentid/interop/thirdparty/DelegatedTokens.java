package dev.agentid.interop.thirdparty;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.bc.BouncyCastleProviderSingleton;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.DelegationChain;

import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An A → B → C delegation at a running issuer, taken with our own HTTP client, for the third-party
 * verifiers to check; and the forgeries they must refuse.
 */
record DelegatedTokens(String issuer, String a, String b, String c) {

    static final String API = "https://api.example";
    static final String MAIL = "https://mail.example";
    static final List<String> CLIENTS = List.of("agent-a", "agent-b", "agent-c");
    static final List<String> SCOPES = List.of("files:read files:write", "files:read files:write", "files:read");

    /** Registers agents A, B, C (owner of the work: user:alice) and takes A's token, then B's and C's by exchange. */
    static DelegatedTokens issue(IssuerProcess issuer) {
        TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
        Agent a = agents.agent("agent-a").owner("user:alice")
                .scopes("files:read", "files:write").audiences(API, MAIL)
                .delegates("agent-b").maxDelegationDepth(3).tokenTtlSeconds(600).register();
        Agent b = agents.agent("agent-b").owner("user:bob")
                .scopes("files:read", "files:write").audiences(API)
                .delegates("agent-c").maxDelegationDepth(3).tokenTtlSeconds(300).register();
        Agent c = agents.agent("agent-c").owner("user:carol")
                .scopes("files:read").audiences(API)
                .maxDelegationDepth(3).tokenTtlSeconds(120).register();
        String tokenA = a.token(SCOPES.get(0), API);
        String tokenB = b.exchanged(tokenA, SCOPES.get(1), null);
        String tokenC = c.exchanged(tokenB, SCOPES.get(2), null);
        return new DelegatedTokens(issuer.issuer(), tokenA, tokenB, tokenC);
    }

    List<String> all() {
        return List.of(a, b, c);
    }

    /** The {@code act} claim expected in hop 0 (A's token), 1 (B's) or 2 (C's): current actor outermost. */
    Map<String, Object> expectedAct(int hop) {
        List<Actor> currentFirst = new ArrayList<>();
        for (int i = hop; i >= 0; i--) {
            currentFirst.add(Actor.of(CLIENTS.get(i), issuer));
        }
        return DelegationChain.ofCurrentFirst(currentFirst).toActClaim();
    }

    /** {@code token} with one character of its signature changed. */
    static String tampered(String token) {
        int at = token.lastIndexOf('.') + 10;
        return token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
    }

    /**
     * The same header and claims signed with {@code key}: the work of someone who does not hold the
     * issuer's key. With {@code keepKid} the header still names the issuer's key.
     */
    static String resigned(String token, ECKey key, boolean keepKid) {
        try {
            SignedJWT original = SignedJWT.parse(token);
            JWSHeader header = new JWSHeader.Builder(original.getHeader())
                    .keyID(keepKid ? original.getHeader().getKeyID() : key.getKeyID())
                    .build();
            return sign(header, original, key);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JWS", e);
        }
    }

    /** The same claims signed with {@code key}, under its own kid and the header type {@code typ}. */
    static String resignedWithType(String token, ECKey key, String typ) {
        try {
            SignedJWT original = SignedJWT.parse(token);
            JWSHeader header = new JWSHeader.Builder(original.getHeader())
                    .keyID(key.getKeyID())
                    .type(new JOSEObjectType(typ))
                    .build();
            return sign(header, original, key);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a JWS", e);
        }
    }

    private static String sign(JWSHeader header, SignedJWT original, ECKey key) throws ParseException {
        try {
            ECDSASigner signer = new ECDSASigner(key);
            signer.getJCAContext().setProvider(BouncyCastleProviderSingleton.getInstance());
            SignedJWT forged = new SignedJWT(header, original.getJWTClaimsSet());
            forged.sign(signer);
            return forged.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
