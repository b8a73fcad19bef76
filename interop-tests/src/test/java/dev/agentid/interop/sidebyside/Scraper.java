package dev.agentid.interop.sidebyside;

import dev.agentid.interop.Http;

import java.net.URI;

/**
 * GETs the issuer's /metrics once a second on a daemon thread while open, as a monitoring server would. Without it, the
 * benchmark's own scrape right before an open loop was the first GET the issuer saw after its HTTP path had been
 * compiled for POSTs alone: the JIT had pruned the GET branches ({@code HttpMethod.valueOf},
 * {@code HttpRequestDecoder.splitFirstWordInitialLine}, ...), so that scrape deoptimized the hot path ("unstable_if"
 * in a JFR of the issuer) and the loop's first seconds ran on recompiling code, the worst of every run.
 */
final class Scraper implements AutoCloseable {

    private static final long PERIOD_MILLIS = 1_000;

    private final Thread thread;

    Scraper(URI metrics) {
        Http http = new Http();
        thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                http.get(metrics, null);
                try {
                    Thread.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "metrics-scraper");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        thread.interrupt();
    }
}
