package dev.agentid.interop.console;

import dev.agentid.interop.HttpResult;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.interop.TestAgents.Agent;
import dev.agentid.interop.federation.OidcProviderProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console in a real browser (Debian's headless Chromium through chromedriver), signed in through a real
 * OpenID Provider (panva/oidc-provider): sign-in, inventory search, the delegation graph and a token's lineage, kill
 * and restore (the chain goes red), approve and deny, a CSRF attempt refused, a viewer refused a kill. Screenshots go
 * to target/screenshots/.
 */
@ExtendWith(IssuerLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {

    static final String API = "https://api.example";
    static final String CIBA = "urn:openid:params:grant-type:ciba";

    static OidcProviderProcess idp;
    static IssuerProcess issuer;
    static TestAgents agents;
    static Browser browser;
    static Agent opsA;
    static Agent opsB;
    static Agent payA;
    static Agent payB;
    static Agent payC;

    @BeforeAll
    static void start() throws Exception {
        idp = OidcProviderProcess.start();
        String i = idp.issuer();
        Path trust = Files.createTempFile(Files.createDirectories(Interop.targetDir().resolve("issuer-data")),
                "console-trust-", ".json");
        Files.writeString(trust, "{\"identity_providers\": [{\"issuer\": \"" + i + "\", \"audience\": \"agentid\","
                + " \"groups_claim\": \"groups\"}],"
                + " \"console\": {\"idp\": \"" + i + "\", \"client_id\": \"" + idp.consoleClientId() + "\","
                + " \"client_secret\": \"" + idp.consoleClientSecret() + "\", \"scopes\": [\"openid\", \"groups\"],"
                + " \"roles\": {\"viewer\": {\"groups\": [\"" + i + "#security\"]},"
                + " \"operator\": {\"groups\": [\"" + i + "#sre\"]},"
                + " \"approver\": {\"groups\": [\"" + i + "#finance\"]}}}}");
        issuer = IssuerProcess.named("console").env("ISSUER_TRUST_FILE", trust.toString())
                .env("ISSUER_FEDERATION_LOOPBACK_HTTP", "true").start();
        agents = new TestAgents(issuer, Clock.systemUTC());
        idp.groups("olivia", "sre,finance");
        idp.groups("victor", "security");

        for (String name : List.of("inv-alpha", "inv-beta", "inv-gamma", "inv-delta")) {
            agents.agent(name).owner("team:inventory").scopes("files:read").audiences(API).register();
        }
        opsB = agents.agent("ops-b").owner("team:ops").scopes("files:read").audiences(API).register();
        opsA = agents.agent("ops-a").owner("team:ops").scopes("files:read").audiences(API).delegates(opsB.id())
                .register();
        // a live chain ops-a -> ops-b
        opsB.exchanged(opsA.token("files:read", API), null, null);

        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("authorization_details", List.of(Map.of("type", "payment", "field", "amount", "above", 1000,
                "currency", "EUR")));
        policy.put("approvers", Map.of("owner", true, "groups", List.of(i + "#finance")));
        policy.put("four_eyes", false);
        policy.put("lifetime_seconds", 120);
        policy.put("pending_seconds", 300);
        policy.put("interval_seconds", 1);
        payC = agents.agent("pay-c").owner(i + "#olivia").scopes("pay").audiences(API).field("approval", policy)
                .register();
        payB = agents.agent("pay-b").owner(i + "#olivia").scopes("pay").audiences(API).delegates(payC.id())
                .register();
        payA = agents.agent("pay-a").owner(i + "#olivia").scopes("pay").audiences(API).delegates(payB.id())
                .register();
        browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (issuer != null) {
            issuer.close();
        }
        if (idp != null) {
            idp.close();
        }
    }

    static void signIn(String user) {
        browser.driver.get(issuer.issuer() + "/console/");
        browser.visible(By.id("login-hint")).sendKeys(user);
        browser.clickable(By.id("sign-in")).click();
        String principal = idp.issuer() + "#" + user;
        browser.await(d -> principal.equals(browser.data("signedIn")) ? true : null);
    }

    /** Opens a view by its hash and waits until {@code ready} is on the page. */
    static WebElement open(String hash, By ready) {
        browser.driver.get(issuer.issuer() + "/console/" + hash);
        return browser.visible(ready);
    }

    /** Fills the confirmation dialog's reason and confirms. */
    static void confirm(String reason) {
        WebElement text = browser.visible(By.id("confirm-reason"));
        text.sendKeys(reason);
        browser.driver.findElement(By.id("confirm-ok")).click();
    }

    /** The status the agent view shows (read in the page: the view redraws itself, so no element is held). */
    static String agentFactsStatus() {
        return (String) browser.driver.executeScript(
                "const e = document.getElementById('agent-facts'); return e ? e.dataset.status : null;");
    }

    static String agentStatus(String id) {
        return (String) agents.getAgent(id).expect(200).json().get("status");
    }

    @Test
    @Order(1)
    void signInThroughTheOpenIdProviderWithPkceGivesTheGroupsRoles() {
        signIn("olivia");
        String who = browser.visible(By.id("who")).getText();
        assertTrue(who.contains(idp.issuer() + "#olivia"), who);
        assertTrue(who.contains("approver") && who.contains("operator") && !who.contains("viewer"), who);
        assertTrue(!who.contains("BREAK-GLASS"), who);
    }

    @Test
    @Order(2)
    void inventorySearchFindsTheAgent() {
        open("#inventory", By.cssSelector("#inventory tbody tr"));
        browser.await(d -> "25".equals(browser.data("inventoryRows")) || browser.driver.findElements(
                By.cssSelector("#inventory tbody tr")).size() >= 9 ? true : null);
        browser.screenshot("console-inventory");
        WebElement search = browser.visible(By.id("search"));
        search.sendKeys("ops-");
        search.sendKeys(Keys.ENTER);
        browser.await(d -> d.findElements(By.cssSelector("#inventory tbody tr")).size() == 2
                && d.findElement(By.id("page-info")).getText().contains("(2 agents)") ? true : null);
        List<String> ids = browser.driver.findElements(By.cssSelector("#inventory tbody tr")).stream()
                .map(r -> r.getAttribute("data-agent")).toList();
        assertEquals(List.of("ops-a", "ops-b"), ids);
        WebElement row = browser.driver.findElement(By.cssSelector("#inventory tr[data-agent='ops-a']"));
        assertTrue(row.getText().contains("team:ops"), row.getText());
        assertTrue(row.getText().contains("active"), row.getText());
    }

    @Test
    @Order(3)
    void theGraphDrawsTheLiveChainAndATokenShowsItsLineage() {
        open("#graph", By.cssSelector("#graph g.node[data-agent='ops-b']"));
        WebElement edge = browser.driver.findElement(By.cssSelector("#graph line.edge[data-from='ops-a'][data-to='ops-b']"));
        assertTrue(edge.getAttribute("class").contains("live"), edge.getAttribute("class"));
        browser.driver.findElement(By.cssSelector("#graph g.node[data-agent='ops-b']")).click();
        WebElement chain = browser.visible(By.cssSelector("#graph-side li.chain"));
        assertTrue(chain.getText().contains("ops-a → ops-b"), chain.getText());
        browser.screenshot("console-graph");

        // keyboard: the agent nodes are focusable buttons
        WebElement nodeA = browser.driver.findElement(By.cssSelector("#graph g.node[data-agent='ops-a']"));
        assertEquals("button", nodeA.getAttribute("role"));
        assertTrue(nodeA.getAttribute("aria-label").startsWith("agent ops-a"));
        nodeA.sendKeys(Keys.ENTER);
        browser.await(d -> browser.text("#chains-title").startsWith("Chains through ops-a") ? true : null);
        browser.driver.findElement(By.cssSelector("#graph g.node[data-agent='ops-b']")).sendKeys(Keys.ENTER);
        browser.await(d -> browser.text("#chains-title").startsWith("Chains through ops-b") ? true : null);
        chain = browser.visible(By.cssSelector("#graph-side li.chain"));

        String jti = chain.getAttribute("data-jti");
        chain.findElement(By.tagName("a")).click();
        browser.await(d -> d.findElements(By.cssSelector("#lineage li")).size() == 2 ? true : null);
        List<WebElement> family = browser.driver.findElements(By.cssSelector("#lineage li"));
        assertEquals(jti, family.get(1).getAttribute("data-jti"), "the exchanged token after its root");
        assertTrue(family.get(0).getText().contains("ops-a"), family.get(0).getText());
        browser.screenshot("console-lineage");
    }

    @Test
    @Order(4)
    void killTurnsTheChainRedWithinASecondAndRestoreBringsTheAgentBack() {
        open("#agent/ops-b", By.id("kill")).click();
        confirm("incident 7: leaked key");
        long clicked = System.nanoTime();
        browser.await(d -> "killed".equals(agentFactsStatus()) ? true : null);
        long millis = (System.nanoTime() - clicked) / 1_000_000;
        assertTrue(millis < 1000, "the kill is visible on the page after " + millis + " ms");
        assertEquals("killed", agentStatus("ops-b"));
        assertTrue(browser.status().contains("ops-b killed"), browser.status());
        Map<String, Object> record = auditRecord("type=agent.killed&agent=ops-b");
        assertEquals(idp.issuer() + "#olivia", fields(record).get("by"), "the human is the actor, not 'admin'");
        assertEquals("incident 7: leaked key", fields(record).get("reason"));

        WebElement edge = open("#graph/ops-b", By.cssSelector("#graph line.edge[data-from='ops-a'][data-to='ops-b']"));
        assertTrue(edge.getAttribute("class").contains("dead"), "the chain is red: " + edge.getAttribute("class"));
        assertTrue(browser.driver.findElement(By.cssSelector("#graph g.node[data-agent='ops-b']"))
                .getAttribute("class").contains("killed"));
        browser.screenshot("console-graph-killed");

        open("#agent/ops-b", By.id("restore")).click();
        confirm("incident 7 closed, key rotated");
        browser.await(d -> "active".equals(agentFactsStatus()) ? true : null);
        assertEquals("active", agentStatus("ops-b"));
    }

    @Test
    @Order(5)
    void approveAndDenyPendingRequestsFromTheQueue() {
        String approved = startApproval(5000);
        String denied = startApproval(7000);
        open("#approvals", By.cssSelector("#approvals tr[data-approval='" + approved + "']"));
        browser.driver.findElement(By.cssSelector("tr[data-approval='" + approved + "'] button.approve")).click();
        confirm("within budget");
        browser.await(d -> d.findElements(By.cssSelector("tr[data-approval='" + approved + "']")).isEmpty()
                ? true : null);
        browser.clickable(By.cssSelector("tr[data-approval='" + denied + "'] button.deny")).click();
        confirm("not expected");
        browser.await(d -> d.findElements(By.cssSelector("tr[data-approval='" + denied + "']")).isEmpty()
                ? true : null);

        HttpResult granted = pollUntilDecided(approved);
        assertEquals(200, granted.status(), granted.describe());
        HttpResult refused = pollUntilDecided(denied);
        assertEquals("access_denied", refused.json().get("error"), refused.describe());
        Map<String, Object> record = auditRecord("type=approval.approved");
        assertEquals(idp.issuer() + "#olivia", fields(record).get("approver"), String.valueOf(record));
        // every live chain, the approved three-hop one among them (the README's picture)
        open("#graph", By.cssSelector("#graph g.node[data-agent='pay-c']"));
        browser.driver.findElement(By.cssSelector("#graph g.node[data-agent='pay-b']")).click();
        browser.visible(By.cssSelector("#graph-chains li.chain"));
        browser.screenshot("console-graph-all");
    }

    @Test
    @Order(6)
    void auditSearchClusterStatusAndAlertsAnswer() {
        WebElement row = open("#audit?agent=ops-b&type=agent.killed",
                By.cssSelector("#audit tr[data-type='agent.killed']"));
        assertTrue(row.getText().contains(idp.issuer() + "#olivia"), row.getText());
        WebElement cluster = open("#cluster", By.id("cluster"));
        assertTrue(cluster.getText().contains(idp.issuer() + " (available)"), cluster.getText());
        assertTrue(cluster.getText().contains("ready"), cluster.getText());
        browser.driver.get(issuer.issuer() + "/console/#alerts");
        browser.await(d -> browser.text("main h2").startsWith("Alerts (") ? true : null);
    }

    @Test
    @Order(7)
    void aCsrfAttemptIsRefused() {
        open("#inventory", By.cssSelector("#inventory tbody tr"));
        // from the console's own origin, without the session's CSRF token
        Object sameOrigin = browser.driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "fetch('/console/api/agents/ops-a/kill', {method: 'POST', credentials: 'same-origin',"
                + " headers: {'Content-Type': 'application/json'}, body: '{\"reason\": \"csrf\"}'})"
                + ".then(r => r.json().then(j => done(r.status + ' ' + j.error)));");
        assertEquals("403 invalid_csrf_token", sameOrigin);
        // a forged form on another origin (a page of the identity provider: same site, so the browser sends the
        // SameSite=Strict cookie along): the Origin check refuses it, and the browser shows the refusal
        browser.driver.get(idp.issuer() + "/.well-known/openid-configuration");
        browser.driver.executeScript("const f = document.createElement('form'); f.method = 'POST';"
                + " f.action = arguments[0] + '/console/api/agents/ops-a/kill'; f.enctype = 'text/plain';"
                + " const i = document.createElement('input'); i.name = '{\"reason\": \"csrf\", \"x\": \"';"
                + " i.value = '\"}'; f.append(i); document.body.append(f); f.submit();", issuer.issuer());
        browser.await(d -> d.getPageSource().contains("invalid_origin") ? true : null);
        assertTrue(browser.driver.getCurrentUrl().startsWith(issuer.issuer() + "/console/api/agents/ops-a/kill"));
        assertEquals("active", agentStatus("ops-a"), "no forged request killed the agent");
    }

    @Test
    @Order(8)
    void aViewerIsRefusedAKill() {
        browser.driver.get(issuer.issuer() + "/console/");
        browser.clickable(By.id("logout")).click();
        browser.visible(By.id("break-glass-form"));
        browser.driver.manage().deleteAllCookies();   // the provider's session too (cookies ignore the port)
        signIn("victor");
        assertTrue(browser.visible(By.id("who")).getText().contains("(viewer)"));
        open("#agent/ops-a", By.id("kill")).click();
        confirm("curious");
        browser.await(d -> browser.status().startsWith("Refused") ? true : null);
        assertEquals("Refused: this needs the operator role (forbidden)", browser.status());
        assertEquals("active", agentStatus("ops-a"));
        browser.screenshot("console-viewer-refused");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    @SuppressWarnings("unchecked")
    static Map<String, Object> fields(Map<String, Object> record) {
        return (Map<String, Object>) record.get("fields");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> auditRecord(String query) {
        return Interop.await("an audit record " + query, Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
            List<Map<String, Object>> events = (List<Map<String, Object>>) agents.http()
                    .get(issuer.admin("/admin/audit?" + query), issuer.adminToken()).expect(200).json().get("events");
            return events.isEmpty() ? null : events.get(events.size() - 1);
        });
    }

    static HttpResult post(Agent agent, URI endpoint, Map<String, String> form) {
        Map<String, String> all = new LinkedHashMap<>(form);
        all.put("client_assertion_type", TestAgents.JWT_BEARER);
        all.put("client_assertion", agent.clientAssertion());
        return agents.http().postForm(endpoint, all, null);
    }

    /** A CIBA request of pay-c for a payment of {@code amount} EUR down the chain pay-a -> pay-b -> pay-c. */
    static String startApproval(int amount) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("authorization_details", "[{\"type\":\"payment\",\"amount\":" + amount + ",\"currency\":\"EUR\"}]");
        String root = dev.agentid.interop.TokenResponse.of(post(payA, issuer.tokenEndpoint(), form)).accessToken();
        String b = payB.exchanged(root, null, null);
        HttpResult r = post(payC, URI.create(issuer.issuer() + "/oauth2/bc-authorize"), Map.of("subject_token", b,
                "subject_token_type", TestAgents.ACCESS_TOKEN_TYPE));
        assertEquals(200, r.status(), r.describe());
        return (String) r.json().get("auth_req_id");
    }

    static HttpResult pollUntilDecided(String id) {
        return Interop.await("a decision on " + id, Duration.ofSeconds(40), Duration.ofMillis(1100), () -> {
            HttpResult r = post(payC, issuer.tokenEndpoint(), Map.of("grant_type", CIBA, "auth_req_id", id));
            Object error = r.status() == 200 ? null : r.json().get("error");
            return "authorization_pending".equals(error) || "slow_down".equals(error) ? null : r;
        });
    }
}
