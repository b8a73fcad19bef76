package dev.agentid.issuer.http;

import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.audit.AuditQuery;
import dev.agentid.issuer.audit.AuditRecord;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * {@code GET /admin/audit} (behind the admin token, like every /admin route): this node's audit records, filtered by
 * {@code agent}, {@code owner}, {@code principal}, {@code jti}, {@code lineage}, {@code type}, {@code since} and
 * {@code until} (ISO-8601), paged by {@code cursor} (from {@code next_cursor}) and {@code limit} (1..1000, default
 * 100). JSON by default, {@code {"node", "events": [...], "next_cursor"}}; JSON lines (one record per line, exactly as
 * in the log file) with {@code Accept: application/x-ndjson} or {@code format=jsonl}, the next cursor then in the
 * {@code Audit-Next-Cursor} header.
 */
final class AuditEndpoint {

    static final String PATH = "/admin/audit";
    static final String NDJSON = "application/x-ndjson";
    static final String NEXT_CURSOR_HEADER = "Audit-Next-Cursor";
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final Set<String> PARAMETERS = Set.of("agent", "owner", "principal", "jti", "lineage", "type",
            "since", "until", "cursor", "limit", "format");

    private final Vertx vertx;
    private final AuditLog audit;
    private final AuditQuery query;

    AuditEndpoint(Vertx vertx, AuditLog audit) {
        this.vertx = vertx;
        this.audit = audit;
        this.query = new AuditQuery(audit.directory());
    }

    void handle(RoutingContext ctx) {
        AuditQuery.Filter filter;
        boolean lines;
        try {
            for (String name : ctx.queryParams().names()) {
                if (!PARAMETERS.contains(name)) {
                    throw OAuthException.badField(name, "unknown parameter '" + name + "'");
                }
                if (ctx.queryParams().getAll(name).size() > 1) {
                    throw OAuthException.badField(name, "parameter '" + name + "' given more than once");
                }
            }
            String format = ctx.queryParams().get("format");
            if (format != null && !format.equals("jsonl") && !format.equals("json")) {
                throw OAuthException.badField("format", "format must be json or jsonl");
            }
            String accept = ctx.request().getHeader("Accept");
            lines = "jsonl".equals(format) || (format == null && accept != null && accept.contains(NDJSON));
            filter = new AuditQuery.Filter(text(ctx, "agent"), text(ctx, "owner"), text(ctx, "principal"),
                    text(ctx, "jti"), text(ctx, "lineage"), text(ctx, "type"), instant(ctx, "since"),
                    instant(ctx, "until"), number(ctx, "cursor", 0, Long.MAX_VALUE, 0),
                    (int) number(ctx, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT));
        } catch (OAuthException e) {
            Responses.error(ctx, e);
            return;
        }
        vertx.executeBlocking(() -> query.run(filter), false).onSuccess(page -> {
            if (lines) {
                Buffer body = Buffer.buffer();
                for (AuditRecord record : page.records()) {
                    body.appendString(record.line()).appendByte((byte) '\n');
                }
                if (page.nextCursor() != null) {
                    ctx.response().putHeader(NEXT_CURSOR_HEADER, page.nextCursor().toString());
                }
                ctx.response().putHeader("Content-Type", NDJSON).putHeader("Cache-Control", "no-store").end(body);
                return;
            }
            JsonArray events = new JsonArray();
            page.records().forEach(r -> events.add(r.toJson()));
            JsonObject json = new JsonObject().put("node", audit.node()).put("events", events);
            if (page.nextCursor() != null) {
                json.put("next_cursor", page.nextCursor().toString());
            }
            Responses.json(ctx, 200, json);
        }).onFailure(t -> Responses.failure(ctx, t));
    }

    private static String text(RoutingContext ctx, String name) {
        String value = ctx.queryParams().get(name);
        if (value == null) {
            return null;
        }
        if (value.isEmpty() || value.length() > 512) {
            throw OAuthException.badField(name, name + " must be between 1 and 512 characters");
        }
        return value;
    }

    private static Instant instant(RoutingContext ctx, String name) {
        String value = ctx.queryParams().get(name);
        if (value == null) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw OAuthException.badField(name, name + " must be an ISO-8601 instant such as 2026-12-01T00:00:00Z");
        }
    }

    private static long number(RoutingContext ctx, String name, long min, long max, long def) {
        String value = ctx.queryParams().get(name);
        if (value == null) {
            return def;
        }
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw OAuthException.badField(name, name + " must be an integer between " + min + " and " + max);
        }
    }

}
