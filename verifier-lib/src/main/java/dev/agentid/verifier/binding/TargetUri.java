package dev.agentid.verifier.binding;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The comparison form of an HTTP target URI for DPoP {@code htu} (RFC 9449 section 4.3, step 9): without
 * query and fragment, normalized per RFC 3986 section 6.2.2 (case of scheme and host, percent-encoding
 * case, decoding of percent-encoded unreserved characters, dot segments) and 6.2.3 (default port, empty
 * path is {@code /}).
 */
final class TargetUri {

    private TargetUri() {
    }

    /**
     * @return the normalized {@code scheme://host[:port]/path}, or null if {@code uri} is not an absolute
     *         http(s) URI with a host
     */
    static String normalize(String uri) {
        if (uri == null) {
            return null;
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            return null;
        }
        return normalize(parsed);
    }

    static String normalize(URI uri) {
        if (uri == null || !uri.isAbsolute() || uri.isOpaque() || uri.getRawAuthority() == null) {
            return null;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort;
        if (scheme.equals("https")) {
            defaultPort = 443;
        } else if (scheme.equals("http")) {
            defaultPort = 80;
        } else {
            return null;
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return null;
        }
        StringBuilder out = new StringBuilder(scheme).append("://");
        if (uri.getRawUserInfo() != null) {
            out.append(percentEncoding(uri.getRawUserInfo())).append('@');
        }
        out.append(host.toLowerCase(Locale.ROOT));
        if (uri.getPort() != -1 && uri.getPort() != defaultPort) {
            out.append(':').append(uri.getPort());
        }
        String path = uri.getRawPath();
        if (path == null || path.isEmpty()) {
            path = "/";
        }
        out.append(removeDotSegments(percentEncoding(path)));
        return out.toString();
    }

    /** Upper-case hex in percent-encodings; unreserved characters (RFC 3986 section 2.3) decoded. */
    private static String percentEncoding(String raw) {
        StringBuilder out = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' && i + 2 < raw.length() && isHex(raw.charAt(i + 1)) && isHex(raw.charAt(i + 2))) {
                int value = Integer.parseInt(raw.substring(i + 1, i + 3), 16);
                if (isUnreserved((char) value)) {
                    out.append((char) value);
                } else {
                    out.append('%').append(raw.substring(i + 1, i + 3).toUpperCase(Locale.ROOT));
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** RFC 3986 section 5.2.4. */
    private static String removeDotSegments(String path) {
        if (!path.contains(".")) {
            return path;
        }
        String normalized = URI.create("http://h" + path).normalize().getRawPath();
        // URI.normalize keeps leading "/.." segments; RFC 3986 drops them
        while (normalized.startsWith("/../") || normalized.equals("/..")) {
            normalized = normalized.length() == 3 ? "/" : normalized.substring(3);
        }
        return normalized.isEmpty() ? "/" : normalized;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
