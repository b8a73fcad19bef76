package dev.agentid.issuer.http;

import dev.agentid.issuer.audit.AuditLog;
import dev.agentid.issuer.audit.Canonical;
import dev.agentid.issuer.audit.AuditQuery;
import dev.agentid.issuer.domain.OAuthException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /admin/audit} (behind the admin token, like every /admin route): this node's audit records, filtered by
 * {@code agent}, {@code owner}, {@code principal}, {@code jti}, {@code lineage}, {@code type}, {@code since} and
 * {@code until} (ISO-8601), paged by {@code cursor} (from {@code next_cursor}) and {@code limit} (1..1000, default
 * 100). JSON by default, {@code {"node", "events": [...], "next_cursor"}}; JSON lines (one record per line, exactly as
 * in the log file) with {@code Accept: application/x-ndjson} or {@code format=jsonl}, the next cursor then in the
 * {@code Audit-Next-Cursor} header.
 *
 * <p>With {@code ISSUER_AUDIT_PEERS} (the other nodes' HTTP base URLs) the answer covers the whole cluster by default
 * ({@code scope=cluster}; {@code scope=node} for this node alone): this node asks each peer for the same page of its
 * own log ({@code scope=node}, with the caller's admin token), merges the records by time, and returns one cursor that
 * holds a position per node. A peer that does not answer is listed in {@code unavailable}; the page is then partial.
 */
final class AuditEndpoint {

    static final String PATH = "/admin/audit";
    static final String NDJSON = "application/x-ndjson";
    static final String NEXT_CURSOR_HEADER = "Audit-Next-Cursor";
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    private static final String SELF = "self";
    private static final String CLUSTER_CURSOR = "c.";
    private static final int PEER_TIMEOUT_MILLIS = 10_000;
    private static final Set<String> FILTERS = Set.of("agent", "owner", "principal", "jti", "lineage", "type",
            "since", "until");
    private static final Set<String> PARAMETERS = Set.of("agent", "owner", "principal", "jti", "lineage", "type",
            "since", "until", "cursor", "limit", "format", "scope");

    private final Vertx vertx;
    private final AuditLog audit;
    private final AuditQuery query;
    private final List<String> peers;
    private final HttpClient client;

    private final dev.agentid.issuer.client.AdminToken admin;

    AuditEndpoint(Vertx vertx, AuditLog audit, List<String> peers) {
        this(vertx, audit, peers, null);
    }

    /** With the admin token that asks the peers for a web console session's page (its caller has no bearer token). */
    AuditEndpoint(Vertx vertx, AuditLog audit, List<String> peers, dev.agentid.issuer.client.AdminToken admin) {
        this.admin = admin;
        this.vertx = vertx;
        this.audit = audit;
        this.query = new AuditQuery(audit.directory());
        this.peers = List.copyOf(peers);
        this.client = peers.isEmpty() ? null : vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout(PEER_TIMEOUT_MILLIS).setIdleTimeout(PEER_TIMEOUT_MILLIS / 1000));
    }

    /** One node's part of a page: its name, its records after its cursor, whether it has more. */
    private record Part(String source, String node, List<JsonObject> records, boolean more, String failure) {
    }

    void handle(RoutingContext ctx) {
        boolean lines;
        boolean cluster;
        AuditQuery.Filter filter;
        Map<String, Long> cursors;
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
            String scope = ctx.queryParams().get("scope");
            if (scope != null && !scope.equals("node") && !scope.equals("cluster")) {
                throw OAuthException.badField("scope", "scope must be node or cluster");
            }
            cluster = scope == null ? !peers.isEmpty() : scope.equals("cluster");
            String accept = ctx.request().getHeader("Accept");
            lines = "jsonl".equals(format) || (format == null && accept != null && accept.contains(NDJSON));
            cursors = cursors(ctx.queryParams().get("cursor"), cluster);
            filter = new AuditQuery.Filter(text(ctx, "agent"), text(ctx, "owner"), text(ctx, "principal"),
                    text(ctx, "jti"), text(ctx, "lineage"), text(ctx, "type"), instant(ctx, "since"),
                    instant(ctx, "until"), cursors.getOrDefault(SELF, 0L),
                    (int) number(ctx, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT));
        } catch (OAuthException e) {
            Responses.error(ctx, e);
            return;
        }
        List<Future<Part>> parts = new ArrayList<>();
        parts.add(vertx.executeBlocking(() -> query.run(filter), false).map(page -> {
            List<JsonObject> records = new ArrayList<>(page.records().size());
            page.records().forEach(r -> records.add(r.toJson()));
            return new Part(SELF, audit.node(), records, page.nextCursor() != null, null);
        }));
        if (cluster) {
            for (String peer : peers) {
                parts.add(peer(ctx, peer, cursors.getOrDefault(peer, 0L), filter.limit()));
            }
        }
        Future.join(parts).onComplete(done -> {
            for (Future<Part> part : parts) {
                if (part.failed() && !cluster) {
                    Responses.failure(ctx, part.cause());
                    return;
                }
            }
            if (parts.get(0).failed()) {
                Responses.failure(ctx, parts.get(0).cause());
                return;
            }
            respond(ctx, merge(parts, cursors, filter.limit(), cluster), lines);
        });
    }

    private record Merged(List<JsonObject> records, String nextCursor, List<String> nodes, JsonArray unavailable) {
    }

    /** The first {@code limit} records of all parts by time; each node's cursor moves past what was taken from it. */
    private Merged merge(List<Future<Part>> parts, Map<String, Long> cursors, int limit, boolean cluster) {
        List<Map.Entry<String, JsonObject>> all = new ArrayList<>();
        List<String> nodes = new ArrayList<>();
        JsonArray unavailable = new JsonArray();
        boolean more = false;
        for (int i = 0; i < parts.size(); i++) {
            Future<Part> f = parts.get(i);
            if (f.failed()) {
                unavailable.add(new JsonObject().put("peer", peers.get(i - 1)).put("error", f.cause().getMessage()));
                continue;
            }
            Part part = f.result();
            nodes.add(part.node());
            more |= part.more();
            part.records().forEach(r -> all.add(Map.entry(part.source(), r)));
        }
        all.sort(Comparator.comparing((Map.Entry<String, JsonObject> e) -> Instant.parse(e.getValue().getString("time")))
                .thenComparing(e -> e.getValue().getString("node")).thenComparing(e -> e.getValue().getLong("seq")));
        List<JsonObject> taken = new ArrayList<>();
        Map<String, Long> next = new LinkedHashMap<>(cursors);
        for (Map.Entry<String, JsonObject> e : all) {
            if (taken.size() == limit) {
                more = true;
                break;
            }
            taken.add(e.getValue());
            next.put(e.getKey(), e.getValue().getLong("seq"));
        }
        String cursor = !more || taken.isEmpty() ? null : cluster ? encode(next) : next.get(SELF).toString();
        return new Merged(taken, cursor, nodes, unavailable);
    }

    private void respond(RoutingContext ctx, Merged merged, boolean lines) {
        if (lines) {
            Buffer body = Buffer.buffer();
            for (JsonObject record : merged.records()) {
                body.appendString(Canonical.encode(record.getMap())).appendByte((byte) '\n');   // the log's line
            }
            if (merged.nextCursor() != null) {
                ctx.response().putHeader(NEXT_CURSOR_HEADER, merged.nextCursor());
            }
            ctx.response().putHeader("Content-Type", NDJSON).putHeader("Cache-Control", "no-store").end(body);
            return;
        }
        JsonObject json = new JsonObject().put("node", audit.node());
        if (!peers.isEmpty()) {
            json.put("nodes", new JsonArray(merged.nodes()));
        }
        json.put("events", new JsonArray(new ArrayList<>(merged.records())));
        if (merged.nextCursor() != null) {
            json.put("next_cursor", merged.nextCursor());
        }
        if (!merged.unavailable().isEmpty()) {
            json.put("unavailable", merged.unavailable());
        }
        Responses.json(ctx, 200, json);
    }

    /** The caller's admin token; for a console session (no bearer token of its own), this node's. */
    private String peerAuthorization(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null && admin != null
                && ctx.get(dev.agentid.issuer.console.ConsoleSession.ACTOR) != null) {
            return admin.bearerHeader();
        }
        return header == null ? "" : header;
    }

    /** Asks a peer for its own page: the same filters, scope=node, the caller's admin token. */
    private Future<Part> peer(RoutingContext ctx, String peer, long cursor, int limit) {
        StringBuilder uri = new StringBuilder(peer).append(PATH).append("?scope=node&format=json&limit=").append(limit)
                .append("&cursor=").append(cursor);
        for (String name : FILTERS) {
            String value = ctx.queryParams().get(name);
            if (value != null) {
                uri.append('&').append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        }
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(uri.toString())
                .putHeader("Authorization", peerAuthorization(ctx))
                .setTimeout(PEER_TIMEOUT_MILLIS);
        return client.request(options).compose(request -> request.send()).compose(response -> response.body()
                .map(body -> {
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("answered " + response.statusCode());
                    }
                    JsonObject json = new JsonObject(body);
                    List<JsonObject> records = new ArrayList<>();
                    json.getJsonArray("events").forEach(e -> records.add((JsonObject) e));
                    return new Part(peer, json.getString("node"), records, json.getString("next_cursor") != null,
                            null);
                }));
    }

    /** Node scope: a seq. Cluster scope: "c." + base64url of {"self": seq, "<peer URL>": seq}. */
    private static Map<String, Long> cursors(String raw, boolean cluster) {
        Map<String, Long> cursors = new LinkedHashMap<>();
        if (raw == null) {
            return cursors;
        }
        try {
            if (!cluster) {
                long seq = Long.parseLong(raw);
                if (seq < 0) {
                    throw new NumberFormatException();
                }
                cursors.put(SELF, seq);
                return cursors;
            }
            if (!raw.startsWith(CLUSTER_CURSOR) || raw.length() > 4096) {
                throw new IllegalArgumentException();
            }
            JsonObject json = new JsonObject(new String(Base64.getUrlDecoder().decode(
                    raw.substring(CLUSTER_CURSOR.length())), StandardCharsets.UTF_8));
            for (String key : json.fieldNames()) {
                cursors.put(key, json.getLong(key));
            }
            return cursors;
        } catch (RuntimeException e) {
            throw OAuthException.badField("cursor", "cursor must be a next_cursor of this query");
        }
    }

    private static String encode(Map<String, Long> cursors) {
        JsonObject json = new JsonObject();
        cursors.forEach(json::put);
        return CLUSTER_CURSOR + Base64.getUrlEncoder().withoutPadding().encodeToString(
                json.encode().getBytes(StandardCharsets.UTF_8));
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
