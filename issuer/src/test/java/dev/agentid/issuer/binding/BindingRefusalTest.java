package dev.agentid.issuer.binding;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.agentid.issuer.MutableClock;
import dev.agentid.issuer.RefusalTable;
import dev.agentid.issuer.TestAgent;
import dev.agentid.issuer.TestIssuer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.agentid.issuer.RefusalTable.assertRow;
import static dev.agentid.issuer.TestAgent.agent;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One refused request per D.. (DPoP) and M.. (mutual TLS) row of the refusal table
 * (spec/refusals/token-endpoint.json), each asserting the whole JSON body; the last check proves every such row
 * was exercised. D.. and M.. rows run against a plain issuer where no client certificate is needed, and against an
 * issuer serving TLS with the agent CA otherwise.
 */
class BindingRefusalTest {

    @TempDir
    static Path dir;
    static TestIssuer issuer;
    static TestIssuer tlsIssuer;
    static TlsFixture tls;
    static final AtomicInteger SEQ = new AtomicInteger();

    @BeforeAll
    static void start() {
        issuer = TestIssuer.start(dir.resolve("plain"));
        MutableClock clock = new MutableClock();
        tls = new TlsFixture(dir.resolve("tls-material"), clock);
        tlsIssuer = TestIssuer.start(tls.issuerValues(), clock, dir.resolve("tls"), tls.anonymousClient());
    }

    @AfterAll
    static void stop() {
        issuer.close();
        tlsIssuer.close();
        assertEquals(RefusalTable.idsOf(RefusalTable.BINDING_PREFIXES),
                RefusalTable.exercisedOf(RefusalTable.BINDING_PREFIXES), "every D/M row of the refusal table has a test");
    }

    static String id(String name) {
        return name + "-refused-" + SEQ.incrementAndGet();
    }

    static String endpoint() {
        return issuer.url + "/oauth2/token";
    }

