package dev.agentid.verifier.status;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.util.Base64URL;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

class StatusListTest {

    /** draft-ietf-oauth-status-list, section "Status List": 16 one-bit statuses, bytes 0xB9 0xA3. */
    private static final int[] DRAFT_STATUSES = {1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1};

    @Test
    void indexZeroIsTheLeastSignificantBitOfByteZeroAsInTheDraftExample() {
        StatusList list = StatusList.allValid(16, 1);
        for (int i = 0; i < DRAFT_STATUSES.length; i++) {
            list.set(i, DRAFT_STATUSES[i]);
        }
        assertArrayEquals(new byte[] {(byte) 0xB9, (byte) 0xA3}, list.toBytes());
        assertEquals("eNrbuRgAAhcBXQ", list.encode(), "the draft's lst for this list");
    }

    @Test
    void everyCompressionLevelDecodesToTheSameStatuses() {
        StatusList list = StatusList.allValid(1 << 20, 1);
        Random random = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            list.set(random.nextInt(1 << 20), StatusList.INVALID);
        }
        String best = list.encode();
        String fastest = list.encode(Deflater.BEST_SPEED);
        String standard = list.encode(Deflater.DEFAULT_COMPRESSION);
        assertEquals(best, list.encode(Deflater.BEST_COMPRESSION), "encode() is the best level");
        assertTrue(best.length() < standard.length() && standard.length() < fastest.length(),
                "sizes " + best.length() + " / " + standard.length() + " / " + fastest.length());
        for (String lst : List.of(best, fastest, standard)) {
            assertEquals(list, StatusList.decode(lst, 1, 1 << 17));
        }
        assertThrows(IllegalArgumentException.class, () -> list.encode(10));
        assertThrows(IllegalArgumentException.class, () -> list.encode(-2));
    }

    @Test
    void decodingTheDraftExampleGivesItsStatuses() {
        StatusList list = StatusList.decode("eNrbuRgAAhcBXQ", 1, 1024);
        assertEquals(16, list.size());
        for (int i = 0; i < DRAFT_STATUSES.length; i++) {
            assertEquals(DRAFT_STATUSES[i], list.status(i), "index " + i);
        }
    }

    @Test
    void twoBitStatusesFollowTheDraftsSecondExample() {
        int[] statuses = {1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3};
        StatusList list = StatusList.allValid(12, 2);
        for (int i = 0; i < statuses.length; i++) {
            list.set(i, statuses[i]);
        }
        assertArrayEquals(new byte[] {(byte) 0xC9, (byte) 0x44, (byte) 0xF9}, list.toBytes());
        StatusList decoded = StatusList.decode(list.encode(), 2, 1024);
        for (int i = 0; i < statuses.length; i++) {
            assertEquals(statuses[i], decoded.status(i));
        }
    }

    @Test
    void aListDecompressingBeyondTheLimitIsRefused() {
        String bomb = zlib(new byte[1024 * 1024]);    // 1 MiB of zeros compresses to about 1 KiB
        assertEquals(1024 * 1024 * 8, StatusList.decode(bomb, 1, 1024 * 1024).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StatusList.decode(bomb, 1, 1024 * 1024 - 1));
        assertEquals("lst decompresses to more than 1048575 bytes", e.getMessage());
    }

    @Test
    void notZlibTruncatedOrTrailingDataIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StatusList.decode("AAAA", 1, 1024));
        String good = zlib(new byte[] {1, 2, 3});
        String truncated = Base64URL.encode(java.util.Arrays.copyOf(new Base64URL(good).decode(),
                new Base64URL(good).decode().length - 2)).toString();
        assertThrows(IllegalArgumentException.class, () -> StatusList.decode(truncated, 1, 1024));
        byte[] trailing = java.util.Arrays.copyOf(new Base64URL(good).decode(), new Base64URL(good).decode().length + 1);
        assertThrows(IllegalArgumentException.class,
                () -> StatusList.decode(Base64URL.encode(trailing).toString(), 1, 1024));
    }

    @Test
    void anIndexOutsideTheListIsRefused() {
        StatusList list = StatusList.allValid(8, 1);
        assertThrows(IndexOutOfBoundsException.class, () -> list.status(8));
        assertThrows(IndexOutOfBoundsException.class, () -> list.status(-1));
        assertThrows(IllegalArgumentException.class, () -> list.set(0, 2));
    }

    static String zlib(byte[] data) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(data);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return Base64URL.encode(out.toByteArray()).toString();
    }
}
