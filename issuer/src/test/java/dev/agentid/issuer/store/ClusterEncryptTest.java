package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import javax.crypto.AEADBadTagException;
import org.junit.jupiter.api.Test;

/**
 * The sealing of cluster messages, between two members (two instances: two processes of one cluster) and against a
 * node of another cluster: every process seals under its own key with nonces that never repeat, and only a message
 * sealed under the cluster's key opens.
 */
class ClusterEncryptTest {

    private static final ClusterSecret SECRET = TestSecrets.random();
    private static final byte[] PLAIN = "a serialized JGroups message".getBytes(StandardCharsets.UTF_8);

    private static ClusterEncrypt member(ClusterSecret secret) throws Exception {
        ClusterEncrypt encrypt = new ClusterEncrypt(secret.encryptionKey("agentid"), new ClusterRefusals());
        encrypt.init();
        return encrypt;
    }

    @Test
    void aMemberOpensWhatAnotherMemberSealed() throws Exception {
        ClusterEncrypt a = member(SECRET);
        ClusterEncrypt b = member(SECRET);
        for (int i = 0; i < 3; i++) {
            byte[] iv = a.makeIv();
            byte[] sealed = a.code(PLAIN, 0, PLAIN.length, iv, false);
            assertFalse(Arrays.equals(PLAIN, Arrays.copyOf(sealed, PLAIN.length)), "sealed, not copied");
            assertArrayEquals(PLAIN, b.code(sealed, 0, sealed.length, iv, true));
            assertArrayEquals(PLAIN, a.code(sealed, 0, sealed.length, iv, true), "its own loopback too");
        }
    }

    @Test
    void sealingAndOpeningNeverWaitForAPooledCipher() throws Exception {
        ClusterEncrypt a = member(SECRET);
        ClusterEncrypt b = member(SECRET);
        // every pooled cipher in use (by other senders and receivers): the next one still seals and opens at once
        drain(a, "encoding_ciphers");
        drain(b, "decoding_ciphers");
        byte[] iv = a.makeIv();
        byte[] sealed = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> a.code(PLAIN, 0, PLAIN.length, iv, false));
        assertArrayEquals(PLAIN, assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> b.code(sealed, 0, sealed.length, iv, true)));
    }

    private static void drain(ClusterEncrypt encrypt, String pool) throws ReflectiveOperationException {
        Field field = org.jgroups.protocols.Encrypt.class.getDeclaredField(pool);
        field.setAccessible(true);
        ((BlockingQueue<?>) field.get(encrypt)).clear();
    }

    @Test
    void noNonceRepeatsInAProcessAndEveryProcessHasItsOwnKey() throws Exception {
        ClusterEncrypt a = member(SECRET);
        ClusterEncrypt b = member(SECRET);
        Set<String> ivs = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(ivs.add(Arrays.toString(a.makeIv())), "an IV repeated after " + i + " messages");
        }
        byte[] ivA = a.makeIv();
        byte[] ivB = b.makeIv();
        assertEquals(ClusterEncrypt.IV_BYTES, ivA.length);
        assertFalse(Arrays.equals(Arrays.copyOf(ivA, ClusterEncrypt.SALT_BYTES),
                Arrays.copyOf(ivB, ClusterEncrypt.SALT_BYTES)), "two processes drew the same salt");
        // the same nonce under two processes' keys gives two unrelated ciphertexts
        byte[] sameNonceAsA = Arrays.copyOf(ivB, ivB.length);
        System.arraycopy(ivA, ClusterEncrypt.SALT_BYTES, sameNonceAsA, ClusterEncrypt.SALT_BYTES,
                ClusterEncrypt.NONCE_BYTES);
        assertFalse(Arrays.equals(a.code(PLAIN, 0, PLAIN.length, ivA, false),
                b.code(PLAIN, 0, PLAIN.length, sameNonceAsA, false)));
    }

    @Test
    void aMessageSealedByAnotherClusterOrAlteredOnTheWayDoesNotOpen() throws Exception {
        ClusterEncrypt member = member(SECRET);
        ClusterEncrypt intruder = member(TestSecrets.random());
        byte[] iv = intruder.makeIv();
        byte[] forged = intruder.code(PLAIN, 0, PLAIN.length, iv, false);
        assertThrows(AEADBadTagException.class, () -> member.code(forged, 0, forged.length, iv, true));

        ClusterEncrypt other = member(SECRET);
        byte[] otherIv = other.makeIv();
        byte[] sealed = other.code(PLAIN, 0, PLAIN.length, otherIv, false);
        byte[] altered = sealed.clone();
        altered[3] ^= 1;
        assertThrows(AEADBadTagException.class, () -> member.code(altered, 0, altered.length, otherIv, true));
        byte[] otherSalt = otherIv.clone();
        otherSalt[0] ^= 1;   // claims another sender: another key
        assertThrows(AEADBadTagException.class, () -> member.code(sealed, 0, sealed.length, otherSalt, true));
        assertThrows(GeneralSecurityException.class,
                () -> member.code(sealed, 0, sealed.length, Arrays.copyOf(otherIv, 12), true), "a bare 96-bit IV");
        assertArrayEquals(PLAIN, member.code(sealed, 0, sealed.length, otherIv, true), "the original still opens");
    }
}
