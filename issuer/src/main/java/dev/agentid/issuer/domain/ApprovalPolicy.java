package dev.agentid.issuer.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which of an agent's token requests need a human's approval, who may give it and for how long (the registration's
 * {@code approval} member, profile section 6.13). Immutable; {@link #parse} validates strictly and names the
 * offending member, {@link #toMap} is the registration's view (and the persisted form).
 *
 * <pre>
 * "approval": {
 *   "scopes": ["payments:write"],                    a request for one of these scopes needs approval
 *   "audiences": ["https://bank.example"],           ... or for one of these audiences
 *   "authorization_details": [                       ... or an RFC 9396 detail of this type above the threshold
 *     {"type": "payment", "field": "amount", "above": 1000, "currency": "EUR"}],
 *   "approvers": {"owner": true, "users": ["https://idp.example#bob"], "groups": ["https://idp.example#finance"]},
 *   "four_eyes": false,          true: neither the agent's owner nor the request's principal may approve
 *   "lifetime_seconds": 600,     an approved token lives at most this long after the approval
 *   "pending_seconds": 300,      a request waits this long for a decision (CIBA expires_in)
 *   "interval_seconds": 5 }      the least time between two polls (CIBA interval)
 * </pre>
 */
public record ApprovalPolicy(List<String> scopes, List<String> audiences, List<Threshold> thresholds,
                             boolean ownerApproves, List<String> users, List<String> groups, boolean fourEyes,
                             long lifetimeSeconds, long pendingSeconds, long intervalSeconds, Autonomy autonomy) {

    /**
     * Graduated autonomy ({@code "autonomy": {"after": N, "window_seconds": W}}): once humans have approved
     * {@code after} requests of the same kind (the same rules met) within {@code window_seconds}, further requests of
     * that kind are approved automatically, recorded as such; any denial of the agent's requests resets the count.
     */
    public record Autonomy(int after, long windowSeconds) {
    }

    /** Without graduated autonomy. */
    public ApprovalPolicy(List<String> scopes, List<String> audiences, List<Threshold> thresholds,
                          boolean ownerApproves, List<String> users, List<String> groups, boolean fourEyes,
                          long lifetimeSeconds, long pendingSeconds, long intervalSeconds) {
        this(scopes, audiences, thresholds, ownerApproves, users, groups, fourEyes, lifetimeSeconds, pendingSeconds,
                intervalSeconds, null);
    }

    public static final String MEMBER = "approval";
    public static final long DEFAULT_LIFETIME_SECONDS = 600;
    public static final long DEFAULT_PENDING_SECONDS = 300;
    public static final long DEFAULT_INTERVAL_SECONDS = 5;
    public static final long MAX_SECONDS = 86_400;
    private static final int MAX_LIST = 100;
    private static final Set<String> MEMBERS = Set.of("scopes", "audiences", "authorization_details", "approvers",
            "four_eyes", "lifetime_seconds", "pending_seconds", "interval_seconds", "autonomy");
    private static final Set<String> AUTONOMY_MEMBERS = Set.of("after", "window_seconds");
    public static final long MAX_AUTONOMY_WINDOW_SECONDS = 30 * 86_400L;
    private static final Set<String> APPROVER_MEMBERS = Set.of("owner", "users", "groups");
    private static final Set<String> THRESHOLD_MEMBERS = Set.of("type", "field", "above", "currency");
    private static final Pattern FIELD_PATH = Pattern.compile("[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    /** {@code <idp issuer URL>#<sub or group>}, as {@code acts_for} names humans. */
    private static final Pattern HUMAN = Pattern.compile("https?://[\\x21\\x22\\x24-\\x7E]+#[\\x21-\\x7E]{1,255}");

    /**
     * One threshold on RFC 9396 authorization details: a detail of {@code type} whose numeric member {@code field}
     * (a dotted path) is above {@code above} (a whole number) needs approval; the detail's value may be a JSON number
     * or a numeric string (RFC 9396 examples write amounts as strings). With {@code currency}, the detail's {@code currency}
     * (the member next to {@code field}) must be that currency to be compared; a detail in another currency, or
     * whose amount is missing or not a number, always needs approval (it cannot be shown to be below).
     */
    public record Threshold(String type, String field, BigDecimal above, String currency) {

        public Threshold {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(field, "field");
            above = Objects.requireNonNull(above, "above").stripTrailingZeros();
        }

        /** Why {@code detail} needs approval under this threshold, or null when it does not. */
        String exceeds(Map<String, Object> detail) {
            if (!type.equals(detail.get("type"))) {
                return null;
            }
            String[] path = field.split("\\.");
            Object container = detail;
            for (int i = 0; i < path.length - 1 && container != null; i++) {
                container = container instanceof Map<?, ?> m ? m.get(path[i]) : null;
            }
            Object raw = container instanceof Map<?, ?> m ? m.get(path[path.length - 1]) : null;
            if (currency != null) {
                Object actual = container instanceof Map<?, ?> m ? m.get("currency") : null;
                if (!currency.equals(actual)) {
                    return type + " in a currency other than " + currency;
                }
            }
            BigDecimal value = number(raw);
            if (value == null) {
                return type + " without a numeric " + field;
            }
            if (value.compareTo(above) > 0) {
                return type + " " + field + " " + value.toPlainString() + " above " + above.toPlainString()
                        + (currency == null ? "" : " " + currency);
            }
            return null;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>(4);
            m.put("type", type);
            m.put("field", field);
            m.put("above", above.longValueExact());
            if (currency != null) {
                m.put("currency", currency);
            }
            return m;
        }
    }

    public ApprovalPolicy {
        scopes = List.copyOf(scopes);
        audiences = List.copyOf(audiences);
        thresholds = List.copyOf(thresholds);
        users = List.copyOf(users);
        groups = List.copyOf(groups);
    }

    private static BigDecimal number(Object raw) {
        if (raw instanceof Number n) {
            try {
                return new BigDecimal(n.toString());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (raw instanceof String s && s.length() <= 64) {
            try {
                return new BigDecimal(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    /**
     * Why a request for these scopes, this audience and these authorization details needs approval (one reason per
     * rule it meets, in policy order); empty when it needs none.
     */
    public List<String> reasons(List<String> requestedScopes, String audience, List<Map<String, Object>> details) {
        List<String> reasons = new ArrayList<>();
        for (String s : scopes) {
            if (requestedScopes.contains(s)) {
                reasons.add("scope '" + s + "'");
            }
        }
        if (audience != null && audiences.contains(audience)) {
            reasons.add("audience '" + audience + "'");
        }
        for (Map<String, Object> detail : details) {
            for (Threshold t : thresholds) {
                String why = t.exceeds(detail);
                if (why != null) {
                    reasons.add(why);
                }
            }
        }
        return reasons;
    }

    /**
     * The kind of a request for graduated autonomy: the rules it meets ({@code scope:x}, {@code audience:y},
     * {@code details:<type>}), sorted; two requests are of the same kind when they meet the same rules.
     */
    public String kind(List<String> requestedScopes, String audience, List<Map<String, Object>> details) {
        java.util.TreeSet<String> kinds = new java.util.TreeSet<>();
        for (String s : scopes) {
            if (requestedScopes.contains(s)) {
                kinds.add("scope:" + s);
            }
        }
        if (audience != null && audiences.contains(audience)) {
            kinds.add("audience:" + audience);
        }
        for (Map<String, Object> detail : details) {
            for (Threshold t : thresholds) {
                if (t.exceeds(detail) != null) {
                    kinds.add("details:" + t.type());
                }
            }
        }
        return String.join(" ", kinds);
    }

    /** Whether {@code principal} (with {@code principalGroups}) is one of the approvers; four eyes not applied. */
    public boolean approver(String owner, String principal, List<String> principalGroups) {
        if (ownerApproves && owner.equals(principal)) {
            return true;
        }
        if (users.contains(principal)) {
            return true;
        }
        for (String g : principalGroups) {
            if (groups.contains(g)) {
                return true;
            }
        }
        return false;
    }

    /** The registration's view of the policy (also its persisted JSON). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>(8);
        m.put("scopes", scopes);
        m.put("audiences", audiences);
        List<Object> t = new ArrayList<>(thresholds.size());
        thresholds.forEach(x -> t.add(x.toMap()));
        m.put("authorization_details", t);
        Map<String, Object> approvers = new LinkedHashMap<>(3);
        approvers.put("owner", ownerApproves);
        approvers.put("users", users);
        approvers.put("groups", groups);
        m.put("approvers", approvers);
        m.put("four_eyes", fourEyes);
        m.put("lifetime_seconds", lifetimeSeconds);
        m.put("pending_seconds", pendingSeconds);
        m.put("interval_seconds", intervalSeconds);
        if (autonomy != null) {
            Map<String, Object> a = new LinkedHashMap<>(2);
            a.put("after", autonomy.after());
            a.put("window_seconds", autonomy.windowSeconds());
            m.put("autonomy", a);
        }
        return m;
    }

    /** The persisted form: {@link #toMap} as JSON text. */
    public String toJson() {
        return com.nimbusds.jose.util.JSONObjectUtils.toJSONString(toMap());
    }

    /** Reads {@link #toJson}; null for null. */
    @SuppressWarnings("unchecked")
    public static ApprovalPolicy fromJson(String json) {
        if (json == null || json.isEmpty()) {
            return null;
        }
        try {
            Map<String, Object> map = com.nimbusds.jose.util.JSONObjectUtils.parse(json);
            return parse(map, (List<String>) map.get("scopes"), (List<String>) map.get("audiences"));
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException("a stored approval policy is not JSON", e);
        }
    }

    /**
     * Parses and validates the registration's {@code approval} member.
     *
     * @param registeredScopes the agent's scopes: a policy scope must be one of them
     * @param registeredAudiences the agent's audiences: a policy audience must be one of them
     * @throws IllegalArgumentException with a description that names the offending member ({@code approval.x})
     */
    public static ApprovalPolicy parse(Object raw, List<String> registeredScopes, List<String> registeredAudiences) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw bad("approval must be a JSON object");
        }
        for (Object name : map.keySet()) {
            if (!MEMBERS.contains(name)) {
                throw bad("unknown field 'approval." + name + "'");
            }
        }
        List<String> scopes = strings(map.get("scopes"), "approval.scopes", null);
        for (String s : scopes) {
            if (!registeredScopes.contains(s)) {
                throw bad("approval.scopes names '" + s + "', which is not one of the agent's scopes");
            }
        }
        List<String> audiences = strings(map.get("audiences"), "approval.audiences", null);
        for (String a : audiences) {
            if (!registeredAudiences.contains(a)) {
                throw bad("approval.audiences names '" + a + "', which is not one of the agent's audiences");
            }
        }
        List<Threshold> thresholds = thresholds(map.get("authorization_details"));
        if (scopes.isEmpty() && audiences.isEmpty() && thresholds.isEmpty()) {
            throw bad("approval needs at least one of approval.scopes, approval.audiences and"
                    + " approval.authorization_details");
        }
        if (!(map.get("approvers") instanceof Map<?, ?> approvers)) {
            throw bad("approval.approvers must be a JSON object {\"owner\": ..., \"users\": [...], \"groups\": [...]}");
        }
        for (Object name : approvers.keySet()) {
            if (!APPROVER_MEMBERS.contains(name)) {
                throw bad("unknown field 'approval.approvers." + name + "'");
            }
        }
        boolean owner = bool(approvers.get("owner"), "approval.approvers.owner");
        List<String> users = strings(approvers.get("users"), "approval.approvers.users", HUMAN);
        List<String> groups = strings(approvers.get("groups"), "approval.approvers.groups", HUMAN);
        if (!owner && users.isEmpty() && groups.isEmpty()) {
            throw bad("approval.approvers names nobody: set owner, users or groups");
        }
        boolean fourEyes = bool(map.get("four_eyes"), "approval.four_eyes");
        if (fourEyes && owner) {
            throw bad("approval.four_eyes forbids the owner to approve, but approval.approvers.owner is true");
        }
        if (fourEyes && users.isEmpty() && groups.isEmpty()) {
            throw bad("approval.four_eyes needs approvers other than the owner: set approval.approvers.users or"
                    + " groups");
        }
        return new ApprovalPolicy(scopes, audiences, thresholds, owner, users, groups, fourEyes,
                seconds(map.get("lifetime_seconds"), "approval.lifetime_seconds", 1, DEFAULT_LIFETIME_SECONDS),
                seconds(map.get("pending_seconds"), "approval.pending_seconds", 10, DEFAULT_PENDING_SECONDS),
                seconds(map.get("interval_seconds"), "approval.interval_seconds", 1, DEFAULT_INTERVAL_SECONDS),
                autonomy(map.get("autonomy")));
    }

    private static Autonomy autonomy(Object raw) {
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof Map<?, ?> m)) {
            throw bad("approval.autonomy must be a JSON object {\"after\": N, \"window_seconds\": W}");
        }
        for (Object name : m.keySet()) {
            if (!AUTONOMY_MEMBERS.contains(name)) {
                throw bad("unknown field 'approval.autonomy." + name + "'");
            }
        }
        Object after = m.get("after");
        if (!(after instanceof Integer || after instanceof Long) || ((Number) after).longValue() < 1
                || ((Number) after).longValue() > 1000) {
            throw bad("approval.autonomy.after must be an integer between 1 and 1000");
        }
        Object window = m.get("window_seconds");
        if (!(window instanceof Integer || window instanceof Long) || ((Number) window).longValue() < 60
                || ((Number) window).longValue() > MAX_AUTONOMY_WINDOW_SECONDS) {
            throw bad("approval.autonomy.window_seconds must be an integer between 60 and "
                    + MAX_AUTONOMY_WINDOW_SECONDS);
        }
        return new Autonomy(((Number) after).intValue(), ((Number) window).longValue());
    }

    private static List<Threshold> thresholds(Object raw) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list) || list.size() > MAX_LIST) {
            throw bad("approval.authorization_details must be an array of at most " + MAX_LIST + " objects");
        }
        List<Threshold> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m)) {
                throw bad("approval.authorization_details must be an array of objects");
            }
            for (Object name : m.keySet()) {
                if (!THRESHOLD_MEMBERS.contains(name)) {
                    throw bad("unknown field 'approval.authorization_details[]." + name + "'");
                }
            }
            if (!(m.get("type") instanceof String type) || type.isEmpty() || type.length() > 128) {
                throw bad("approval.authorization_details[].type must be a non-empty string");
            }
            if (!(m.get("field") instanceof String field) || !FIELD_PATH.matcher(field).matches()) {
                throw bad("approval.authorization_details[].field must be a member name or a dotted path of them");
            }
            Object n = m.get("above");
            if (!(n instanceof Integer || n instanceof Long) || ((Number) n).longValue() < 0) {
                throw bad("approval.authorization_details[].above must be an integer of at least 0");
            }
            Object currency = m.get("currency");
            if (currency != null && !(currency instanceof String c && CURRENCY.matcher(c).matches())) {
                throw bad("approval.authorization_details[].currency must be an ISO 4217 code such as EUR");
            }
            out.add(new Threshold(type, field, number(n), (String) currency));
        }
        return out;
    }

    private static List<String> strings(Object raw, String field, Pattern syntax) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list) || list.size() > MAX_LIST) {
            throw bad(field + " must be an array of at most " + MAX_LIST + " strings");
        }
        Set<String> values = new LinkedHashSet<>();
        for (Object item : list) {
            if (!(item instanceof String s) || s.isEmpty() || s.length() > 512
                    || (syntax != null && !syntax.matcher(s).matches())) {
                throw bad(field + " holds an invalid entry" + (syntax == HUMAN
                        ? " (each entry is '<identity provider issuer>#<sub or group>')" : ""));
            }
            if (!values.add(s)) {
                throw bad(field + " holds '" + s + "' twice");
            }
        }
        return List.copyOf(values);
    }

    private static boolean bool(Object raw, String field) {
        if (raw != null && !(raw instanceof Boolean)) {
            throw bad(field + " must be true or false");
        }
        return Boolean.TRUE.equals(raw);
    }

    private static long seconds(Object raw, String field, long min, long dflt) {
        if (raw == null) {
            return dflt;
        }
        if (!(raw instanceof Integer || raw instanceof Long)) {
            throw bad(field + " must be an integer");
        }
        long n = ((Number) raw).longValue();
        if (n < min || n > MAX_SECONDS) {
            throw bad(field + " must be between " + min + " and " + MAX_SECONDS);
        }
        return n;
    }

    private static IllegalArgumentException bad(String description) {
        return new IllegalArgumentException(description);
    }
}
