package dev.agentid.interop.federation;

import com.nimbusds.jwt.SignedJWT;
import dev.agentid.interop.HttpResult;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.NodeJose;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.interop.TokenResponse;
import dev.agentid.verifier.Actor;
import dev.agentid.verifier.AgentTokenVerifier;
import dev.agentid.verifier.VerifiedAgentToken;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Human principals against a real OpenID Provider: panva/oidc-provider on loopback, an issuer process that
 * trusts it (ISSUER_TRUST_FILE identity_providers), and a second provider that it does not trust. A human logs in
 * (a real authorization-code flow); an agent allowed to act for her exchanges her id_token and gets a token whose
 * sub is the human and whose first actor is the agent; verifier-lib and Node jose accept it.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class HumanPrincipalIT {

    static final String API = "https://api.example";
    /** The RFC 8707 resource this issuer is at the IdP (the aud of the IdP's RFC 9068 access tokens). */
    static final String RESOURCE = "https://agentid.example/issuer";
    static final String ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

    static OidcProviderProcess idp;
    static OidcProviderProcess untrustedIdp;
    static IssuerProcess issuer;
    static TestAgents agents;
    static Agent assistant;   // acts for alice
    static Agent helpdesk;    // acts for the support group
    static Agent stranger;    // acts for nobody
    static Agent worker;      // the assistant hands work to it

    @BeforeAll
    static void start() throws Exception {
        idp = OidcProviderProcess.start();
        untrustedIdp = OidcProviderProcess.start();
        Path trust = Files.createTempFile(Files.createDirectories(
                dev.agentid.interop.Interop.targetDir().resolve("issuer-data")), "human-trust-", ".json");
        Files.writeString(trust, "{\"identity_providers\": [{\"issuer\": \"" + idp.issuer() + "\", \"audience\": [\""
                + idp.clientId() + "\", \"" + RESOURCE + "\"], \"groups_claim\": \"groups\"}]}");
        issuer = IssuerProcess.named("human").env("ISSUER_TRUST_FILE", trust.toString())
                .env("ISSUER_FEDERATION_LOOPBACK_HTTP", "true").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
        assistant = agents.agent("assistant").scopes("files:read", "files:write").audiences(API).delegates("worker")
                .field("acts_for", Map.of("users", List.of(idp.issuer() + "#alice"))).register();
        helpdesk = agents.agent("helpdesk").scopes("tickets:read").audiences(API)
                .field("acts_for", Map.of("groups", List.of(idp.issuer() + "#support"))).register();
        stranger = agents.agent("stranger").scopes("files:read").audiences(API).register();
        worker = agents.agent("worker").scopes("files:read").audiences(API).register();
    }

    @AfterAll
    static void stop() {
        if (issuer != null) {
            issuer.close();
        }
        if (idp != null) {
            idp.close();
        }
        if (untrustedIdp != null) {
            untrustedIdp.close();
        }
    }

    static HttpResult exchangeHuman(Agent agent, String humanToken, String type) {
        Map<String, String> form = new LinkedHashMap<>(agent.exchangeForm(humanToken, null, null));
        form.put("subject_token_type", type);
        form.values().removeIf(java.util.Objects::isNull);
        return agents.http().postForm(issuer.tokenEndpoint(), form, null);
    }

    static AgentTokenVerifier verifier() throws Exception {
        return AgentTokenVerifier.builder().trustIssuer(issuer.issuer(), issuer.jwksUri().toURL()).audience(API)
                .build();
    }

    static void assertRefused(HttpResult result, String description) {
        assertEquals(400, result.status(), result.describe());
        assertEquals(Map.of("error", "invalid_request", "error_description", description), result.json());
    }

    @Test
    void agentActingForTheHumanGetsATokenWhoseSubIsTheHumanAndWhoseFirstActorIsTheAgent() throws Exception {
        String idToken = idp.idToken("alice", null);
        Instant idTokenExp = SignedJWT.parse(idToken).getJWTClaimsSet().getExpirationTime().toInstant();
        TokenResponse response = TokenResponse.of(exchangeHuman(assistant, idToken, ID_TOKEN_TYPE));
        String human = idp.issuer() + "#alice";
        try (AgentTokenVerifier verifier = verifier()) {
            VerifiedAgentToken token = verifier.verify(response.accessToken());
            assertEquals(human, token.principal());
            assertEquals(List.of(new Actor("assistant", issuer.issuer())), token.chain().actors());
            assertFalse(token.expiresAt().isAfter(idTokenExp), "never outlives the id_token");
            // the agent hands work on: the human stays the principal, the chain grows
            String delegated = worker.exchanged(response.accessToken(), "files:read", null);
            VerifiedAgentToken next = verifier.verify(delegated);
            assertEquals(human, next.principal());
            assertEquals(List.of(new Actor("worker", issuer.issuer()), new Actor("assistant", issuer.issuer())),
                    next.chain().actors());
            List<NodeJose.Verdict> jose = NodeJose.verify(issuer.metadataUri(), API,
                    List.of(response.accessToken(), delegated));
            for (NodeJose.Verdict verdict : jose) {
                assertTrue(verdict.ok(), "jose: " + verdict.code());
                assertEquals(human, verdict.payload().get("sub"));
            }
        }
    }

    @Test
    void agentSharingAGroupExchangesTheHumansRfc9068AccessToken() throws Exception {
        Map<String, Object> tokens = idp.login("bob", "support,staff", RESOURCE);
        String accessToken = (String) tokens.get("access_token");
        assertEquals("at+jwt", SignedJWT.parse(accessToken).getHeader().getType().getType());
        TokenResponse response = TokenResponse.of(exchangeHuman(helpdesk, accessToken, TestAgents.ACCESS_TOKEN_TYPE));
        try (AgentTokenVerifier verifier = verifier()) {
            VerifiedAgentToken token = verifier.verify(response.accessToken());
            assertEquals(idp.issuer() + "#bob", token.principal());
            assertEquals(List.of(new Actor("helpdesk", issuer.issuer())), token.chain().actors());
            assertEquals(java.util.Set.of("tickets:read"), token.scopes());
        }
    }

    @Test
    void agentNotActingForTheHumanIsRefused() {
        assertRefused(exchangeHuman(stranger, idp.idToken("alice", "support"), ID_TOKEN_TYPE),
                "agent 'stranger' may not act for user '" + idp.issuer() + "#alice'");
    }

    @Test
    void idTokenOfAnUntrustedProviderIsRefused() {
        assertRefused(exchangeHuman(assistant, untrustedIdp.idToken("alice", null), ID_TOKEN_TYPE),
                "subject_token was not issued by a trusted identity provider");
    }
}
