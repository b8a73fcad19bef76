package dev.agentid.issuer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image of {@code mvn -Pimage} (Jib's {@code buildTar}, no Docker daemon): its tarball holds an image
 * whose configuration starts the issuer with the jlinked runtime, exposes 8080, and whose layers hold that runtime.
 * Runs only in the {@code image} profile, which names the tarball ({@code agentid.image.tar}).
 */
class ContainerImageIT {

    /** The entries of a tar file (ustar; Jib writes short names), by name. */
    static Map<String, byte[]> untar(InputStream in) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        byte[] header = new byte[512];
        while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
            String name = field(header, 0, 100);
            String prefix = field(header, 345, 155);
            long size = Long.parseLong(field(header, 124, 12).trim().isEmpty() ? "0" : field(header, 124, 12).trim(), 8);
            byte[] data = in.readNBytes((int) size);
            in.skipNBytes((512 - size % 512) % 512);
            entries.put(prefix.isEmpty() ? name : prefix + "/" + name, data);
        }
        return entries;
    }

    private static String field(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    @Test
    void theImageStartsTheIssuerWithItsOwnRuntimeAndExposes8080() throws IOException {
        String tar = System.getProperty("agentid.image.tar");
        assumeTrue(tar != null, "only in the image profile (mvn -Pimage)");
        Map<String, byte[]> image;
        try (InputStream in = Files.newInputStream(Path.of(tar))) {
            image = untar(in);
        }
        JsonArray manifest = new JsonArray(new String(image.get("manifest.json"), StandardCharsets.UTF_8));
        JsonObject entry = manifest.getJsonObject(0);
        assertEquals(new JsonArray().add("agentid/issuer:0.1.0-SNAPSHOT"), entry.getJsonArray("RepoTags"));
        JsonObject config = new JsonObject(new String(image.get(entry.getString("Config")), StandardCharsets.UTF_8))
                .getJsonObject("config");
        assertEquals(new JsonArray().add("/opt/java/bin/java").add("-XX:PerMethodRecompilationCutoff=10000")
                .add("-XX:PerBytecodeRecompilationCutoff=10000").add("-cp").add("@/app/jib-classpath-file")
                .add("dev.agentid.issuer.Main"), config.getJsonArray("Entrypoint"));
        assertEquals(new JsonObject().put("8080/tcp", new JsonObject()), config.getJsonObject("ExposedPorts"));
        assertTrue(config.getJsonArray("Env").contains("ISSUER_HOST=0.0.0.0"), config.encode());
        assertEquals("65532:65532", config.getString("User"));

        // the layers: the runtime, the loader it needs, and the issuer's classes
        Map<String, byte[]> files = new HashMap<>();
        for (Object layer : entry.getJsonArray("Layers")) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(image.get((String) layer)))) {
                files.putAll(untar(in));
            }
        }
        assertNotNull(files.get("opt/java/bin/java"), files.keySet().toString().substring(0, 500));
        assertNotNull(files.get("lib64/ld-linux-x86-64.so.2"));
        assertNotNull(files.get("app/classes/dev/agentid/issuer/Main.class"));
        assertNotNull(files.get("app/jib-classpath-file"));
    }
}
