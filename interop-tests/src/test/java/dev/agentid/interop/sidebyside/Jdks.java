package dev.agentid.interop.sidebyside;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which JDK runs which server. The issuer (and the Spring peer, so that the two Java stacks share a JVM) run on
 * {@code -Dbench.issuer.java=JAVA_HOME} (default: the JDK running the tests). Keycloak 26 needs Java 21 or later; its
 * JAVA_HOME is, first found: {@code -Dbench.keycloak.java}, the environment variable {@code KC_JAVA_HOME}, the issuer's
 * JDK or the test JDK if either is 21+, else the newest JDK 21+ under {@code /usr/lib/jvm} (by the {@code JAVA_VERSION}
 * of its {@code release} file).
 */
final class Jdks {

    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"([^\"]+)\"");

    private Jdks() {
    }

    static Path issuerJavaHome() {
        String configured = System.getProperty("bench.issuer.java");
        Path home = configured == null || configured.isBlank() ? Path.of(System.getProperty("java.home"))
                : Path.of(configured);
        if (!Files.isExecutable(home.resolve("bin/java"))) {
            throw new IllegalStateException("-Dbench.issuer.java=" + home + " has no bin/java");
        }
        return home;
    }

    static Path keycloakJavaHome() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getProperty("bench.keycloak.java")).filter(s -> !s.isBlank()).map(Path::of)
                .ifPresent(candidates::add);
        Optional.ofNullable(System.getenv("KC_JAVA_HOME")).filter(s -> !s.isBlank()).map(Path::of)
                .ifPresent(candidates::add);
        if (!candidates.isEmpty()) {
            Path home = candidates.get(0);
            if (feature(home) < 21) {
                throw new IllegalStateException("Keycloak 26 needs Java 21+, " + home + " is " + version(home));
            }
            return home;
        }
        for (Path home : List.of(issuerJavaHome(), Path.of(System.getProperty("java.home")))) {
            if (feature(home) >= 21) {
                return home;
            }
        }
        try (var dirs = Files.list(Path.of("/usr/lib/jvm"))) {
            return dirs.filter(home -> Files.isExecutable(home.resolve("bin/java")) && feature(home) >= 21)
                    .max(Comparator.comparingInt(Jdks::feature).thenComparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException("no JDK 21+ under /usr/lib/jvm for Keycloak 26:"
                            + " pass -Dbench.keycloak.java=JAVA_HOME"));
        } catch (IOException e) {
            throw new IllegalStateException("no /usr/lib/jvm: pass -Dbench.keycloak.java=JAVA_HOME", e);
        }
    }

    /** JAVA_VERSION from the JDK's release file ("17.0.15", "25.0.1"), or "unknown". */
    static String version(Path home) {
        try {
            Matcher m = JAVA_VERSION.matcher(Files.readString(home.resolve("release"), StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The feature release (17, 25), or 0 when unknown. */
    static int feature(Path home) {
        String v = version(home);
        try {
            return Integer.parseInt(v.split("[.+-]")[0]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** "Temurin 25.0.1" / "OpenJDK 17.0.15": IMPLEMENTOR and version from the release file. */
    static String describe(Path home) {
        try {
            Matcher m = Pattern.compile("(?m)^IMPLEMENTOR=\"([^\"]+)\"")
                    .matcher(Files.readString(home.resolve("release"), StandardCharsets.UTF_8));
            String vendor = m.find() ? m.group(1) : "";
            String name = vendor.contains("Adoptium") ? "Temurin" : vendor.contains("Oracle") || vendor.isEmpty()
                    || vendor.contains("Debian") ? "OpenJDK" : vendor;
            return name + " " + version(home);
        } catch (IOException e) {
            return version(home);
        }
    }

    static String java(Path home) {
        return home.resolve("bin/java").toString();
    }
}
