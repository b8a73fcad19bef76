package dev.agentid.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void aMisspelledNameSuggestsTheNearestSetting() {
        assertEquals("ISSUER_PORT", Settings.nearest("ISSUER_PROT"));
        assertEquals("ISSUER_MAX_TOKEN_TTL_SECONDS", Settings.nearest("ISSUER_MAX_TTL"));
        assertEquals("ISSUER_PORT", Settings.nearest("port"));
        assertEquals("ISSUER_DATA_DIR", Settings.nearest("issuer.data.dir"));
        assertNull(Settings.nearest("ISSUER_COMPLETELY_DIFFERENT_THING"));
    }

    @Test
    void anUnknownSettingRefusesTheConfigurationWithTheSuggestion() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IssuerConfig.fromValues(Map.of("ISSUER_PROT", "9090")));
        assertEquals("unknown setting 'ISSUER_PROT': did you mean ISSUER_PORT? (java -jar issuer.jar --help lists"
                + " every setting)", e.getMessage());
    }

    @Test
    void anUnknownKeyInTheConfigFileIsNamedWithTheFile() throws IOException {
        Path file = Files.createTempFile("issuer-", ".properties");
        try {
            Files.writeString(file, "port: 9093\n");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> IssuerConfig.load(Map.of(), file));
            assertTrue(e.getMessage().startsWith("unknown key 'port' in " + file + ": did you mean ISSUER_PORT?"),
                    e.getMessage());
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void environmentVariablesOutsideTheIssuerNamespaceAreLeftAlone() {
        IssuerConfig config = IssuerConfig.load(Map.of("PATH", "/usr/bin", "ISSUER_PORT", "9999"), null);
        assertEquals(9999, config.port());
    }

    /** Every ISSUER_* name the issuer's code reads is in the table that --help prints, and nothing else is. */
    @Test
    void helpListsEveryVariableTheCodeReads() throws IOException {
        Set<String> inCode = new TreeSet<>();
        Pattern literal = Pattern.compile("\"(ISSUER_[A-Z0-9_]*[A-Z0-9])\"");
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = literal.matcher(Files.readString(file));
                while (m.find()) {
                    inCode.add(m.group(1));
                }
            }
        }
        Set<String> listed = new TreeSet<>();
        Settings.all().forEach(s -> listed.add(s.name()));
        assertEquals(listed, inCode);
        String help = Settings.help();
        listed.forEach(name -> assertTrue(help.contains(name), name));
    }
}
