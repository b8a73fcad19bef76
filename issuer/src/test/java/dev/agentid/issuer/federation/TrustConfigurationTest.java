package dev.agentid.issuer.federation;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustConfigurationTest {

    @Test
    void partnerEntriesParseWithTheirPolicyAndDefaultMetadataUrl() {
        TrustConfiguration trust = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://b.example/tenant\","
                + " \"agents\": {\"b1\": [\"a1\", \"a2\"]}, \"scopes\": [\"read\"]}],"
                + " \"identity_providers\": [{\"issuer\": \"https://idp.example\", \"audience\": \"x\"}]}");
        Partner b = trust.partner("https://b.example/tenant");
        assertEquals(URI.create("https://b.example/.well-known/oauth-authorization-server/tenant"), b.metadataUrl());
        assertTrue(b.mayActFor("b1", "a2"));
        assertFalse(b.mayActFor("b1", "a3"));
        assertFalse(b.mayActFor("b2", "a1"));
        assertEquals(List.of("read"), b.scopes());
        assertEquals("x", trust.identityProviders().get(0).getString("audience"));
    }

    @Test
    void unsafeOrAmbiguousTrustFilesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse("[]"));
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse("{\"partner\": []}"));
        assertThrows(IllegalArgumentException.class,
                () -> TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"http://b.example\"}]}"));
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse(
                "{\"partners\": [{\"issuer\": \"https://b.example\"}, {\"issuer\": \"https://b.example\"}]}"));
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse(
                "{\"partners\": [{\"issuer\": \"https://b.example\", \"agents\": {\"b1\": \"a1\"}}]}"));
        assertEquals(1, TrustConfiguration.parse(
                "{\"partners\": [{\"issuer\": \"http://127.0.0.1:9001\"}]}").partners().size());
    }

    @Test
    void sharedSignalsReceiversParseAndSayWhichAgentsConcernThem() {
        TrustConfiguration trust = TrustConfiguration.parse("{\"ssf_receivers\": [{\"endpoint\":"
                + " \"https://b.example/ssf/events\", \"audience\": \"https://b.example\","
                + " \"agent_audiences\": [\"https://api.b.example\"]}, {\"endpoint\": \"https://c.example/ssf\","
                + " \"audience\": \"c\", \"agent_audiences\": [\"*\"]}]}");
        SignalReceiver b = trust.signalReceivers().get(0);
        assertEquals(URI.create("https://b.example/ssf/events"), b.endpoint());
        assertTrue(b.concerns(List.of("https://api.a.example", "https://api.b.example")));
        assertFalse(b.concerns(List.of("https://api.a.example")));
        assertTrue(trust.signalReceivers().get(1).concerns(List.of("https://anything.example")));
    }

    @Test
    void sharedSignalsReceiversWithoutAudienceOrWithAnUnusableEndpointAreRefused() {
        for (String entry : List.of(
                "{\"endpoint\": \"https://b.example/ssf\", \"agent_audiences\": [\"*\"]}",
                "{\"endpoint\": \"ftp://b.example/ssf\", \"audience\": \"b\", \"agent_audiences\": [\"*\"]}",
                "{\"endpoint\": \"/ssf\", \"audience\": \"b\", \"agent_audiences\": [\"*\"]}",
                "{\"endpoint\": \"https://b.example/ssf\", \"audience\": \"b\", \"agent_audiences\": []}",
                "{\"endpoint\": \"https://b.example/ssf\", \"audience\": \"b\", \"agent_audiences\": [\"*\"],"
                        + " \"secret\": \"x\"}")) {
            assertThrows(IllegalArgumentException.class,
                    () -> TrustConfiguration.parse("{\"ssf_receivers\": [" + entry + "]}"), entry);
        }
    }

    @Test
    void externalStatusReferencesRoundTripAndStayUnderTheirIssuer() {
        ExternalStatus ref = new ExternalStatus("https://a.example", "https://a.example/oauth2/status/0", 41);
        assertEquals(ref, ExternalStatus.decode(ref.encode()));
        Partner a = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\"}]}").partners()
                .get(0);
        assertThrows(IllegalArgumentException.class, () -> ExternalStatus.fromClaim(a,
                java.util.Map.of("status_list", java.util.Map.of("idx", 1, "uri", "https://evil.example/0"))));
        assertEquals(41, ExternalStatus.fromClaim(a, java.util.Map.of("status_list",
                java.util.Map.of("idx", 41, "uri", "https://a.example/oauth2/status/0"))).idx());
    }

    @Test
    void statusListUriOutsideThePartnersPrefixIsRefused() {
        Partner a = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\", "
                + "\"status_list_prefix\": \"https://lists.a.example/s/\"}]}").partners().get(0);
        for (String uri : java.util.List.of("https://a.example/oauth2/status/0", "https://lists.a.example/s/0?x=1",
                "https://lists.a.example/s/../admin", "https://lists.a.example/s/", "https://lists.a.example/other/0")) {
            assertThrows(IllegalArgumentException.class, () -> ExternalStatus.fromClaim(a,
                    java.util.Map.of("status_list", java.util.Map.of("idx", 1, "uri", uri))), uri);
        }
        assertEquals(0, ExternalStatus.fromClaim(a, java.util.Map.of("status_list",
                java.util.Map.of("idx", 0, "uri", "https://lists.a.example/s/7"))).idx());
        assertThrows(IllegalArgumentException.class, () -> ExternalStatus.fromClaim(a, java.util.Map.of(
                "status_list", java.util.Map.of("idx", 2147483648L, "uri", "https://lists.a.example/s/7"))));
    }

    @Test
    void subjectsAPartnerMayAssertAreExactOrANamespacePrefixAndNoneWhenAbsent() {
        Partner a = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\", "
                + "\"subjects\": [\"user:*\", \"https://idp.a.example#*\", \"svc:billing\"]}]}").partners().get(0);
        assertTrue(a.mayAssert("user:alice"));
        assertTrue(a.mayAssert("https://idp.a.example#bob"));
        assertTrue(a.mayAssert("svc:billing"));
        assertFalse(a.mayAssert("svc:billing2"));
        assertFalse(a.mayAssert("https://idp.example#alice"));
        assertFalse(a.mayAssert("users:alice"));
        Partner none = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\"}]}")
                .partners().get(0);
        assertFalse(none.mayAssert("user:alice"));
        assertTrue(TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\", "
                + "\"subjects\": [\"*\"]}]}").partners().get(0).mayAssert("anything"));
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse("{\"partners\": [{\"issuer\": "
                + "\"https://a.example\", \"subjects\": [\"user:*:admin\"]}]}"));
        assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse("{\"partners\": [{\"issuer\": "
                + "\"https://a.example\", \"subjects\": \"user:*\"}]}"));
    }

    @Test
    void subjectsWithProofNameAConfiguredIdpTheClientsThereAndAnAgeAndNeedNoProofWhereAStringAllows() {
        String idps = ", \"identity_providers\": [{\"issuer\": \"https://idp.example\", \"audience\": \"b\"}]}";
        Partner a = TrustConfiguration.parse("{\"partners\": [{\"issuer\": \"https://a.example\", \"subjects\": "
                + "[\"user:*\", {\"idp\": \"https://idp.example\", \"proof\": \"required\", \"audience\": "
                + "[\"a-client\"], \"max_age\": 600}]}]" + idps).partners().get(0);
        assertTrue(a.mayAssert("user:alice"));
        assertFalse(a.mayAssert("https://idp.example#alice"));
        Partner.SubjectProof proof = a.proofFor("https://idp.example#alice");
        assertEquals(new Partner.SubjectProof("https://idp.example", java.util.Set.of("a-client"),
                java.time.Duration.ofSeconds(600)), proof);
        assertEquals(null, a.proofFor("https://idp.example.evil#alice"));
        assertEquals(null, a.proofFor("https://idp.example#"));
        assertEquals(Partner.DEFAULT_PROOF_AGE, TrustConfiguration.parse("{\"partners\": [{\"issuer\": "
                + "\"https://a.example\", \"subjects\": [{\"idp\": \"https://idp.example\", \"proof\": "
                + "\"required\", \"audience\": \"a-client\"}]}]" + idps).partners().get(0).proofs().get(0).maxAge());
        for (String entry : List.of(
                "{\"idp\": \"https://other.example\", \"proof\": \"required\", \"audience\": \"a\"}",  // no such IdP
                "{\"idp\": \"https://idp.example\", \"proof\": \"optional\", \"audience\": \"a\"}",
                "{\"idp\": \"https://idp.example\", \"audience\": \"a\"}",
                "{\"idp\": \"https://idp.example\", \"proof\": \"required\"}",                       // whose client?
                "{\"idp\": \"https://idp.example\", \"proof\": \"required\", \"audience\": []}",
                "{\"idp\": \"https://idp.example\", \"proof\": \"required\", \"audience\": \"a\", \"max_age\": 0}",
                "{\"idp\": \"https://idp.example\", \"proof\": \"required\", \"audience\": \"a\", "
                        + "\"max_age\": 86401}",
                "{\"idp\": \"https://idp.example\", \"proof\": \"required\", \"audience\": \"a\", \"x\": 1}")) {
            assertThrows(IllegalArgumentException.class, () -> TrustConfiguration.parse("{\"partners\": [{\"issuer\": "
                    + "\"https://a.example\", \"subjects\": [" + entry + "]}]" + idps), entry);
        }
    }
}
