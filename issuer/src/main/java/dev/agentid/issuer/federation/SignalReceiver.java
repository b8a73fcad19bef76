package dev.agentid.issuer.federation;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A partner subscribed to our Shared Signals: the trust file's {@code ssf_receivers} entry
 *
 * <pre>
 * { "endpoint": "https://partner.example/ssf/events",   (its RFC 8935 push endpoint)
 *   "audience": "https://partner.example",               (the SETs' aud: the receiver's identifier)
 *   "agent_audiences": ["https://api.partner.example"] } (the agents whose tokens travel there: those registered
 *                                                          with one of these audiences; "*" for every agent)
 * </pre>
 *
 * @param endpoint where SETs are pushed
 * @param audience the SETs' {@code aud}
 * @param agentAudiences the token audiences that make an agent's events this receiver's business
 */
public record SignalReceiver(URI endpoint, String audience, Set<String> agentAudiences) {

    private static final Set<String> FIELDS = Set.of("endpoint", "audience", "agent_audiences");

    public SignalReceiver {
        agentAudiences = Set.copyOf(agentAudiences);
    }

    /** Whether the events of an agent registered with {@code audiences} go to this receiver. */
    public boolean concerns(java.util.Collection<String> audiences) {
        if (agentAudiences.contains("*")) {
            return true;
        }
        for (String audience : audiences) {
            if (agentAudiences.contains(audience)) {
                return true;
            }
        }
        return false;
    }

    /** Parses one entry; {@code IllegalArgumentException} names the problem. */
    static SignalReceiver parse(JsonObject json) {
        for (String key : json.fieldNames()) {
            if (!FIELDS.contains(key)) {
                throw new IllegalArgumentException("ssf_receivers: unknown member '" + key + "'");
            }
        }
        if (!(json.getValue("endpoint") instanceof String raw) || raw.isEmpty()) {
            throw new IllegalArgumentException("ssf_receivers: every entry needs an endpoint");
        }
        URI endpoint;
        try {
            endpoint = new URI(raw);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("ssf_receivers: endpoint '" + raw + "' is not a URL");
        }
        if (endpoint.getHost() == null || !("https".equals(endpoint.getScheme())
                || "http".equals(endpoint.getScheme())) || endpoint.getRawFragment() != null) {
            throw new IllegalArgumentException("ssf_receivers: endpoint '" + raw + "' is not an http(s) URL");
        }
        if (!(json.getValue("audience") instanceof String audience) || audience.isEmpty()) {
            throw new IllegalArgumentException("ssf_receivers: endpoint '" + raw + "' needs an audience");
        }
        if (!(json.getValue("agent_audiences") instanceof JsonArray list) || list.isEmpty()) {
            throw new IllegalArgumentException("ssf_receivers: endpoint '" + raw
                    + "' needs agent_audiences, a non-empty array (\"*\": every agent)");
        }
        Set<String> audiences = new LinkedHashSet<>();
        for (Object value : list) {
            if (!(value instanceof String s) || s.isEmpty()) {
                throw new IllegalArgumentException("ssf_receivers: agent_audiences holds a non-string");
            }
            audiences.add(s);
        }
        return new SignalReceiver(endpoint, audience, audiences);
    }
}
