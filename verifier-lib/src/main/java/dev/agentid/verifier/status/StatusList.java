package dev.agentid.verifier.status;

import com.nimbusds.jose.util.Base64URL;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A Token Status List (draft-ietf-oauth-status-list, section "Status List"): a byte array of statuses,
 * {@code bits} (1, 2, 4 or 8) per index, index 0 in the least significant bits of byte 0. On the wire
 * ({@code lst}) it is DEFLATE-compressed in the ZLIB format and base64url-encoded. Status 0 is VALID, 1
 * INVALID, 2 SUSPENDED. Mutable through {@link #set(int, int)}; not thread-safe.
 */
public final class StatusList {

    /** Status type 0x00: the referenced token is valid. */
    public static final int VALID = 0;
    /** Status type 0x01: the referenced token is revoked. */
    public static final int INVALID = 1;

    private final int bits;
    private final byte[] bytes;

    private StatusList(int bits, byte[] bytes) {
        this.bits = bits;
        this.bytes = bytes;
    }

    /** An all-VALID list of {@code size} statuses of {@code bits} bits each (size rounded up to whole bytes). */
    public static StatusList allValid(int size, int bits) {
        requireBits(bits);
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
        long totalBits = (long) size * bits;
        return new StatusList(bits, new byte[(int) ((totalBits + 7) / 8)]);
    }

    /** A list over these (uncompressed) bytes; the array is copied. */
    public static StatusList ofBytes(byte[] bytes, int bits) {
        requireBits(bits);
        return new StatusList(bits, bytes.clone());
    }

    /**
     * Decodes an {@code lst} value.
     *
     * @param maxBytes the largest decompressed size accepted (a bound on decompression bombs)
     * @throws IllegalArgumentException if it is not base64url, not ZLIB, larger than {@code maxBytes}, or has
     *     trailing data
     */
    public static StatusList decode(String lst, int bits, int maxBytes) {
        requireBits(bits);
        byte[] compressed;
        try {
            compressed = new Base64URL(lst).decode();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("lst is not base64url");
        }
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, 64 * 1024));
            byte[] buffer = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new IllegalArgumentException("lst is truncated");
                }
                if ((long) out.size() + n > maxBytes) {
                    throw new IllegalArgumentException("lst decompresses to more than " + maxBytes + " bytes");
                }
                out.write(buffer, 0, n);
            }
            if (inflater.getRemaining() > 0) {
                throw new IllegalArgumentException("lst has data after the compressed stream");
            }
            return new StatusList(bits, out.toByteArray());
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("lst is not ZLIB data");
        } finally {
            inflater.end();
        }
    }

    /**
     * The {@code lst} value: ZLIB at the best compression level (the level the draft recommends), base64url without
     * padding.
     */
    public String encode() {
        return encode(Deflater.BEST_COMPRESSION);
    }

    /**
     * The {@code lst} value: ZLIB at {@code level} ({@link Deflater#BEST_SPEED} to {@link Deflater#BEST_COMPRESSION},
     * or {@link Deflater#DEFAULT_COMPRESSION}), base64url without padding. Any level decodes alike; a lower one trades
     * size for time: for 2^20 one-bit statuses with 1% set at random, zlib's default level (6) gives a stream about
     * 15% larger than the best level in about a fifteenth of its time.
     *
     * @throws IllegalArgumentException if {@code level} is not a ZLIB level ({@link Deflater}'s own check)
     */
    public String encode(int level) {
        Deflater deflater = new Deflater(level);
        try {
            deflater.setInput(bytes);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, bytes.length / 16));
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                int n = deflater.deflate(buffer);
                out.write(buffer, 0, n);
            }
            return Base64URL.encode(out.toByteArray()).toString();
        } finally {
            deflater.end();
        }
    }

    public int bits() {
        return bits;
    }

    /** How many statuses the list holds: every whole status slot of its bytes. */
    public int size() {
        return (int) ((long) bytes.length * 8 / bits);
    }

    /**
     * The status at {@code index}.
     *
     * @throws IndexOutOfBoundsException if the index is outside the list
     */
    public int status(long index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("index " + index + " is outside a list of " + size());
        }
        long bitOffset = index * bits;
        int b = bytes[(int) (bitOffset / 8)] & 0xFF;
        return (b >>> (int) (bitOffset % 8)) & ((1 << bits) - 1);
    }

    /** Sets the status at {@code index}. */
    public void set(int index, int status) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("index " + index + " is outside a list of " + size());
        }
        if (status < 0 || status >= (1 << bits)) {
            throw new IllegalArgumentException("status " + status + " does not fit in " + bits + " bits");
        }
        long bitOffset = (long) index * bits;
        int shift = (int) (bitOffset % 8);
        int mask = ((1 << bits) - 1) << shift;
        int i = (int) (bitOffset / 8);
        bytes[i] = (byte) ((bytes[i] & ~mask) | (status << shift));
    }

    /** A copy of the uncompressed bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StatusList && ((StatusList) o).bits == bits && Arrays.equals(((StatusList) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
        return 31 * bits + Arrays.hashCode(bytes);
    }

    private static void requireBits(int bits) {
        if (bits != 1 && bits != 2 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("bits must be 1, 2, 4 or 8");
        }
    }
}
