package dev.agentid.interop.sidebyside;

import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * agentid's issuer ({@link IssuerProcess}: Serial GC; here a fixed 1 GiB heap with a 64 MiB young generation and the
 * other settings docs/SCALE.md recommends for a 2-core node, plus any {@code -Dbench.issuer.jvmOptions}, which come last and
 * so win) on the JDK of {@link Jdks#issuerJavaHome()}, with the holder and actor of the
 * common workloads, and a chain of five agents (each may delegate to the next, max_delegation_depth 5, the global cap)
 * for exchanging a subject token of depth 4.
 */
final class AgentidServer implements Server {

    static final String API = "https://api.example";
    static final String SCOPE = "files:read";

    private final IssuerProcess issuer;
    private final Path javaHome;
    private final Client holder = Client.generate("sbs-holder");
    private final Client actor = Client.generate("sbs-actor");
    private final Client[] chain = new Client[5];

    AgentidServer() {
        javaHome = Jdks.issuerJavaHome();
        // docs/SCALE.md "JVM settings": a fixed heap (with the launcher's -Xms64m the old generation grew by full
        // collections of 60-220 ms while the replay marks of a run at thousands of requests a second accumulated, one
        // of them inside the open loop), a young generation that stays small, objects promoted after one young
        // collection; C2's recompilation cutoffs come with every issuer (IssuerProcess.RECOMMENDED_JVM_OPTIONS: past
        // them the audit writer deoptimized on every record when the workloads changed from cell to cell)
        IssuerProcess.Launcher launcher = IssuerProcess.named("side-by-side").maxHeap("1g")
                .javaExecutable(Jdks.java(javaHome)).sizedAsDocumented();
        String options = System.getProperty("bench.issuer.jvmOptions", "").strip();
        if (!options.isEmpty()) {
            launcher.jvmOptions(options.split("\\s+"));   // e.g. a GC choice or -Xlog:gc, to compare
        }
        issuer = launcher.start();
        TestAgents admin = new TestAgents(issuer, Clock.systemUTC());
        admin.agent(holder.id()).owner("user:alice").scopes(SCOPE).audiences(API).delegates(actor.id())
                .tokenTtlSeconds(3600).key(holder.key()).register();
        admin.agent(actor.id()).owner("user:bob").scopes(SCOPE).audiences(API)
                .tokenTtlSeconds(3600).key(actor.key()).register();
        for (int i = 0; i < chain.length; i++) {
            chain[i] = Client.generate("sbs-chain-" + i);
        }
        for (int i = 0; i < chain.length; i++) {
            var registration = admin.agent(chain[i].id()).owner("user:chain" + i).scopes(SCOPE).audiences(API)
                    .maxDelegationDepth(5).tokenTtlSeconds(3600).key(chain[i].key());
            if (i + 1 < chain.length) {
                registration.delegates(chain[i + 1].id());
            }
            registration.register();
        }
    }

    /** The agent that exchanges at depth 4 (the last of the chain). */
    Client depthFourActor() {
        return chain[chain.length - 1];
    }

    /** The chain's first agent, whose client_credentials token starts the chain. */
    Client chainRoot() {
        return chain[0];
    }

    /** The chain's agents 1 to 3, who exchange the root token down to depth 3. */
    Client chainMember(int index) {
        return chain[index];
    }

    IssuerProcess process() {
        return issuer;
    }

    @Override
    public String name() {
        return "agentid";
    }

    @Override
    public String describe() {
        return "agentid on " + Jdks.describe(javaHome) + " (Serial GC, "
                + String.join(" ", IssuerProcess.documentedSizing("1g")) + " -Xmx1g "
                + String.join(" ", IssuerProcess.RECOMMENDED_JVM_OPTIONS) + ")";
    }

    @Override
    public long pid() {
        return issuer.pid();
    }

    @Override
    public URI tokenEndpoint() {
        return issuer.tokenEndpoint();
    }

    @Override
    public URI introspectionEndpoint() {
        return issuer.introspectionEndpoint();
    }

    @Override
    public String assertionAudience() {
        return issuer.issuer();
    }

    /** The {@code htu} of DPoP proofs: the token endpoint as the metadata names it. */
    String tokenEndpointUrl() {
        return (String) issuer.metadata().get("token_endpoint");
    }

    @Override
    public Client holder() {
        return holder;
    }

    @Override
    public Client actor() {
        return actor;
    }

    @Override
    public Map<String, String> clientCredentials() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("scope", SCOPE);
        form.put("audience", API);
        return form;
    }

    @Override
    public Map<String, String> exchange(String subjectToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", TestAgents.TOKEN_EXCHANGE);
        form.put("subject_token", subjectToken);
        form.put("subject_token_type", TestAgents.ACCESS_TOKEN_TYPE);
        form.put("scope", SCOPE);
        return form;
    }

    @Override
    public void close() {
        issuer.close();
    }
}
