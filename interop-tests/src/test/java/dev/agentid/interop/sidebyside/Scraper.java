package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;

import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * GETs the issuer's /metrics once a second on a daemon thread while open, as a monitoring server would. Without it, the
 * benchmark's own scrape right before an open loop was the first GET the issuer saw after its HTTP path had been
 * compiled for POSTs alone: the JIT had pruned the GET branches ({@code HttpMethod.valueOf},
 * {@code HttpRequestDecoder.splitFirstWordInitialLine}, ...), so that scrape deoptimized the hot path ("unstable_if"
 * in a JFR of the issuer) and the loop's first seconds ran on recompiling code, the worst of every run.
 */
final class Scraper implements AutoCloseable {

    private static final long PERIOD_MILLIS = 1_000;

    private final ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread t = new Thread(runnable, "metrics-scraper");
        t.setDaemon(true);
        return t;
    });

    Scraper(URI metrics) {
        Http http = new Http();
        scraper.scheduleAtFixedRate(() -> {
            try {
                http.get(metrics, null);
            } catch (RuntimeException e) {
                // a failed scrape must not end the schedule (a periodic task that throws is never run again)
            }
        }, 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scraper.shutdownNow();
    }
}
