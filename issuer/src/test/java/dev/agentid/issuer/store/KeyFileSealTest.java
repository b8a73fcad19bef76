package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.agentid.keys.KeyStoreFile;
import dev.agentid.keys.ManagedKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileSealTest {

    @TempDir
    Path dir;

    private final TestClock clock = new TestClock();

    private KeyFileSeal seal(ClusterSecret secret, String cluster) {
        return KeyFileSeal.of(new ClusterSettings(new ClusterSettings.HostPort("127.0.0.1", 7801),
                List.of(new ClusterSettings.HostPort("127.0.0.1", 7801)), cluster, Duration.ofSeconds(5), secret));
    }

    @Test
    void theReplicatedValueHoldsNoPrivateKeyInTheClearAndOpensToTheKeyFile() throws Exception {
        KeyStoreFile file = KeyStoreFile.in(dir);
        file.loadOrCreate(clock);
        file.rotate(clock, Duration.ZERO, Duration.ofHours(1), Duration.ofMinutes(1));
        String json = Files.readString(file.path(), StandardCharsets.UTF_8);
        KeyFileSeal seal = seal(TestSecrets.random(), "c");

        SharedKeyFile sealed = seal.seal(json);

        for (ManagedKey key : file.load().keys()) {
            String d = key.privateJwk().getD().toString();
            assertTrue(json.contains(d));
            assertFalse(sealed.wrapped().contains(d) || sealed.digest().contains(d) || sealed.toString().contains(d));
        }
        assertFalse(sealed.wrapped().contains("\"d\""));
        assertEquals(5, sealed.wrapped().split("\\.", -1).length, "a compact JWE");
        assertEquals(json, seal.open(sealed));
        assertNotEquals(sealed.wrapped(), seal.seal(json).wrapped(), "a fresh IV each time");
        assertEquals(sealed.digest(), seal.seal(json).digest(), "replicas compare the digest");
    }

    @Test
    void aValueSealedUnderAnotherSecretOrClusterOrAlteredDoesNotOpen() {
        ClusterSecret secret = TestSecrets.random();
        SharedKeyFile sealed = seal(secret, "c").seal("{\"keys\":[]}");
        String message = "cannot open the cluster's signing key file: it was sealed with another cluster secret"
                + " (ISSUER_CLUSTER_SECRET_FILE) or altered";

        assertEquals(message, assertThrows(IllegalStateException.class,
                () -> seal(TestSecrets.random(), "c").open(sealed)).getMessage());
        assertEquals(message, assertThrows(IllegalStateException.class,
                () -> seal(secret, "other").open(sealed)).getMessage());
        String[] parts = sealed.wrapped().split("\\.");
        parts[3] = parts[3].substring(0, parts[3].length() - 2) + (parts[3].endsWith("AA") ? "BA" : "AA");
        SharedKeyFile altered = new SharedKeyFile(String.join(".", parts), sealed.digest(), null);
        assertThrows(IllegalStateException.class, () -> seal(secret, "c").open(altered));
        SharedKeyFile otherDigest = new SharedKeyFile(sealed.wrapped(), "00" + sealed.digest().substring(2), null);
        assertThrows(IllegalStateException.class, () -> seal(secret, "c").open(otherDigest));
    }
}
