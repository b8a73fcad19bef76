package dev.agentid.interop.console;

import com.nimbusds.jose.jwk.ECKey;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console with 10,000 agents and 1,000 live chains (issue 16): the inventory's first page must render in the
 * browser in under a second, measured by the page itself (milliseconds from navigation start until the table is drawn,
 * {@code performance.now()}). The agents are registered through the admin API, 32 requests in flight; the chains are
 * real token exchanges. Figures in docs/BENCHMARKS.md ("Console").
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ConsoleScaleIT {

    static final int AGENTS = 10_000;
    static final int CHAINS = 1_000;
    static final String API = "https://api.example";

    static IssuerProcess issuer;
    static TestAgents agents;
    static Browser browser;

    @BeforeAll
    static void start() {
        issuer = IssuerProcess.named("console-scale").maxHeap("768m").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    void theInventorysFirstPageRendersInUnderASecondWithTenThousandAgentsAndAThousandLiveChains() throws Exception {
        ECKey key = TestAgents.newKey();
        long t0 = System.nanoTime();
        // the chains' agents: scale-a-N delegates to scale-b-N (2,000 agents), registered through TestAgents
        List<Agent[]> pairs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Agent[]>> registered = new ArrayList<>();
            for (int i = 0; i < CHAINS; i++) {
                String n = String.format("%04d", i);
                registered.add(pool.submit(() -> {
                    Agent b = agents.agent("scale-b-" + n).owner("team:scale-" + n.charAt(0)).key(key)
                            .scopes("files:read").audiences(API).register();
                    Agent a = agents.agent("scale-a-" + n).owner("team:scale-" + n.charAt(0)).key(key)
                            .scopes("files:read").audiences(API).delegates(b.id()).register();
                    return new Agent[] {a, b};
                }));
            }
            for (Future<Agent[]> f : registered) {
                pairs.add(f.get());
            }
            // the other 8,000 agents: plain registrations, 32 in flight
            registerFillers(key, AGENTS - 2 * CHAINS);
            long registeredAt = System.nanoTime();
            // 1,000 live chains: a root token of scale-a-N exchanged by scale-b-N
            List<Future<String>> chains = new ArrayList<>();
            for (Agent[] pair : pairs) {
                chains.add(pool.submit(() -> pair[1].exchanged(pair[0].token("files:read", API), null, null)));
            }
            for (Future<String> f : chains) {
                assertTrue(f.get().length() > 100);
            }
            long chainsAt = System.nanoTime();
            System.out.printf("ConsoleScaleIT: %d agents registered in %.1f s, %d chains in %.1f s%n", AGENTS,
                    (registeredAt - t0) / 1e9, CHAINS, (chainsAt - registeredAt) / 1e9);
        } finally {
            pool.shutdownNow();
        }

        browser = Browser.start();
        // signed in on another view, so that the first inventory load measured below is the cold one (the console
        // reads the audit log's 12,000 records for key ages, last use and live chains on its first call)
        browser.driver.get(issuer.issuer() + "/console/#cluster");
        browser.visible(By.id("admin-token")).sendKeys(issuer.adminToken());
        browser.clickable(By.id("break-glass")).click();
        browser.await(d -> "break-glass:admin".equals(browser.data("signedIn")) ? true : null);
        browser.visible(By.id("cluster"));
        assertEquals(null, browser.data("inventoryDrawnMs"));

        List<Long> loads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // a fresh page load each time: navigation start to the first page of the table drawn
            browser.driver.navigate().to("about:blank");
            browser.driver.navigate().to(issuer.issuer() + "/console/#inventory");
            String ms = browser.await(d -> browser.data("inventoryDrawnMs"));
            assertEquals("25", browser.data("inventoryRows"));
            loads.add(Long.parseLong(ms));
        }
        String info = browser.driver.findElement(By.id("page-info")).getText();
        assertEquals("Page 1 of 400 (10000 agents)", info);
        browser.screenshot("console-inventory-10k");
        long graphStart = System.nanoTime();
        browser.driver.navigate().to(issuer.issuer() + "/console/#graph");
        browser.visible(By.id("graph-side"));
        long graphMillis = (System.nanoTime() - graphStart) / 1_000_000;
        assertTrue(browser.driver.findElement(By.id("graph-side")).getText().contains(CHAINS + " live chains"),
                browser.driver.findElement(By.id("graph-side")).getText());
        System.out.printf("ConsoleScaleIT: inventory first page drawn at %s ms after navigation start (3 loads);"
                + " graph of %d chains answered and listed in %d ms%n", loads, CHAINS, graphMillis);
        Files.writeString(Interop.targetDir().resolve("console-scale.txt"), "inventory_first_page_ms=" + loads
                + "\ngraph_ms=" + graphMillis + "\n");
        for (long ms : loads) {
            assertTrue(ms < 1000, "the inventory's first page drew at " + ms + " ms: " + loads);
        }
    }

    /** Registers {@code count} agents sharing one public key through POST /admin/agents, 32 requests at a time. */
    static void registerFillers(ECKey key, int count) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Semaphore inFlight = new Semaphore(32);
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        String jwks = "{\"keys\": [" + key.toPublicJWK().toJSONString() + "]}";
        for (int i = 0; i < count; i++) {
            String id = String.format("fleet-%05d", i);
            String body = "{\"agent_id\": \"" + id + "\", \"owner\": \"team:fleet-" + (i % 50) + "\", \"jwks\": "
                    + jwks + ", \"scopes\": [\"files:read\", \"files:write\"], \"audiences\": [\"" + API + "\"]}";
            inFlight.acquire();
            all.add(client.sendAsync(HttpRequest.newBuilder(issuer.admin("/admin/agents"))
                            .header("Authorization", "Bearer " + issuer.adminToken())
                            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(60))
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString()).whenComplete((r, t) -> inFlight.release()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get();
            assertEquals(201, r.statusCode(), r.body());
        }
    }
}
