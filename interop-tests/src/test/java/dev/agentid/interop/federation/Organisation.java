package dev.agentid.interop.federation;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One organisation of a federation test: an issuer process with its own data directory, keys, admin token and trust
 * file. The issuer identifier is fixed before any process starts (a free port chosen up front), so that every
 * organisation's trust file can name the others before they run.
 */
final class Organisation implements AutoCloseable {

    static final String JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final String JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

    final String name;
    final int port;
    final String issuer;
    final Path trustFile;
    IssuerProcess process;
    TestAgents agents;

    private Organisation(String name, int port, Path trustFile) {
        this.name = name;
        this.port = port;
        this.issuer = "http://127.0.0.1:" + port;
        this.trustFile = trustFile;
    }

    /** An organisation with a free port reserved (closed again before its issuer binds it). */
    static Organisation reserve(String name) {
        try (ServerSocket socket = new ServerSocket(0)) {
            Path dir = Files.createDirectories(Interop.targetDir().resolve("issuer-data"));
            return new Organisation(name, socket.getLocalPort(), Files.createTempFile(dir, name + "-trust-", ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the trust file (JSON text). The issuer re-reads it when it changes. */
    Organisation trust(String json) {
        try {
            Files.writeString(trustFile, json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A trust-file partner entry: {@code agents} maps the partner's agents to ours; {@code scopes} caps chains. */
    static String partner(Organisation partner, String agents, String scopes) {
        return partner(partner, agents, scopes, "[\"user:*\"]");
    }

    /** A trust-file entry; {@code subjects} the principals a chain starting at the partner may carry (section 6.11). */
    static String partner(Organisation partner, String agents, String scopes, String subjects) {
        return "{\"issuer\": \"" + partner.issuer + "\", \"agents\": " + agents + ", \"subjects\": " + subjects
                + ", \"scopes\": " + scopes + "}";
    }

    Organisation start(Map<String, String> env) {
        IssuerProcess.Launcher launcher = IssuerProcess.named(name).port(port)
                .env("ISSUER_TRUST_FILE", trustFile.toString())
                .env("ISSUER_PARTNER_STATUS_REFRESH_MILLIS", "1000")
                .env("ISSUER_FEDERATION_LOOPBACK_HTTP", "true");   // the partners are http on loopback
        env.forEach(launcher::env);
        process = launcher.start();
        if (!issuer.equals(process.issuer())) {
            throw new AssertionError(name + " runs as " + process.issuer() + ", expected " + issuer);
        }
        agents = new TestAgents(process, Clock.systemUTC());
        return this;
    }

    /** Identity chaining step 1: {@code agent}, the current actor of {@code subjectToken}, asks for a grant. */
    HttpResult grant(Agent agent, String subjectToken, Organisation partner) {
        return grant(agent, subjectToken, partner.issuer);
    }

    /** Step 1 with more parameters ({@code subject_proof}: the IdP's id_token for a human principal). */
    HttpResult grant(Agent agent, String subjectToken, Organisation partner, Map<String, String> extra) {
        return grant(agent, subjectToken, partner.issuer, extra);
    }

    /** Step 1 for a partner that is not one of these organisations (a hand-written partner). */
    HttpResult grant(Agent agent, String subjectToken, String partnerIssuer) {
        return grant(agent, subjectToken, partnerIssuer, Map.of());
    }

    HttpResult grant(Agent agent, String subjectToken, String partnerIssuer, Map<String, String> extra) {
        Map<String, String> form = new LinkedHashMap<>(agent.exchangeForm(subjectToken, null, partnerIssuer));
        form.put("requested_token_type", JWT_TOKEN_TYPE);
        form.putAll(extra);
        return agents.http().postForm(process.tokenEndpoint(), form, null);
    }

    /** The grant of a successful step 1; asserts the RFC 8693 response shape of a JWT grant. */
    String granted(Agent agent, String subjectToken, Organisation partner) {
        HttpResult result = grant(agent, subjectToken, partner).expect(200);
        Map<String, Object> json = result.json();
        if (!JWT_TOKEN_TYPE.equals(json.get("issued_token_type")) || !"N_A".equals(json.get("token_type"))) {
            throw new AssertionError("a grant response has issued_token_type jwt and token_type N_A: " + json);
        }
        return (String) json.get("access_token");
    }

    /** Identity chaining step 2 at this organisation: {@code agent} (ours) presents a partner's grant. */
    HttpResult redeem(Agent agent, String grant) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", JWT_BEARER);
        form.put("assertion", grant);
        form.put("client_assertion_type", TestAgents.JWT_BEARER);
        form.put("client_assertion", agent.clientAssertion());
        return agents.http().postForm(process.tokenEndpoint(), form, null);
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
        }
    }

    @Override
    public String toString() {
        return name + " (" + issuer + ")";
    }
}
