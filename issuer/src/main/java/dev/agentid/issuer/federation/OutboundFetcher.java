package dev.agentid.issuer.federation;

import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every request this issuer makes to another organisation (partner metadata and keys, partner status lists, IdP
 * discovery and keys) goes through one fetcher:
 * <ul>
 *   <li>asynchronous, on its own small executor (never the Vert.x worker pool: the issuer's own jobs keep running
 *       while partners hang);</li>
 *   <li>one overall deadline ({@code ISSUER_FEDERATION_FETCH_TIMEOUT_MILLIS}) from connecting to the last byte of the
 *       body: a peer that drips its answer is cut off at the deadline;</li>
 *   <li>a streaming size cap: the body is counted as it arrives and the exchange is cancelled at the cap, so a huge
 *       body is never buffered;</li>
 *   <li>https only; http only to a loopback address, and only with the development flag
 *       {@code ISSUER_FEDERATION_LOOPBACK_HTTP=true}; no redirects.</li>
 * </ul>
 */
public final class OutboundFetcher implements AutoCloseable {

    /** Default size cap of a metadata document or a JWK set. */
    public static final int DOCUMENT_BYTES = 256 * 1024;
    public static final Duration DEFAULT_DEADLINE = Duration.ofMillis(5000);

    /** A fetched document. */
    public record Fetched(int status, String contentType, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Duration deadline;
    private final boolean loopbackHttp;
    private final ExecutorService executor;
    private final HttpClient http;

    public OutboundFetcher(Duration deadline, boolean loopbackHttp) {
        this.deadline = deadline;
        this.loopbackHttp = loopbackHttp;
        // the client's callbacks only count bytes and never block: two threads suffice, whatever the partners do
        this.executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "federation-fetch-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().executor(executor).connectTimeout(deadline)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public Duration deadline() {
        return deadline;
    }

    /**
     * https, or http to a loopback address when the development flag allows it.
     *
     * @throws IOException naming the refused URL
     */
    public void requireAllowed(URI uri) throws IOException {
        String scheme = uri.getScheme();
        if (uri.getHost() == null || scheme == null) {
            throw new IOException("not an absolute URL: " + uri);
        }
        if ("https".equalsIgnoreCase(scheme)) {
            return;
        }
        if ("http".equalsIgnoreCase(scheme) && loopbackHttp && TrustConfiguration.isLoopback(uri.getHost())) {
            return;
        }
        throw new IOException("refusing to fetch " + uri + ": https only (http to loopback only with "
                + "ISSUER_FEDERATION_LOOPBACK_HTTP=true)");
    }

    /** GETs {@code uri}: completes with the answer, or fails at the deadline or at {@code maxBytes}. */
    public CompletableFuture<Fetched> fetch(URI uri, String accept, int maxBytes) {
        try {
            requireAllowed(uri);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(deadline).header("Accept", accept).GET().build();
        CappedBody[] body = new CappedBody[1];
        CompletableFuture<HttpResponse<byte[]>> sent = http.sendAsync(request, info -> {
            CappedBody capped = new CappedBody(maxBytes);
            body[0] = capped;
            long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length > maxBytes) {
                capped.tooLarge();
            }
            return capped;
        });
        CompletableFuture<Fetched> result = new CompletableFuture<>();
        sent.whenComplete((response, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                result.completeExceptionally(cause instanceof IOException ? cause
                        : new IOException(uri + ": " + cause.getMessage(), cause));
            } else {
                result.complete(new Fetched(response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(null), response.body()));
            }
        });
        result.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, error) -> {
            if (error instanceof TimeoutException) {
                CappedBody capped = body[0];
                if (capped != null) {
                    capped.cancel(new IOException(uri + " did not answer within " + deadline.toMillis() + " ms"));
                }
                sent.cancel(true);
            }
        });
        return result;
    }

    /** {@link #fetch}, waiting for it (at most the deadline): for worker threads and Nimbus key sources. */
    public Fetched get(URI uri, String accept, int maxBytes) throws IOException {
        try {
            return fetch(uri, accept, maxBytes).get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                throw new IOException(uri + " did not answer within " + deadline.toMillis() + " ms");
            }
            throw cause instanceof IOException ? (IOException) cause : new IOException(String.valueOf(cause), cause);
        } catch (TimeoutException e) {
            throw new IOException(uri + " did not answer within " + deadline.toMillis() + " ms");
        }
    }

    /** A Nimbus resource retriever (JWK sets) over this fetcher: bounded the same way, 200 only. */
    public ResourceRetriever retriever(int maxBytes) {
        return (URL url) -> {
            URI uri;
            try {
                uri = url.toURI();
            } catch (URISyntaxException e) {
                throw new IOException("not a URI: " + url);
            }
            Fetched f = get(uri, "application/json", maxBytes);
            if (f.status() != 200) {
                throw new IOException(uri + " answered " + f.status());
            }
            return new Resource(f.text(), f.contentType());
        };
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** Accumulates a body up to a cap; beyond it, or when cancelled, the exchange is cancelled and fails. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private volatile Flow.Subscription subscription;
        private volatile boolean stopped;
        private long count;

        CappedBody(int max) {
            this.max = max;
        }

        void tooLarge() {
            cancel(new IOException("the answer is larger than " + max + " bytes"));
        }

        void cancel(IOException reason) {
            stopped = true;
            result.completeExceptionally(reason);
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (stopped) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (stopped) {
                return;
            }
            for (ByteBuffer b : items) {
                count += b.remaining();
                if (count > max) {
                    tooLarge();
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            stopped = true;
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
