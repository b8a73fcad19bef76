package dev.agentid.interop;

import dev.agentid.interop.TestAgents.Agent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A quick look at token-exchange latency over loopback: sequential requests, one client, after a
 * warm-up. It reports and never asserts timing; it asserts only that every exchange succeeded.
 * Client-side signing of the client assertion happens before the clock starts.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class ExchangeLatencyIT {

    static final String API = "https://api.example";
    static final int WARM_UP = 100;
    static final int MEASURED = 500;

    static IssuerProcess issuer;

    @BeforeAll
    static void startIssuer() {
        issuer = IssuerProcess.named("latency").start();
    }

    @AfterAll
    static void stopIssuer() {
        if (issuer != null) {
            issuer.close();
        }
    }

    @Test
    void sequentialExchangesOverLoopback() throws IOException {
        TestAgents agents = new TestAgents(issuer, Clock.systemUTC());
        Agent a = agents.agent("lat-a").owner("user:alice").scopes("files:read", "files:write").audiences(API)
                .delegates("lat-b").tokenTtlSeconds(900).register();
        Agent b = agents.agent("lat-b").owner("user:bob").scopes("files:read").audiences(API)
                .tokenTtlSeconds(300).register();
        String subject = a.token("files:read files:write", null);
        Http http = agents.http();

        for (int i = 0; i < WARM_UP; i++) {
            http.postForm(issuer.tokenEndpoint(), b.exchangeForm(subject, "files:read", null), null).expect(200);
        }
        long[] nanos = new long[MEASURED];
        int failures = 0;
        for (int i = 0; i < MEASURED; i++) {
            Map<String, String> form = b.exchangeForm(subject, "files:read", null);
            long start = System.nanoTime();
            HttpResult result = http.postForm(issuer.tokenEndpoint(), form, null);
            nanos[i] = System.nanoTime() - start;
            if (result.status() != 200) {
                failures++;
            }
        }
        assertEquals(0, failures, "failed exchanges out of " + MEASURED);

        Arrays.sort(nanos);
        double mean = Arrays.stream(nanos).average().orElseThrow() / 1e6;
        String report = String.format(Locale.ROOT,
                "token exchange over loopback, %d sequential requests after %d warm-up (one client, HTTP/1.1 keep-alive):%n"
                        + "p50 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms%n",
                MEASURED, WARM_UP, percentile(nanos, 50), percentile(nanos, 99), mean, nanos[MEASURED - 1] / 1e6);
        System.out.print(report);
        Path file = Interop.targetDir().resolve("exchange-latency.txt");
        Files.writeString(file, report, StandardCharsets.UTF_8);
    }

    /** Nearest-rank percentile of sorted nanoseconds, in milliseconds. */
    static double percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(rank - 1, 0)] / 1e6;
    }
}
