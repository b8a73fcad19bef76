package dev.agentid.interop.cluster;

import static dev.agentid.interop.cluster.ClusterAssertions.API;
import static dev.agentid.interop.cluster.ClusterAssertions.SCOPES;
import static dev.agentid.interop.cluster.ClusterAssertions.register;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.interop.Http;
import dev.agentid.interop.Interop;
import dev.agentid.interop.IssuerLogsOnFailure;
import dev.agentid.interop.IssuerProcess;
import dev.agentid.interop.TestAgents;
import dev.agentid.keys.KeyStoreFile;
import dev.agentid.keys.ManagedKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 10, "the signing key is world-readable on disk in cluster mode": a data directory created 0755 beforehand
 * (with a 0644 file in it) holds, while the issuer runs and after it stopped, nothing that group or others can read,
 * write or enter, and no file but the node's own 0600 key file ({@code keys/signing-keys.json}, which the keys CLI
 * works on) contains a private signing key's {@code d}, neither as text nor as raw bytes. Checked for a clustered
 * node (whose {@code keys} cache replicates and persists the key file) and for a single node.
 */
@ExtendWith(IssuerLogsOnFailure.class)
class DataAtRestIT {

    static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    @Test
    void aClusteredNodesDataDirectoryCreated0755HoldsNothingForOthersAndNoPrivateKeyInTheClear() throws Exception {
        Path data = worldReadableDataDir("rest-clustered");
        String self = "127.0.0.1:" + Cluster.freeClusterPort();
        IssuerProcess.Launcher launcher = IssuerProcess.named("rest-clustered").dataDir(data)
                .adminToken(TestAgents.randomSecret()).issuerUrl(Cluster.ISSUER_URL)
                .env("ISSUER_CLUSTER_SECRET_FILE", Cluster.newSecretFile("rest").toString())
                .env("ISSUER_CLUSTER_BIND", self)
                .env("ISSUER_CLUSTER_MEMBERS", self)
                .env("ISSUER_CLUSTER_NAME", "agentid-rest-" + System.nanoTime());
        exerciseAndCheck(launcher, data);
    }

    @Test
    void aSingleNodesDataDirectoryCreated0755HoldsNothingForOthersAndNoPrivateKeyInTheClear() throws Exception {
        Path data = worldReadableDataDir("rest-single");
        exerciseAndCheck(IssuerProcess.named("rest-single").dataDir(data).adminToken(TestAgents.randomSecret()),
                data);
    }

    private static Path worldReadableDataDir(String name) throws Exception {
        Path parent = Files.createDirectories(Interop.targetDir().resolve("rest-data"));
        Path data = Files.createTempDirectory(parent, name + "-");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path notes = Files.writeString(data.resolve("operator-notes.txt"), "left here by hand");
        Files.setPosixFilePermissions(notes, PosixFilePermissions.fromString("rw-r--r--"));
        return data;
    }

    /** Registers, mints, revokes and rotates (so every cache and the keys are written), then checks, then again. */
    private static void exerciseAndCheck(IssuerProcess.Launcher launcher, Path data) throws Exception {
        List<String> ds = new ArrayList<>();
        try (IssuerProcess node = launcher.start()) {
            TestAgents agents = new TestAgents(node, Clock.systemUTC());
            TestAgents.Agent agent = register(agents, "rest-agent", "user:ceo");
            String token = agent.token(SCOPES, API);
            agents.adminRevoke(token).expect(200);
            new Http().postJson(node.admin("/admin/keys/rotate"), Map.of(), node.adminToken()).expect(200);
            agent.token(SCOPES, API);
            for (ManagedKey key : KeyStoreFile.in(data).load().keys()) {
                ds.add(key.privateJwk().getD().toString());
            }
            assertEquals(2, ds.size(), "two signing keys after the rotation");
            // files the store creates later are tightened on a timer: at most a few seconds
            Interop.await("an owner-only data directory", Duration.ofSeconds(30), Duration.ofMillis(500),
                    () -> readableByOthers(data).isEmpty() ? Boolean.TRUE : null);
            assertNoPrivateKeyInTheClear(data, ds);
        }
        assertEquals(List.of(), readableByOthers(data), "after the stop");
        assertNoPrivateKeyInTheClear(data, ds);
    }

    private static List<String> readableByOthers(Path data) {
        try (Stream<Path> all = Files.walk(data)) {
            List<String> open = new ArrayList<>();
            for (Path path : all.toList()) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
                if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                    open.add(data.relativize(path) + " " + PosixFilePermissions.toString(permissions));
                }
            }
            return open;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertNoPrivateKeyInTheClear(Path data, List<String> ds) throws Exception {
        Path keyFile = data.resolve("keys/signing-keys.json");
        int files = 0;
        try (Stream<Path> all = Files.walk(data)) {
            for (Path file : all.filter(Files::isRegularFile).toList()) {
                files++;
                byte[] bytes = Files.readAllBytes(file);
                String text = new String(bytes, StandardCharsets.ISO_8859_1);
                for (String d : ds) {
                    byte[] raw = Base64.getUrlDecoder().decode(d);
                    boolean clear = text.contains(d) || text.contains(new String(raw, StandardCharsets.ISO_8859_1));
                    if (file.equals(keyFile)) {
                        assertTrue(clear, "the node's own key file, 0600 in a 0700 directory, has its keys");
                    } else {
                        assertFalse(clear, data.relativize(file) + " holds a private signing key in the clear");
                    }
                }
            }
        }
        assertTrue(files > 10, "the store's files were read: " + files);
    }
}
