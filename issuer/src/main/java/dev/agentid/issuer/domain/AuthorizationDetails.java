package dev.agentid.issuer.domain;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * RFC 9396 {@code authorization_details} as the issuer carries them: a list of JSON objects, each with a
 * {@code type}. In a token they are the {@code authorization_details} claim (RFC 9396 section 9.1); along a delegation
 * chain they only narrow, like scope: a derived token holds a subset of its subject token's details, each one
 * unchanged (profile section 6.13). Two details are the same when their canonical JSON is (members sorted, numbers
 * compared by value), so a detail parsed by one JSON library matches the same detail parsed by another.
 */
public final class AuthorizationDetails {

    /** The token claim and the request parameter. */
    public static final String CLAIM = "authorization_details";
    /** At most this many details in one request. */
    public static final int MAX = 16;

    private AuthorizationDetails() {
    }

    /**
     * The details of one of our tokens' claim (an empty list without one).
     *
     * @throws IllegalArgumentException when the claim is not an array of objects with a string {@code type}
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> fromClaim(Object claim) {
        if (claim == null) {
            return List.of();
        }
        if (!(claim instanceof List<?> list)) {
            throw new IllegalArgumentException("authorization_details is not an array");
        }
        List<Map<String, Object>> out = new ArrayList<>(list.size());
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m) || !(m.get("type") instanceof String)) {
                throw new IllegalArgumentException("authorization_details holds an entry without a type");
            }
            out.add((Map<String, Object>) m);
        }
        return List.copyOf(out);
    }

    /**
     * The details of a derived token: {@code requested} (null or empty: all of {@code held}) when each is one of
     * {@code held}.
     *
     * @return null when a requested detail is not one of {@code held} (the caller refuses)
     */
    public static List<Map<String, Object>> narrow(List<Map<String, Object>> requested,
                                                  List<Map<String, Object>> held) {
        if (requested == null || requested.isEmpty()) {
            return held;
        }
        List<String> heldCanonical = new ArrayList<>(held.size());
        held.forEach(h -> heldCanonical.add(canonical(h)));
        for (Map<String, Object> r : requested) {
            if (!heldCanonical.contains(canonical(r))) {
                return null;
            }
        }
        return List.copyOf(requested);
    }

    /** Whether every one of {@code inner} is one of {@code outer}. */
    public static boolean within(List<Map<String, Object>> inner, List<Map<String, Object>> outer) {
        return narrow(inner, outer) != null;
    }

    /** Sorted members, numbers by value ({@code 5000}, {@code 5000.0} and {@code "5000"} stay distinct types). */
    public static String canonical(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(Object v, StringBuilder out) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                string(e.getKey(), out);
                out.append(':');
                write(e.getValue(), out);
            }
            out.append('}');
        } else if (v instanceof List<?> l) {
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(l.get(i), out);
            }
            out.append(']');
        } else if (v instanceof Number n) {
            try {
                out.append(new BigDecimal(n.toString()).stripTrailingZeros().toPlainString());
            } catch (NumberFormatException e) {
                out.append(n);
            }
        } else if (v instanceof String s) {
            string(s, out);
        } else {
            out.append(v);   // true, false, null
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
