package dev.agentid.issuer.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.EncryptHeader;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.util.FastArray;
import org.jgroups.util.MessageBatch;

/**
 * JGroups' {@link SYM_ENCRYPT}, placed directly above the transport (below discovery, failure detection and
 * everything else) with {@code SERIALIZE} above it, so every message a member sends, headers included, is one
 * AES-256-GCM ciphertext. Each process seals under a key of its own: it draws a random 128-bit salt when it starts and
 * seals with HKDF-SHA256(cluster key, salt), a 96-bit counter as the nonce. So a (key, nonce) pair never repeats, which
 * is what GCM needs, and no key seals more than one process's messages. The header carries the salt and the nonce (the
 * "IV" of {@code Encrypt}); a receiver derives the sender's key from the salt and keeps it once a message under it
 * authenticates. The JDK's AES-GCM (AES-NI) seals and opens a message in about 1 us, where BouncyCastle's pure-Java
 * AES-GCM-SIV, used before, took 10-16 us: the cluster sends about three messages per request. This subclass also
 * replaces the receive side's per-message error logging (stack traces, unlimited) with one rate-limited
 * {@code refused cluster join from <addr>: ...} line, and drops anything that is not a non-empty message sealed under
 * this cluster's key. Nothing from a node without the secret reaches a protocol above.
 */
public final class ClusterEncrypt extends SYM_ENCRYPT {

    /** Custom JGroups protocol ids start at 512; this one is registered before any instance exists. */
    static final short PROTOCOL_ID = 1717;

    static {
        if (ClassConfigurator.getProtocolId(ClusterEncrypt.class) == 0) {
            ClassConfigurator.addProtocol(PROTOCOL_ID, ClusterEncrypt.class);
        }
    }

    static final String TRANSFORMATION = "AES/GCM/NoPadding";
    static final int SALT_BYTES = 16;
    static final int NONCE_BYTES = 12;
    /** What {@code Encrypt} calls the IV and carries in its header: the sender's salt, then the nonce. */
    static final int IV_BYTES = SALT_BYTES + NONCE_BYTES;
    static final int TAG_BITS = 128;
    static final byte[] SUBKEY_INFO =
            "agentid cluster v2: sender key (AES-256-GCM)".getBytes(StandardCharsets.US_ASCII);
    /** Senders whose keys a receiver keeps; restarts bring new salts, so the map is emptied when it reaches this. */
    static final int MAX_SENDER_KEYS = 256;

    private final ClusterRefusals refusals;
    private final byte[] clusterKey;
    private final byte[] salt = new byte[SALT_BYTES];
    private final SecretKey sealKey;
    private final AtomicLong sealed = new AtomicLong();
    private final Map<ByteBuffer, SecretKey> senderKeys = new ConcurrentHashMap<>();

    ClusterEncrypt(SecretKey key, ClusterRefusals refusals) {
        this.refusals = Objects.requireNonNull(refusals);
        this.clusterKey = Objects.requireNonNull(key).getEncoded();
        new SecureRandom().nextBytes(salt);
        this.sealKey = senderKey(clusterKey, salt);
        this.id = PROTOCOL_ID;
        symAlgorithm(TRANSFORMATION);
        symIvLength(IV_BYTES);
        setSecretKey(key);
    }

    /** HKDF-SHA256 (RFC 5869) of the cluster key with the sender's salt: the key that sender seals with. */
    static SecretKey senderKey(byte[] clusterKey, byte[] salt) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(clusterKey, salt, SUBKEY_INFO));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return new SecretKeySpec(key, "AES");
    }

    @Override
    protected Cipher createCipher(String algorithm) throws Exception {
        return Cipher.getInstance(algorithm);   // the JDK's: AES-NI and a GHASH intrinsic
    }

    /** This process's salt and the next nonce: a counter, so no nonce repeats under this process's key. */
    @Override
    protected byte[] makeIv() {
        byte[] iv = new byte[IV_BYTES];
        System.arraycopy(salt, 0, iv, 0, SALT_BYTES);
        long nonce = sealed.incrementAndGet();
        for (int i = 0; i < Long.BYTES; i++) {
            iv[IV_BYTES - 1 - i] = (byte) (nonce >>> (8 * i));
        }
        return iv;
    }

    /** Seals with this process's key, or opens with the key of the sender named by the salt in {@code iv}. */
    @Override
    protected byte[] code(byte[] buf, int offset, int length, byte[] iv, boolean decode) throws Exception {
        if (iv == null || iv.length != IV_BYTES) {
            throw new GeneralSecurityException("not a salt and a nonce");
        }
        // sealing: this process's key, no lookup; opening: the sender's, by the salt that starts the IV
        ByteBuffer sender = decode ? ByteBuffer.wrap(Arrays.copyOf(iv, SALT_BYTES)) : null;
        SecretKey known = decode ? senderKeys.get(sender) : sealKey;
        SecretKey key = known != null ? known : senderKey(clusterKey, sender.array());
        BlockingQueue<Cipher> pool = decode ? decoding_ciphers : encoding_ciphers;
        // never wait for a pooled cipher: a sender may be an event loop. When every pooled one is in use, a new one is
        // made, and it is dropped afterwards if the pool is full again.
        Cipher cipher = pool.poll();
        if (cipher == null) {
            cipher = createCipher(TRANSFORMATION);
        }
        byte[] result;
        try {
            cipher.init(decode ? Cipher.DECRYPT_MODE : Cipher.ENCRYPT_MODE, key,
                    new GCMParameterSpec(TAG_BITS, iv, SALT_BYTES, NONCE_BYTES));
            result = cipher.doFinal(buf, offset, length);
        } finally {
            pool.offer(cipher);
        }
        if (known == null) {   // opened: only a key a message authenticated under is kept
            if (senderKeys.size() >= MAX_SENDER_KEYS) {
                senderKeys.clear();
            }
            senderKeys.put(sender, key);
        }
        return result;
    }

    @Override
    public Object up(Message msg) {
        Message plain = open(msg);
        return plain == null ? null : up_prot.up(plain);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void up(MessageBatch batch) {
        FastArray<Message>.FastIterator it = (FastArray<Message>.FastIterator) batch.iterator();
        while (it.hasNext()) {
            Message plain = open(it.next());
            if (plain == null) {
                it.remove();
            } else {
                it.replace(plain);
            }
        }
        if (!batch.isEmpty()) {
            up_prot.up(batch);
        }
    }

    /** The decrypted message, or null (refused and logged) if it was not sealed with this cluster's key. */
    private Message open(Message msg) {
        EncryptHeader header = msg.getHeader(id);
        if (header == null) {
            refusals.refused(msg.src(), "its message is not encrypted (a node without ISSUER_CLUSTER_SECRET_FILE?)");
            return null;
        }
        if (!msg.hasPayload()) {
            refusals.refused(msg.src(), "empty encrypted message (every member message has a sealed payload)");
            return null;
        }
        if (!Arrays.equals(header.version(), symVersion())) {
            refusals.refused(msg.src(), "its message is encrypted with another cluster secret");
            return null;
        }
        try {
            Message plain = decrypt(null, msg.copy(true, true));   // copy: the original may be retransmitted
            if (plain == null) {
                refusals.refused(msg.src(), "its message cannot be decrypted with this cluster's key");
            }
            return plain;
        } catch (Exception e) {
            refusals.refused(msg.src(), "its message fails authentication under this cluster's key (another cluster"
                    + " secret, or altered on the way)");
            return null;
        }
    }
}
