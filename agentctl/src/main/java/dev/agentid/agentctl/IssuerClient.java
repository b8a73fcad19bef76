package dev.agentid.agentctl;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The issuer's admin HTTP API over {@link HttpClient}: a bearer token, JSON in and out. Every answer that is not a 2xx
 * becomes a {@link CliException} with its exit code: 404 {@link Agentctl#NOT_FOUND}, any other 4xx
 * {@link Agentctl#REFUSED} (the OAuth {@code error} and {@code error_description}), a 5xx or no answer at all
 * {@link Agentctl#UNREACHABLE}.
 */
final class IssuerClient {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    static final String JSON = "application/json";
    static final String MERGE_PATCH = "application/merge-patch+json";

    private final URI base;
    private final String bearer;
    private final HttpClient http;

    IssuerClient(URI base, String bearer) {
        this.base = base;
        this.bearer = bearer;
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    JsonObject get(String path, Map<String, String> query) {
        return send("GET", path + query(query), null, null);
    }

    JsonObject post(String path, JsonObject body) {
        return send("POST", path, JSON, body);
    }

    JsonObject patch(String path, JsonObject mergePatch) {
        return send("PATCH", path, MERGE_PATCH, mergePatch);
    }

    JsonObject delete(String path, JsonObject body) {
        return send("DELETE", path, JSON, body);
    }

    /** A path segment (an agent id, an approval id) as it goes into a URL. */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Map<String, String> params) {
        StringJoiner joiner = new StringJoiner("&", "?", "").setEmptyValue("");
        params.forEach((k, v) -> {
            if (v != null) {
                joiner.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(v, StandardCharsets.UTF_8));
            }
        });
        return joiner.toString();
    }

    private JsonObject send(String method, String pathAndQuery, String contentType, JsonObject body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(REQUEST_TIMEOUT).header("Accept", JSON);
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            request.header("Content-Type", contentType)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CliException(Agentctl.UNREACHABLE, "cannot reach the issuer at " + base + ": "
                    + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(Agentctl.UNREACHABLE, "interrupted while waiting for the issuer at " + base);
        }
        int status = response.statusCode();
        JsonObject json = parse(response.body());
        if (status >= 200 && status < 300) {
            if (json == null) {
                throw new CliException(Agentctl.UNREACHABLE, "the issuer at " + base + " answered " + status
                        + " without a JSON object: is --issuer the issuer?");
            }
            return json;
        }
        String error = json == null ? null : json.getString("error");
        String description = json == null ? null : json.getString("error_description");
        StringBuilder message = new StringBuilder();
        message.append(error != null ? error : "HTTP " + status);
        if (description != null) {
            message.append(": ").append(description);
        }
        Object field = json == null ? null : json.getValue("field");
        if (field instanceof String) {
            message.append(" (field ").append(field).append(')');
        }
        message.append(" [").append(method).append(' ').append(pathWithoutQuery(pathAndQuery)).append(" -> ")
                .append(status).append(']');
        if (status == 404) {
            throw new CliException(Agentctl.NOT_FOUND, message.toString());
        }
        if (status >= 400 && status < 500) {
            throw new CliException(Agentctl.REFUSED, message.toString());
        }
        throw new CliException(Agentctl.UNREACHABLE, "the issuer failed: " + message);
    }

    private static String pathWithoutQuery(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
    }

    private static JsonObject parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }
}
