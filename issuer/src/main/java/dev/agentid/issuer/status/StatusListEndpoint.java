package dev.agentid.issuer.status;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /oauth2/status/{list}}: the list's {@code application/statuslist+jwt}, the same bytes on every node,
 * cacheable for the list's {@code ttl}. {@code GET /oauth2/status}: the Status List Aggregation
 * ({@code {"status_lists": [...]}}), advertised as {@code status_list_aggregation_endpoint}.
 */
public final class StatusListEndpoint {

    private final StatusLists lists;

    public StatusListEndpoint(StatusLists lists) {
        this.lists = lists;
    }

    public void list(RoutingContext ctx) {
        String raw = ctx.pathParam("list");
        long list;
        try {
            list = raw.matches("0|[1-9][0-9]{0,17}") ? Long.parseLong(raw) : -1;
        } catch (NumberFormatException e) {
            list = -1;
        }
        if (list < 0) {
            notFound(ctx);
            return;
        }
        lists.token(list).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
            } else if (ar.result() == null) {
                notFound(ctx);
            } else {
                ctx.response()
                        .putHeader("Content-Type", StatusLists.MEDIA_TYPE)
                        .putHeader("Cache-Control", "public, max-age=" + lists.ttl().getSeconds())
                        .putHeader("Access-Control-Allow-Origin", "*")
                        .end(ar.result());
            }
        });
    }

    public void aggregation(RoutingContext ctx) {
        ctx.vertx().executeBlocking(lists::served, false).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            ctx.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "public, max-age=" + lists.ttl().getSeconds())
                    .putHeader("Access-Control-Allow-Origin", "*")
                    .end(new JsonObject().put("status_lists", new JsonArray(ar.result())).encode());
        });
    }

    private static void notFound(RoutingContext ctx) {
        ctx.response().setStatusCode(404)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("error", "not_found").put("error_description", "no such status list")
                        .encode());
    }
}
