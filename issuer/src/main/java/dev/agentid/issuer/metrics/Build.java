package dev.agentid.issuer.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version and the commit it was built from ({@code build.properties}, written by the build). */
public record Build(String version, String commit) {

    private static final Build CURRENT = load();

    public static Build current() {
        return CURRENT;
    }

    private static Build load() {
        Properties p = new Properties();
        try (InputStream in = Build.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // a missing or unreadable file leaves "unknown": the version is informational
        }
        return new Build(p.getProperty("version", "unknown"), p.getProperty("commit", "unknown"));
    }
}
