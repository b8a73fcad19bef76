package dev.agentid.issuer.store;

import java.io.DataInput;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.jgroups.Address;
import org.jgroups.protocols.TCP;

/**
 * JGroups' {@code TCP} with every frame authenticated before JGroups parses it.
 *
 * <p>Why: {@link ClusterEncrypt} refuses whatever a non-member sends, but only once JGroups has deserialized the
 * message, and JGroups allocates each length it reads (a message's payload length, for one) before it reads the bytes.
 * So anyone who could reach the cluster port could declare a payload of hundreds of megabytes in a frame of a few
 * bytes, on as many connections as it liked, and exhaust the member's heap without sending them.
 *
 * <p>Each frame a member sends carries an HMAC-SHA256 tag (32 bytes, under a key derived from the cluster secret) after
 * its JGroups content. A member reads a frame whole first: its declared length must lie within
 * {@link #MAX_FRAME} (else the connection is closed), and the buffer grows only with the bytes that actually arrive.
 * Only a frame whose tag verifies is handed to JGroups; any other is dropped. Both are logged, rate-limited, by
 * {@link ClusterRefusals}.
 * The tag does not hide anything and does not order frames: {@link ClusterEncrypt}'s sealing and JGroups' sequence
 * numbers still do that; a replayed frame is parsed (it is a member's, of a member's size) and then dropped as a
 * duplicate.
 */
public final class ClusterTransport extends TCP {

    /** Bytes of the tag after each frame's content. */
    static final int TAG = 32;
    /**
     * The longest frame a member accepts. JGroups' frames are at most the bundler's 64 KiB or one fragment (FRAG4,
     * 60 KiB) with its headers and seal; this leaves room for both and bounds what a non-member makes a member buffer.
     */
    static final int MAX_FRAME = 1 << 20;
    /** A frame's buffer starts at most this large and doubles as bytes arrive. */
    private static final int FIRST_CHUNK = 16 * 1024;

    private volatile SecretKey key;
    private volatile ClusterRefusals refusals;
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    /** Called by {@link ClusterChannel} before the channel connects. */
    void authenticateFrames(SecretKey frameKey, ClusterRefusals refusals) {
        this.key = Objects.requireNonNull(frameKey);
        this.refusals = Objects.requireNonNull(refusals);
    }

    @Override
    public void start() throws Exception {
        if (key == null) {
            throw new IllegalStateException("the cluster transport has no frame key: never run it without one");
        }
        super.start();
    }

    @Override
    public void send(Address dest, byte[] data, int offset, int length) throws Exception {
        byte[] frame = Arrays.copyOfRange(data, offset, offset + length + TAG);
        Mac mac = macs.get();
        mac.update(frame, 0, length);
        mac.doFinal(frame, length);
        super.send(dest, frame, 0, frame.length);
    }

    @Override
    public void receive(Address sender, DataInput in, int length) throws Exception {
        if (length < TAG || length > MAX_FRAME) {
            refusals.refused(sender, "it sent a frame of a length no member sends (at most " + MAX_FRAME + " bytes)");
            throw new FrameRefused();   // JGroups closes the connection (and logs one line)
        }
        verified(sender, readFrame(in, length), 0, length);
    }

    @Override
    public void receive(Address sender, byte[] data, int offset, int length) {
        if (length >= TAG) {
            verified(sender, data, offset, length);
        }
    }

    /**
     * Hands the frame's content to JGroups if its tag verifies; otherwise drops it, with the rate-limited refusal line
     * (the connection stays in step: the whole frame was read).
     */
    private void verified(Address sender, byte[] frame, int offset, int length) {
        Mac mac = macs.get();
        mac.update(frame, offset, length - TAG);
        byte[] expected = mac.doFinal();
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(frame, offset + length - TAG, offset + length))) {
            refusals.refused(sender, "its frame fails authentication under this cluster's key (not a member, or"
                    + " another cluster secret)");
            return;
        }
        super.receive(sender, frame, offset, length - TAG);
    }

    /** Closes the connection of a frame whose declared length no member sends; no stack trace in JGroups' line. */
    static final class FrameRefused extends IOException {
        FrameRefused() {
            super("frame length refused", null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** The {@code length} bytes of a frame, in a buffer that grows with what arrives (never to the declared size first). */
    static byte[] readFrame(DataInput in, int length) throws IOException {
        byte[] frame = new byte[Math.min(length, FIRST_CHUNK)];
        int read = 0;
        while (read < length) {
            if (read == frame.length) {
                frame = Arrays.copyOf(frame, (int) Math.min(length, 2L * frame.length));
            }
            int chunk = frame.length - read;
            in.readFully(frame, read, chunk);
            read += chunk;
        }
        return frame;
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
