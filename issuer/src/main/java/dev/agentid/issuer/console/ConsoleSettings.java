package dev.agentid.issuer.console;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The optional {@code console} object of the trust file (docs/CONSOLE.md): the console's client at one of the
 * trusted identity providers, and which of the provider's users and groups hold which role.
 *
 * <pre>
 * "console": {
 *   "idp": "https://idp.example",                   (one of identity_providers)
 *   "client_id": "agentid-console", "client_secret": "...",   (client_secret_basic at the IdP's token endpoint)
 *   "scopes": ["openid", "groups"],                 (optional, default ["openid"])
 *   "roles": {"viewer":   {"groups": ["https://idp.example#security"]},
 *             "operator": {"groups": ["https://idp.example#sre"], "users": ["https://idp.example#alice"]},
 *             "approver": {"groups": ["https://idp.example#finance"]}},
 *   "idle_timeout_seconds": 900, "session_seconds": 28800 }   (optional, these defaults)
 * </pre>
 *
 * Users and groups are namespaced as {@code acts_for} names them: {@code <IdP issuer>#<sub>} and
 * {@code <IdP issuer>#<group>} (the group from the provider's {@code groups_claim}).
 *
 * @param idp null when the console has no identity provider: then only break-glass sign-in is offered
 */
public record ConsoleSettings(String idp, String clientId, String clientSecret, List<String> scopes,
                              Map<Role, Members> roles, Duration idle, Duration absolute) {

    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(15);
    public static final Duration DEFAULT_ABSOLUTE = Duration.ofHours(8);
    /** Without a {@code console} object: break-glass only, default expiry. */
    public static final ConsoleSettings BREAK_GLASS_ONLY = new ConsoleSettings(null, null, null, List.of(), Map.of(),
            DEFAULT_IDLE, DEFAULT_ABSOLUTE);

    private static final Set<String> FIELDS = Set.of("idp", "client_id", "client_secret", "scopes", "roles",
            "idle_timeout_seconds", "session_seconds");

    /** Who holds a role: users ({@code <idp>#<sub>}) and groups ({@code <idp>#<group>}). */
    public record Members(List<String> users, List<String> groups) {
        public Members {
            users = List.copyOf(users);
            groups = List.copyOf(groups);
        }
    }

    public ConsoleSettings {
        scopes = List.copyOf(scopes);
        roles = Map.copyOf(roles);
    }

    public boolean signInConfigured() {
        return idp != null;
    }

    /** The roles of a human: every role that lists her or one of her groups. */
    public Set<Role> rolesOf(String principal, List<String> groups) {
        Set<Role> held = EnumSet.noneOf(Role.class);
        roles.forEach((role, members) -> {
            if (members.users().contains(principal) || groups.stream().anyMatch(members.groups()::contains)) {
                held.add(role);
            }
        });
        return held;
    }

    /**
     * Parses the trust file's {@code console} object (null: break-glass only).
     *
     * @param identityProviders the issuers of the trust file's {@code identity_providers}
     * @throws IllegalArgumentException naming the first problem
     */
    public static ConsoleSettings parse(JsonObject json, List<String> identityProviders) {
        if (json == null) {
            return BREAK_GLASS_ONLY;
        }
        for (String name : json.fieldNames()) {
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("console: unknown field '" + name + "'");
            }
        }
        Duration idle = seconds(json, "idle_timeout_seconds", DEFAULT_IDLE);
        Duration absolute = seconds(json, "session_seconds", DEFAULT_ABSOLUTE);
        if (!json.containsKey("idp")) {
            if (json.containsKey("client_id") || json.containsKey("roles")) {
                throw new IllegalArgumentException("console: client_id and roles need an idp");
            }
            return new ConsoleSettings(null, null, null, List.of(), Map.of(), idle, absolute);
        }
        String idp = text(json, "idp");
        if (!identityProviders.contains(idp)) {
            throw new IllegalArgumentException("console.idp '" + idp + "' is not among identity_providers");
        }
        String clientId = text(json, "client_id");
        String secret = text(json, "client_secret");
        List<String> scopes = json.containsKey("scopes") ? strings(json.getValue("scopes"), "console.scopes")
                : List.of("openid");
        if (!scopes.contains("openid")) {
            throw new IllegalArgumentException("console.scopes must include openid");
        }
        Object rawRoles = json.getValue("roles");
        if (!(rawRoles instanceof JsonObject roleObject)) {
            throw new IllegalArgumentException("console.roles must be an object {\"viewer\": {...}, ...}");
        }
        Map<Role, Members> roles = new EnumMap<>(Role.class);
        for (String name : roleObject.fieldNames()) {
            Role role = Role.fromWire(name);
            Object raw = roleObject.getValue(name);
            if (!(raw instanceof JsonObject m)) {
                throw new IllegalArgumentException("console.roles." + name + " must be {\"users\": [...], "
                        + "\"groups\": [...]}");
            }
            for (String field : m.fieldNames()) {
                if (!field.equals("users") && !field.equals("groups")) {
                    throw new IllegalArgumentException("console.roles." + name + ": unknown field '" + field + "'");
                }
            }
            List<String> users = m.containsKey("users") ? strings(m.getValue("users"), "console.roles." + name
                    + ".users") : List.of();
            List<String> groups = m.containsKey("groups") ? strings(m.getValue("groups"), "console.roles." + name
                    + ".groups") : List.of();
            for (String entry : concat(users, groups)) {
                if (!entry.startsWith(idp + "#") || entry.length() == idp.length() + 1) {
                    throw new IllegalArgumentException("console.roles." + name + ": '" + entry
                            + "' must be '" + idp + "#<sub or group>'");
                }
            }
            roles.put(role, new Members(users, groups));
        }
        return new ConsoleSettings(idp, clientId, secret, scopes, roles, idle, absolute);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static String text(JsonObject json, String field) {
        Object value = json.getValue(field);
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("console." + field + " must be a non-empty string");
        }
        return s;
    }

    private static List<String> strings(Object value, String where) {
        if (!(value instanceof JsonArray array)) {
            throw new IllegalArgumentException(where + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException(where + " holds an invalid entry");
            }
            out.add(s);
        }
        return out;
    }

    private static Duration seconds(JsonObject json, String field, Duration fallback) {
        if (!json.containsKey(field)) {
            return fallback;
        }
        Object value = json.getValue(field);
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < 60
                || ((Number) value).longValue() > 7 * 86_400) {
            throw new IllegalArgumentException("console." + field + " must be an integer between 60 and 604800");
        }
        return Duration.ofSeconds(((Number) value).longValue());
    }
}
