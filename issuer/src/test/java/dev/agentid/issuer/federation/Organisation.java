package dev.agentid.issuer.federation;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.verifier.ChainEvidence;
import dev.agentid.verifier.DelegationChain;
import dev.agentid.verifier.TokenVerificationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One organisation of a federation test: an in-process issuer with its own data and trust file. */
final class Organisation implements AutoCloseable {

    static final String JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final String JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

    final String name;
    final TestIssuer issuer;
    final Path trustFile;
    private JsonArray partners = new JsonArray();
    private JsonArray identityProviders = new JsonArray();

    private Organisation(String name, TestIssuer issuer, Path trustFile) {
        this.name = name;
        this.issuer = issuer;
        this.trustFile = trustFile;
    }

    /** An issuer with an empty trust file; partners are added once their URLs are known. */
    static Organisation start(String name, Path dir) {
        return start(name, dir, Map.of());
    }

    static Organisation start(String name, Path dir, Map<String, String> extra) {
        try {
            Path data = dir.resolve(name);
            Files.createDirectories(data);
            Path trust = dir.resolve(name + "-trust.json");
            Files.writeString(trust, "{\"partners\": []}");
            Map<String, String> values = new java.util.HashMap<>(Map.of(
                    "ISSUER_TRUST_FILE", trust.toString(),
                    "ISSUER_PARTNER_STATUS_REFRESH_MILLIS", "1000"));
            values.putAll(extra);
            TestIssuer issuer = TestIssuer.start(data, new MutableClock(), 0, values);
            return new Organisation(name, issuer, trust);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url() {
        return issuer.url;
    }

    FederationService federation() {
        return issuer.server.federation();
    }

    /** Trusts {@code partner}: {@code agents} maps its agent ids to ours; {@code scopes} caps its chains. */
    Organisation trust(Organisation partner, Map<String, List<String>> agents, String... scopes) {
        return trust(partner.url(), agents, scopes);
    }

    Organisation trust(String partnerIssuer, Map<String, List<String>> agents, String... scopes) {
        JsonObject map = new JsonObject();
        agents.forEach((k, v) -> map.put(k, new JsonArray(v)));
        partners.add(new JsonObject().put("issuer", partnerIssuer).put("agents", map)
                .put("scopes", new JsonArray(List.of(scopes))).put("subjects", new JsonArray(List.of("user:*"))));
        return this;
    }

    /** Sets the last partner's {@code subjects} (the principals a chain starting there may carry). */
    Organisation subjects(String... patterns) {
        partners.getJsonObject(partners.size() - 1).put("subjects", new JsonArray(List.of(patterns)));
        return this;
    }

    /** Sets the last partner's {@code subjects}, strings and proof entries ({@code {"idp", "proof", ...}}). */
    Organisation subjects(JsonArray entries) {
        partners.getJsonObject(partners.size() - 1).put("subjects", entries.copy());
        return this;
    }

    /** Trusts an OpenID Provider for human principals ({@code identity_providers}). */
    Organisation identityProvider(JsonObject entry) {
        identityProviders.add(entry.copy());
        return this;
    }

    /** Lists our {@code agents} in the last partner's {@code outbound_agents} (outbound policy). */
    Organisation outbound(String... agents) {
        partners.getJsonObject(partners.size() - 1).put("outbound_agents", new JsonArray(List.of(agents)));
        return this;
    }

    /** Forgets every partner (call {@link #apply()} after). */
    Organisation distrustAll() {
        partners = new JsonArray();
        return this;
    }

    /** Writes the trust file and reloads it now (discovery included), as the poller would. */
    Organisation apply() {
        try {
            Files.writeString(trustFile, new JsonObject().put("partners", partners)
                    .put("identity_providers", identityProviders).encodePrettily());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        federation().partners().reload();
        List<JsonObject> providers = new java.util.ArrayList<>();
        identityProviders.forEach(o -> providers.add((JsonObject) o));
        ((dev.agentid.issuer.federation.idp.HumanPrincipals) federation().humans()).sync(providers);
        return this;
    }

    /** Identity chaining step 1: a grant for {@code partner}; fails the test if refused. */
    String grantFor(Organisation partner, TestAgent agent, String subjectToken, String... extra) {
        TestIssuer.Response r = requestGrant(partner, agent, subjectToken, extra);
        assertEquals(200, r.status(), r.body());
        JsonObject body = r.json();
        assertEquals(JWT_TOKEN_TYPE, body.getString("issued_token_type"));
        assertEquals("N_A", body.getString("token_type"));
        return body.getString("access_token");
    }

    TestIssuer.Response requestGrant(Organisation partner, TestAgent agent, String subjectToken, String... extra) {
        String[] all = new String[extra.length + 2];
        all[0] = "audience";
        all[1] = partner.url();
        System.arraycopy(extra, 0, all, 2, extra.length);
        return issuer.exchange(agent, subjectToken, all);
    }

    /** Identity chaining step 2 at this organisation. */
    TestIssuer.Response redeem(TestAgent agent, String grant, String... extra) {
        Map<String, String> params = issuer.as(agent, "grant_type", JWT_BEARER_GRANT);
        if (grant != null) {
            params.put("assertion", grant);
        }
        for (int i = 0; i < extra.length; i += 2) {
            params.put(extra[i], extra[i + 1]);
        }
        return issuer.token(params);
    }

    String redeemed(TestAgent agent, String grant, String... extra) {
        TestIssuer.Response r = redeem(agent, grant, extra);
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }

    /** Signs claims with this organisation's current issuer key (to forge grants that fail later checks). */
    String sign(JOSEObjectType typ, JWTClaimsSet claims) {
        ECKey key = KeyStoreFile.in(issuer.dataDir).load().signingKey(Instant.now()).privateJwk();
        return sign(typ, claims, key, key.getKeyID());
    }

    /** This organisation's current signing key (a hostile partner signs what it likes with it). */
    ECKey key() {
        return KeyStoreFile.in(issuer.dataDir).load().signingKey(Instant.now()).privateJwk();
    }

    /** Signs a grant with this organisation's key, after adding its receipt for the hop to the grant's audience. */
    String signGrant(JWTClaimsSet.Builder claims, String... earlierReceipts) {
        ECKey key = key();
        return sign(FederationService.GRANT_JOSE_TYPE, withReceipt(claims, key, List.of(earlierReceipts)).build(), key,
                key.getKeyID());
    }

    /**
     * Adds to a grant the receipts {@code earlier} and a receipt signed with {@code key} by the grant's {@code iss} for
     * the hop to its {@code aud}, over its {@code sub} and {@code act} (section 6.12).
     */
    static JWTClaimsSet.Builder withReceipt(JWTClaimsSet.Builder claims, ECKey key, List<String> earlier) {
        try {
            JWTClaimsSet c = claims.build();
            DelegationChain chain = DelegationChain.fromActClaim(c.getClaim("act"), 10);
            String receipt = receipt(c.getIssuer(), c.getAudience().get(0), c.getSubject(), chain,
                    earlier.isEmpty() ? null : earlier.get(earlier.size() - 1), key);
            List<String> all = new java.util.ArrayList<>(earlier);
            all.add(receipt);
            return claims.claim(ChainEvidence.CLAIM, all);
        } catch (TokenVerificationException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A receipt as issuer {@code from} signs it for the hop to {@code to}, here signed with {@code key}. */
    static String receipt(String from, String to, String subject, DelegationChain covered, String previous,
                          ECKey key) {
        return sign(ChainEvidence.RECEIPT_JOSE_TYPE, ChainEvidence.receiptClaims(from, to,
                java.util.UUID.randomUUID().toString(), Instant.now(), subject, covered, previous), key,
                key.getKeyID());
    }

    static String sign(JOSEObjectType typ, JWTClaimsSet claims, ECKey key, String kid) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(typ).keyID(kid).build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        issuer.close();
    }
}
