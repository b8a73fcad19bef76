package dev.agentid.issuer.store;

import java.security.Provider;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.EncryptHeader;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.util.FastArray;
import org.jgroups.util.MessageBatch;

/**
 * JGroups' {@link SYM_ENCRYPT}, placed directly above the transport (below discovery, failure detection and
 * everything else) with {@code SERIALIZE} above it, so every message a member sends, headers included, is one
 * AES-256-GCM-SIV ciphertext (RFC 8452: authenticated, and safe with random nonces for the life of the key) under the
 * key derived from the cluster secret. The cipher is JGroups'; this subclass only
 * <ul>
 *   <li>chooses the AEAD (BouncyCastle's, which takes the IV the way {@code Encrypt} passes it), and</li>
 *   <li>replaces the receive side's per-message error logging (stack traces, unlimited) with one rate-limited
 *       {@code refused cluster join from <addr>: ...} line, and drops anything that is not a non-empty message
 *       encrypted under this cluster's key. Nothing from a node without the secret reaches a protocol above.</li>
 * </ul>
 */
public final class ClusterEncrypt extends SYM_ENCRYPT {

    /** Custom JGroups protocol ids start at 512; this one is registered before any instance exists. */
    static final short PROTOCOL_ID = 1717;

    static {
        if (ClassConfigurator.getProtocolId(ClusterEncrypt.class) == 0) {
            ClassConfigurator.addProtocol(PROTOCOL_ID, ClusterEncrypt.class);
        }
    }

    static final String TRANSFORMATION = "AES/GCM-SIV/NoPadding";
    static final int IV_BYTES = 12;
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private final ClusterRefusals refusals;

    ClusterEncrypt(SecretKey key, ClusterRefusals refusals) {
        this.refusals = Objects.requireNonNull(refusals);
        this.id = PROTOCOL_ID;
        symAlgorithm(TRANSFORMATION);
        symIvLength(IV_BYTES);
        setSecretKey(Objects.requireNonNull(key));
    }

    @Override
    protected Cipher createCipher(String algorithm) throws Exception {
        return Cipher.getInstance(algorithm, BOUNCY_CASTLE);
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
