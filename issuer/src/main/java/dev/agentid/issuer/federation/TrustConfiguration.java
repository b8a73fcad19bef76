package dev.agentid.issuer.federation;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed trust file ({@code ISSUER_TRUST_FILE}): the partner issuers this issuer trusts (identity chaining) and
 * the external OpenID Providers it trusts for human principals, and the partners subscribed to its Shared Signals
 * ({@link SignalReceiver}). {@code identity_providers} entries are kept as JSON
 * for the component that handles human principals; this class only checks that they are objects with an
 * {@code issuer}.
 *
 * <pre>{@code
 * {"partners": [{"issuer": "https://b.example", "metadata_url": "...optional...",
 *                "agents": {"<partner agent>": ["<local agent>", ...]}, "scopes": ["tickets:read"],
 *                "status_list_prefix": "...optional, default <issuer>/oauth2/status/...",
 *                "outbound_agents": ["<local agent that may obtain grants for this partner>", ...],
 *                "subjects": ["<principal>", "<namespace prefix>*", ...,
 *                             {"idp": "<an identity_providers issuer>", "proof": "required",
 *                              "audience": ["<the partner's client id at that IdP>", ...], "max_age": 3600}]}],
 *  "identity_providers": [{"issuer": "https://idp.example", ...}],
 *  "ssf_receivers": [{"endpoint": "https://b.example/ssf/events", "audience": "https://b.example",
 *                     "agent_audiences": ["https://api.b.example"]}],
 *  "console": {"idp": "https://idp.example", "client_id": "...", ...}}
 * }</pre>
 *
 * The optional {@code console} object (the web console's sign-in, docs/CONSOLE.md) is kept as JSON too; the console
 * parses it.
 */
public record TrustConfiguration(List<Partner> partners, List<JsonObject> identityProviders,
                                 List<SignalReceiver> signalReceivers, JsonObject console) {

    public static final TrustConfiguration EMPTY = new TrustConfiguration(List.of(), List.of(), List.of(), null);

    public TrustConfiguration {
        partners = List.copyOf(partners);
        identityProviders = List.copyOf(identityProviders);
        signalReceivers = List.copyOf(signalReceivers);
        console = console == null ? null : console.copy();
    }

    public TrustConfiguration(List<Partner> partners, List<JsonObject> identityProviders) {
        this(partners, identityProviders, List.of(), null);
    }

    /** The partner with this issuer identifier, or null. */
    public Partner partner(String issuer) {
        for (Partner p : partners) {
            if (p.issuer().equals(issuer)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Parses a trust file.
     *
     * @throws IllegalArgumentException naming the first problem
     */
    public static TrustConfiguration parse(String json) {
        dev.agentid.issuer.json.JsonSyntax.check(json);   // a syntax error with its line and column
        JsonObject root;
        try {
            root = new JsonObject(json);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("not a JSON object");
        }
        for (String key : root.fieldNames()) {
            if (!key.equals("partners") && !key.equals("identity_providers") && !key.equals("ssf_receivers")
                    && !key.equals("console")) {
                throw new IllegalArgumentException("unknown member '" + key + "'");
            }
        }
        List<Partner> partners = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (JsonObject p : objects(root, "partners")) {
            Partner partner = partner(p);
            if (!seen.add(partner.issuer())) {
                throw new IllegalArgumentException("partner '" + partner.issuer() + "' is listed twice");
            }
            partners.add(partner);
        }
        List<JsonObject> providers = new ArrayList<>();
        for (JsonObject idp : objects(root, "identity_providers")) {
            if (!(idp.getValue("issuer") instanceof String) || idp.getString("issuer").isEmpty()) {
                throw new IllegalArgumentException("identity_providers: every entry needs an issuer");
            }
            providers.add(idp.copy());
        }
        for (Partner partner : partners) {
            for (Partner.SubjectProof proof : partner.proofs()) {
                if (providers.stream().noneMatch(idp -> proof.idp().equals(idp.getString("issuer")))) {
                    throw new IllegalArgumentException("partner '" + partner.issuer() + "': subjects: idp '"
                            + proof.idp() + "' is not among identity_providers");
                }
            }
        }
        List<SignalReceiver> receivers = new ArrayList<>();
        for (JsonObject receiver : objects(root, "ssf_receivers")) {
            receivers.add(SignalReceiver.parse(receiver));
        }
        Object console = root.getValue("console");
        if (console != null && !(console instanceof JsonObject)) {
            throw new IllegalArgumentException("console must be an object");
        }
        return new TrustConfiguration(partners, providers, receivers, (JsonObject) console);
    }

    private static Partner partner(JsonObject p) {
        for (String key : p.fieldNames()) {
            if (!Set.of("issuer", "metadata_url", "agents", "scopes", "status_list_prefix",
                "outbound_agents", "subjects").contains(key)) {
                throw new IllegalArgumentException("partners: unknown member '" + key + "'");
            }
        }
        Object issuerValue = p.getValue("issuer");
        if (!(issuerValue instanceof String) || ((String) issuerValue).isEmpty()) {
            throw new IllegalArgumentException("partners: every entry needs an issuer");
        }
        String issuer = (String) issuerValue;
        requireSecureUrl(issuer, "partner issuer");
        URI metadata = Partner.defaultMetadataUrl(issuer);
        if (p.containsKey("metadata_url")) {
            Object value = p.getValue("metadata_url");
            if (!(value instanceof String)) {
                throw new IllegalArgumentException("partner '" + issuer + "': metadata_url must be a string");
            }
            requireSecureUrl((String) value, "metadata_url of partner '" + issuer + "'");
            metadata = URI.create((String) value);
        }
        Map<String, Set<String>> agents = new LinkedHashMap<>();
        Object agentsValue = p.getValue("agents");
        if (agentsValue != null) {
            if (!(agentsValue instanceof JsonObject)) {
                throw new IllegalArgumentException("partner '" + issuer + "': agents must be an object");
            }
            for (Map.Entry<String, Object> e : (JsonObject) agentsValue) {
                agents.put(e.getKey(), Set.copyOf(strings(e.getValue(), "partner '" + issuer + "': agents."
                        + e.getKey())));
            }
        }
        List<String> scopes = p.containsKey("scopes") ? strings(p.getValue("scopes"), "partner '" + issuer
                + "': scopes") : List.of();
        String prefix = Partner.defaultStatusListPrefix(issuer);
        if (p.containsKey("status_list_prefix")) {
            Object value = p.getValue("status_list_prefix");
            if (!(value instanceof String) || !((String) value).endsWith("/")) {
                throw new IllegalArgumentException("partner '" + issuer + "': status_list_prefix must be a URL "
                        + "ending in /");
            }
            requireSecureUrl((String) value, "status_list_prefix of partner '" + issuer + "'");
            prefix = (String) value;
        }
        Set<String> outbound = p.containsKey("outbound_agents") ? Set.copyOf(strings(p.getValue("outbound_agents"),
                "partner '" + issuer + "': outbound_agents")) : Set.of();
        List<String> subjects = new ArrayList<>();
        List<Partner.SubjectProof> proofs = new ArrayList<>();
        if (p.containsKey("subjects")) {
            if (!(p.getValue("subjects") instanceof JsonArray)) {
                throw new IllegalArgumentException("partner '" + issuer + "': subjects must be an array");
            }
            for (Object entry : p.getJsonArray("subjects")) {
                if (entry instanceof JsonObject) {
                    proofs.add(subjectProof((JsonObject) entry, "partner '" + issuer + "': subjects"));
                    continue;
                }
                if (!(entry instanceof String) || ((String) entry).isEmpty()) {
                    throw new IllegalArgumentException("partner '" + issuer + "': subjects must hold non-empty "
                            + "strings or {\"idp\", \"proof\", \"audience\"} objects");
                }
                String pattern = (String) entry;
                if (pattern.indexOf('*') != pattern.length() - 1 && pattern.indexOf('*') >= 0) {
                    throw new IllegalArgumentException("partner '" + issuer + "': subjects: '*' only at the end");
                }
                subjects.add(pattern);
            }
        }
        return new Partner(issuer, metadata, agents, scopes, prefix, outbound, subjects, proofs);
    }

    /** {@code {"idp": "<issuer>", "proof": "required", "audience": ["<client id>", ...], "max_age": <seconds>}}. */
    private static Partner.SubjectProof subjectProof(JsonObject entry, String where) {
        for (String key : entry.fieldNames()) {
            if (!Set.of("idp", "proof", "audience", "max_age").contains(key)) {
                throw new IllegalArgumentException(where + ": unknown member '" + key + "'");
            }
        }
        if (!(entry.getValue("idp") instanceof String) || entry.getString("idp").isEmpty()) {
            throw new IllegalArgumentException(where + ": idp must be an identity provider's issuer");
        }
        if (!"required".equals(entry.getValue("proof"))) {
            throw new IllegalArgumentException(where + ": proof must be \"required\"");
        }
        Object audience = entry.getValue("audience");
        List<String> audiences = audience instanceof String && !((String) audience).isEmpty()
                ? List.of((String) audience) : strings(audience, where + ": audience");
        if (audiences.isEmpty()) {
            throw new IllegalArgumentException(where + ": audience must name the partner's client at the IdP");
        }
        java.time.Duration maxAge = Partner.DEFAULT_PROOF_AGE;
        if (entry.containsKey("max_age")) {
            Object value = entry.getValue("max_age");
            if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 1
                    || ((Number) value).longValue() > Partner.MAX_PROOF_AGE.toSeconds()) {
                throw new IllegalArgumentException(where + ": max_age must be seconds between 1 and "
                        + Partner.MAX_PROOF_AGE.toSeconds());
            }
            maxAge = java.time.Duration.ofSeconds(((Number) value).longValue());
        }
        return new Partner.SubjectProof(entry.getString("idp"), java.util.Set.copyOf(audiences), maxAge);
    }

    private static List<JsonObject> objects(JsonObject root, String member) {
        Object value = root.getValue(member);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray)) {
            throw new IllegalArgumentException(member + " must be an array");
        }
        List<JsonObject> list = new ArrayList<>();
        for (Object o : (JsonArray) value) {
            if (!(o instanceof JsonObject)) {
                throw new IllegalArgumentException(member + ": every entry must be an object");
            }
            list.add((JsonObject) o);
        }
        return list;
    }

    private static List<String> strings(Object value, String what) {
        if (!(value instanceof JsonArray)) {
            throw new IllegalArgumentException(what + " must be an array of strings");
        }
        List<String> list = new ArrayList<>();
        for (Object o : (JsonArray) value) {
            if (!(o instanceof String) || ((String) o).isEmpty()) {
                throw new IllegalArgumentException(what + " must be an array of non-empty strings");
            }
            list.add((String) o);
        }
        return list;
    }

    /** https, or http to a loopback address (tests, a single machine). */
    static void requireSecureUrl(String value, String what) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(what + " is not a URL: " + value);
        }
        String scheme = uri.getScheme();
        if (uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !("https".equalsIgnoreCase(scheme) || ("http".equalsIgnoreCase(scheme) && isLoopback(uri.getHost())))) {
            throw new IllegalArgumentException(what + " must be an https URL (http only for loopback): " + value);
        }
    }

    static boolean isLoopback(String host) {
        if ("localhost".equalsIgnoreCase(host)) {
            return true;
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false;
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