    static TestIssuer.Response send(TestIssuer to, HttpClient client, Map<String, String> params, String... proofs) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(to.url + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(TestIssuer.form(params)));
        for (String proof : proofs) {
            b.header("DPoP", proof);
        }
        return client == null ? to.send(b.build()) : to.send(client, b.build());
    }

    static TestIssuer.Response withProofs(String... proofs) {
        TestAgent a = issuer.register(agent(id("a")));
        return send(issuer, null, issuer.as(a, "grant_type", "client_credentials"), proofs);
    }

    static String signed(JWSHeader header, com.nimbusds.jwt.JWTClaimsSet claims, ECKey key) {
        return Proofs.sign(header, claims, key);
    }

    // ---- D: DPoP proofs ----

    @Test
    void d01SeveralDpopHeadersAreRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(Proofs.proof(key, endpoint()), Proofs.proof(key, endpoint())), "D01");
    }

    @Test
    void d02ProofThatIsNotAJwtIsRefused() {
        assertRow(withProofs("not-a-jwt"), "D02");
    }

    @Test
    void d03ProofWithAnotherTypIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).type(JOSEObjectType.JWT).build(),
                Proofs.claims("POST", endpoint()).build(), key)), "D03");
    }

    @Test
    void d04ProofWithAnotherAlgIsRefused() throws JOSEException {
        ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES384).type(new JOSEObjectType("dpop+jwt"))
                .jwk(p384.toPublicJWK()).build();
        assertRow(withProofs(signed(header, Proofs.claims("POST", endpoint()).build(), p384)), "D04");
    }

    @Test
    void d05ProofWithoutJwkIsRefused() {
        ECKey key = TestAgent.newKey();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256).type(new JOSEObjectType("dpop+jwt")).build();
        assertRow(withProofs(signed(header, Proofs.claims("POST", endpoint()).build(), key)), "D05");
    }

    @Test
    void d06ProofSignedByAKeyOtherThanItsJwkIsRefused() {
        ECKey shown = TestAgent.newKey();
        ECKey signer = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(shown).build(), Proofs.claims("POST", endpoint()).build(), signer)),
                "D06");
    }

    @Test
    void d07ProofForAnotherMethodIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).build(), Proofs.claims("GET", endpoint()).build(), key)),
                "D07");
    }

    @Test
    void d08ProofForAnotherUrlIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(Proofs.proof(key, issuer.url + "/oauth2/introspect")), "D08", "endpoint", endpoint());
    }

    @Test
    void d09ProofWithoutJtiIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).build(), Proofs.claims("POST", endpoint()).jwtID(null).build(),
                key)), "D09");
    }

    @Test
    void d10ProofWithANonceIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).build(), Proofs.claims("POST", endpoint())
                .claim("nonce", "made-up").build(), key)), "D10");
    }

    @Test
    void d11StaleProofIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).build(), Proofs.claims("POST", endpoint())
                .issueTime(Date.from(Instant.now().minusSeconds(600))).build(), key)), "D11", "seconds", "60");
    }

    @Test
    void d11ProofFromTheFutureIsRefused() {
        ECKey key = TestAgent.newKey();
        assertRow(withProofs(signed(Proofs.header(key).build(), Proofs.claims("POST", endpoint())
                .issueTime(Date.from(Instant.now().plusSeconds(600))).build(), key)), "D11", "seconds", "60");
    }

    @Test
    void d12ReplayedProofIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        String proof = Proofs.proof(TestAgent.newKey(), endpoint());
        assertEquals(200, send(issuer, null, issuer.as(a, "grant_type", "client_credentials"), proof).status());
        assertRow(send(issuer, null, issuer.as(a, "grant_type", "client_credentials"), proof), "D12");
    }

    @Test
    void d12ProofReplayedByAnotherAgentIsRefused() {
        TestAgent a = issuer.register(agent(id("a")));
        TestAgent b = issuer.register(agent(id("b")));
        String proof = Proofs.proof(TestAgent.newKey(), endpoint());
        assertEquals(200, send(issuer, null, issuer.as(a, "grant_type", "client_credentials"), proof).status());
        assertRow(send(issuer, null, issuer.as(b, "grant_type", "client_credentials"), proof), "D12");
    }

    @Test
    void d13DpopBoundAgentWithoutProofIsRefused() {
        TestAgent a = agent(id("a")).build();
        a.registration.put("dpop_bound_access_tokens", true);
        assertEquals(201, issuer.admin("POST", "/admin/agents", a.registration).status());
        assertRow(issuer.clientCredentials(a), "D13", "agent", a.id);
    }

    static Map<String, String> exchange(TestIssuer to, TestAgent client, String subjectToken) {
        return to.as(client, "grant_type", TestIssuer.EXCHANGE, "subject_token", subjectToken,
                "subject_token_type", TestIssuer.ACCESS_TOKEN_TYPE);
    }

    @Test
    void d14DpopBoundSubjectTokenWithoutProofByItsKeyIsRefused() {
        String bId = id("b");
        TestAgent a = issuer.register(agent(id("a")).delegates(bId));
        TestAgent b = issuer.register(agent(bId));
        TestIssuer.Response bound = send(issuer, null, issuer.as(a, "grant_type", "client_credentials"),
                Proofs.proof(TestAgent.newKey(), endpoint()));
        assertEquals(200, bound.status(), bound.body());
        assertRow(send(issuer, null, exchange(issuer, b, bound.json().getString("access_token"))), "D14");
    }

    // ---- M: mutual TLS ----

    static TestAgent registerOn(TestIssuer to, TestAgent a, boolean sanUri, boolean certificateBound) {
        if (sanUri) {
            a.registration.put("tls_client_auth_san_uri", ClientCertificates.AGENT_URI_PREFIX + a.id);
        }
        if (certificateBound) {
            a.registration.put("tls_client_certificate_bound_access_tokens", true);
        }
        TestIssuer.Response r = to.admin("POST", "/admin/agents", a.registration);
        assertEquals(201, r.status(), r.body());
        return a;
    }

    static Map<String, String> tlsClientAuth(TestAgent a) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("grant_type", "client_credentials");
        params.put("client_id", a.id);
        return params;
    }

    @Test
    void m01TlsClientAuthOfAnAgentWithoutSanUriIsRefused() {
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).build(), false, false);
        HttpClient client = tls.clientWith(a.key, tls.certificateFor(a.key, a.id));
        assertRow(send(tlsIssuer, client, tlsClientAuth(a)), "M01");
    }

    @Test
    void m01TlsClientAuthWithAnotherAgentsCertificateIsRefused() {
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).build(), true, false);
        TestAgent other = agent(id("other")).build();
        HttpClient client = tls.clientWith(other.key, tls.certificateFor(other.key, other.id));
        assertRow(send(tlsIssuer, client, tlsClientAuth(a)), "M01");
    }

    @Test
    void m02CertificateBoundAgentWithoutCertificateIsRefused() {
        TestAgent a = registerOn(issuer, agent(id("a")).build(), false, true);
        assertRow(issuer.clientCredentials(a), "M02", "agent", a.id);
    }

    @Test
    void m02CertificateBoundAgentOverTlsWithoutCertificateIsRefused() {
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).build(), false, true);
        assertRow(tlsIssuer.clientCredentials(a), "M02", "agent", a.id);
    }

    @Test
    void m03CertificateBoundAgentPresentingAnotherAgentsCertificateIsRefused() {
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).build(), false, true);
        TestAgent other = agent(id("other")).build();
        X509Certificate otherCertificate = tls.certificateFor(other.key, other.id);
        assertRow(send(tlsIssuer, tls.clientWith(other.key, otherCertificate),
                tlsIssuer.as(a, "grant_type", "client_credentials")), "M03", "agent", a.id);
    }

    @Test
    void m04DpopProofFromCertificateBoundAgentIsRefused() {
        TestAgent a = registerOn(issuer, agent(id("a")).build(), false, true);
        assertRow(send(issuer, null, issuer.as(a, "grant_type", "client_credentials"),
                Proofs.proof(TestAgent.newKey(), endpoint())), "M04", "agent", a.id);
    }

    @Test
    void m05CertificateBoundSubjectTokenWithoutItsCertificateIsRefused() {
        String bId = id("b");
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).delegates(bId).build(), false, true);
        TestAgent b = registerOn(tlsIssuer, agent(bId).build(), false, false);
        String bound = certificateBoundToken(a);
        assertRow(send(tlsIssuer, null, exchange(tlsIssuer, b, bound)), "M05");
    }

    /** Issue 10: a stolen certificate-bound token bought a fresh token from any delegate of its current actor. */
    @Test
    void stolenCertificateBoundSubjectTokenCannotBeExchangedWithoutItsCertificate() {
        String bId = id("b");
        TestAgent a = registerOn(tlsIssuer, agent(id("a")).delegates(bId).build(), false, true);
        TestAgent b = registerOn(tlsIssuer, agent(bId).build(), false, false);
        X509Certificate certificateA = tls.certificateFor(a.key, a.id);
        String stolen = certificateBoundToken(a, certificateA);
        // over TLS with the thief's own certificate: refused
        assertRow(send(tlsIssuer, tls.clientWith(b.key, tls.certificateFor(b.key, b.id)),
                exchange(tlsIssuer, b, stolen)), "M05");
        // a DPoP proof does not stand in for the certificate
        assertRow(send(tlsIssuer, null, exchange(tlsIssuer, b, stolen),
                Proofs.proof(TestAgent.newKey(), tlsIssuer.url + "/oauth2/token")), "M05");
        // over a connection that presents the very certificate: the holder may
        TestIssuer.Response held = send(tlsIssuer, tls.clientWith(a.key, certificateA), exchange(tlsIssuer, b, stolen));
        assertEquals(200, held.status(), held.body());
    }

    static String certificateBoundToken(TestAgent a) {
        return certificateBoundToken(a, tls.certificateFor(a.key, a.id));
    }

    static String certificateBoundToken(TestAgent a, X509Certificate certificate) {
        TestIssuer.Response r = send(tlsIssuer, tls.clientWith(a.key, certificate),
                tlsIssuer.as(a, "grant_type", "client_credentials"));
        assertEquals(200, r.status(), r.body());
        return r.json().getString("access_token");
    }
}
