package dev.agentid.issuer.federation.idp;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One trusted OpenID Provider, as the {@code identity_providers} array of the trust file configures it:
 *
 * <pre>
 * { "issuer": "https://idp.example",
 *   "metadata_url": "https://idp.example/.well-known/openid-configuration",   (optional, this default)
 *   "audience": "agentid",            (a string or an array: the token's aud must contain one of them)
 *   "groups_claim": "groups" }        (optional: the claim that lists the human's groups)
 * </pre>
 *
 * @param issuer the OpenID Provider's issuer identifier, compared exactly with {@code iss}
 * @param metadataUrl its OpenID Connect discovery document
 * @param audiences this issuer's client_id at the IdP (id_token {@code aud}) or resource (RFC 9068 access token
 *     {@code aud}); a token must name at least one
 * @param groupsClaim the claim holding the human's groups, or null
 */
public record IdentityProvider(String issuer, URI metadataUrl, List<String> audiences, String groupsClaim) {

    public static final String DISCOVERY_PATH = "/.well-known/openid-configuration";

    private static final Set<String> FIELDS = Set.of("issuer", "metadata_url", "audience", "groups_claim");

    public IdentityProvider {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(metadataUrl, "metadataUrl");
        audiences = List.copyOf(audiences);
    }

    /**
     * The principal a human becomes in our tokens ({@code sub}) and in {@code acts_for.users}: the IdP's issuer
     * identifier, {@code #}, the IdP's {@code sub}. Namespaced, so that the same {@code sub} at two IdPs names two
     * people.
     */
    public String principal(String subject) {
        return issuer + "#" + subject;
    }

    /** A group of this IdP as {@code acts_for.groups} names it: {@code <issuer>#<group>}. */
    public String group(String name) {
        return issuer + "#" + name;
    }

    /**
     * Parses the {@code identity_providers} array (null: none).
     *
     * @throws IllegalArgumentException naming the first bad entry
     */
    public static List<IdentityProvider> parseAll(JsonArray array) {
        if (array == null) {
            return List.of();
        }
        List<IdentityProvider> providers = new ArrayList<>(array.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            Object entry = array.getValue(i);
            if (!(entry instanceof JsonObject)) {
                throw new IllegalArgumentException("identity_providers[" + i + "] must be an object");
            }
            IdentityProvider idp = parse((JsonObject) entry, "identity_providers[" + i + "]");
            if (!seen.add(idp.issuer())) {
                throw new IllegalArgumentException("identity_providers: issuer '" + idp.issuer() + "' appears twice");
            }
            providers.add(idp);
        }
        return List.copyOf(providers);
    }

    /** Parses the {@code identity_providers} entries as the trust file loader keeps them. */
    public static List<IdentityProvider> parseAll(List<JsonObject> entries) {
        return parseAll(new JsonArray(new ArrayList<>(entries)));
    }

    static IdentityProvider parse(JsonObject json, String where) {
        for (String name : json.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException(where + ": unknown field '" + name + "'");
            }
        }
        String issuer = url(json.getValue("issuer"), where + ".issuer");
        if (issuer.contains("#") || issuer.contains("?")) {
            throw new IllegalArgumentException(where + ".issuer must have no query or fragment");
        }
        URI metadata = URI.create(json.containsKey("metadata_url")
                ? url(json.getValue("metadata_url"), where + ".metadata_url")
                : (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer) + DISCOVERY_PATH);
        List<String> audiences = new ArrayList<>();
        Object audience = json.getValue("audience");
        if (audience instanceof String && !((String) audience).isBlank()) {
            audiences.add((String) audience);
        } else if (audience instanceof JsonArray && !((JsonArray) audience).isEmpty()) {
            for (Object a : (JsonArray) audience) {
                if (!(a instanceof String) || ((String) a).isBlank()) {
                    throw new IllegalArgumentException(where + ".audience holds an invalid entry");
                }
                audiences.add((String) a);
            }
        } else {
            throw new IllegalArgumentException(where + ".audience must be a non-empty string or array of strings");
        }
        Object groups = json.getValue("groups_claim");
        if (groups != null && (!(groups instanceof String) || ((String) groups).isBlank())) {
            throw new IllegalArgumentException(where + ".groups_claim must be a non-empty string");
        }
        return new IdentityProvider(issuer, metadata, audiences, (String) groups);
    }

    /** https, or http for a loopback host only (tests, local IdPs). */
    private static String url(Object value, String where) {
        if (!(value instanceof String) || ((String) value).isBlank()) {
            throw new IllegalArgumentException(where + " must be a non-empty URL");
        }
        URI uri;
        try {
            uri = new URI((String) value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(where + " is not a URL");
        }
        String host = uri.getHost();
        boolean loopback = host != null && (host.equals("127.0.0.1") || host.equals("localhost")
                || host.equals("[::1]") || host.equals("::1"));
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !("http".equalsIgnoreCase(uri.getScheme()) && loopback)) {
            throw new IllegalArgumentException(where + " must be an https URL (http only for a loopback host)");
        }
        return (String) value;
    }
}
