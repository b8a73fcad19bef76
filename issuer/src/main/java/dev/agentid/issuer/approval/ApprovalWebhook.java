package dev.agentid.issuer.approval;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.logging.Logger;

/**
 * Tells approvers that a request awaits them ({@code ISSUER_APPROVAL_WEBHOOK}): one JSON POST per new pending request,
 * fire and forget. Never waited for, never retried, and never carrying a token: the request's view as the admin API
 * shows it ({@link Approvals#view}). A failure is one log line.
 */
public final class ApprovalWebhook {

    private static final Logger LOG = Logger.getLogger(ApprovalWebhook.class.getName());
    private static final long TIMEOUT_MILLIS = 5000;

    private final URI url;
    private final HttpClient client;

    private ApprovalWebhook(URI url, HttpClient client) {
        this.url = url;
        this.client = client;
    }

    /** No webhook. */
    public static ApprovalWebhook off() {
        return new ApprovalWebhook(null, null);
    }

    /** POSTs to {@code url} (http or https), or nothing when it is null. */
    public static ApprovalWebhook to(Vertx vertx, URI url) {
        if (url == null) {
            return off();
        }
        return new ApprovalWebhook(url, vertx.createHttpClient(new HttpClientOptions()
                .setSsl("https".equals(url.getScheme())).setConnectTimeout((int) TIMEOUT_MILLIS)));
    }

    void notify(Pending pending) {
        if (client == null) {
            return;
        }
        JsonObject body = new JsonObject().put("event", "approval.requested").put("request", Approvals.view(pending));
        int port = url.getPort() != -1 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(url.getHost()).setPort(port)
                        .setURI(path).setTimeout(TIMEOUT_MILLIS).putHeader("Content-Type", "application/json"))
                .compose(request -> request.send(body.toBuffer()))
                .onSuccess(response -> {
                    if (response.statusCode() / 100 != 2) {
                        LOG.warning("approval webhook answered " + response.statusCode() + " for approval "
                                + pending.id());
                    }
                })
                .onFailure(t -> LOG.warning("approval webhook failed for approval " + pending.id() + ": "
                        + t.getMessage()));
    }
}
