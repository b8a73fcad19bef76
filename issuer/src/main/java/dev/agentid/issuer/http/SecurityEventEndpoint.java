package dev.agentid.issuer.http;

import dev.agentid.issuer.federation.idp.HumanPrincipals;
import dev.agentid.issuer.federation.idp.HumanTokenException;
import dev.agentid.issuer.federation.idp.SecurityEventToken;
import dev.agentid.issuer.lifecycle.SharedSignalsReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.logging.Logger;

/**
 * {@code POST /ssf/events}: Push-Based Security Event Token delivery (RFC 8935) from the trusted OpenID Providers of
 * the trust file. The body is one SET ({@code Content-Type: application/secevent+jwt}), verified with the keys of the
 * provider it names ({@link HumanPrincipals#verifySecurityEvent}), then acted on ({@link SharedSignalsReceiver}).
 * The answer is {@code 202 Accepted} once what it caused is durable; a refusal is RFC 8935 section 2.3's
 * {@code {"err", "description"}} with status 400 ({@code invalid_request}, {@code invalid_issuer}, {@code invalid_key},
 * {@code invalid_audience}), or 503 while the provider's keys or our store are unavailable, so the transmitter
 * retries.
 */
final class SecurityEventEndpoint {

    static final String PATH = "/ssf/events";
    static final String MEDIA_TYPE = "application/secevent+jwt";
    private static final Logger LOG = Logger.getLogger(SecurityEventEndpoint.class.getName());

    private final Vertx vertx;
    private final HumanPrincipals providers;
    private final SharedSignalsReceiver receiver;
    private final Duration maxAge;

    SecurityEventEndpoint(Vertx vertx, HumanPrincipals providers, SharedSignalsReceiver receiver, Duration maxAge) {
        this.vertx = vertx;
        this.providers = providers;
        this.receiver = receiver;
        this.maxAge = maxAge;
    }

    void handle(RoutingContext ctx) {
        String type = ctx.request().getHeader("Content-Type");
        if (type == null || !MEDIA_TYPE.equalsIgnoreCase(type.split(";", 2)[0].trim())) {
            refuse(ctx, 400, "invalid_request", "the body must be one SET, Content-Type " + MEDIA_TYPE);
            return;
        }
        String set = ctx.body() == null ? null : ctx.body().asString();
        if (set == null || set.isBlank()) {
            refuse(ctx, 400, "invalid_request", "no SET in the body");
            return;
        }
        // the provider's keys may have to be fetched: off the event loop
        vertx.<SecurityEventToken>executeBlocking(() -> providers.verifySecurityEvent(set.trim(), maxAge), false)
                .compose(receiver::receive)
                .onSuccess(outcome -> {
                    if (!outcome.duplicate() && !outcome.offboarded().isEmpty()) {
                        LOG.info("shared signals: offboarded " + outcome.offboarded().size() + " owner(s), "
                                + outcome.agents().size() + " agent(s) suspended");
                    }
                    ctx.response().setStatusCode(202).putHeader("Cache-Control", "no-store").end();
                })
                .onFailure(t -> {
                    if (t instanceof HumanTokenException e) {
                        refuse(ctx, e);
                    } else {
                        Responses.failure(ctx, t);
                    }
                });
    }

    private static void refuse(RoutingContext ctx, HumanTokenException e) {
        switch (e.reason()) {
            case UNTRUSTED_ISSUER -> refuse(ctx, 400, "invalid_issuer", "the SET's issuer is not a trusted identity"
                    + " provider");
            case BAD_SIGNATURE -> refuse(ctx, 400, "invalid_key", "the SET's signature does not verify with the"
                    + " provider's keys: " + e.getMessage());
            case WRONG_AUDIENCE -> refuse(ctx, 400, "invalid_audience", "the SET is not addressed to this receiver");
            case UNAVAILABLE -> {
                ctx.response().putHeader("Retry-After", Responses.RETRY_AFTER_SECONDS);
                refuse(ctx, 503, "temporarily_unavailable", "the provider's keys are unavailable; retry");
            }
            default -> refuse(ctx, 400, "invalid_request", "the SET is refused (" + e.reason().name()
                    .toLowerCase(java.util.Locale.ROOT) + "): " + e.getMessage());
        }
    }

    private static void refuse(RoutingContext ctx, int status, String err, String description) {
        ctx.put(dev.agentid.issuer.metrics.Metrics.REFUSAL, err);
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store").putHeader("Pragma", "no-cache")
                .end(new JsonObject().put("err", err).put("description", description).toBuffer());
    }
}
