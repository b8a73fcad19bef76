package dev.agentid.issuer.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryTest {

    @TempDir
    Path tmp;

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }

    private static void chmod(Path path, String mode) throws Exception {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(mode));
    }

    @Test
    void aDataDirectoryCreated0755BeforehandIsTightenedToOwnerOnly() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/infinispan/keys/data"));
        Path file = Files.writeString(data.resolve("ispn12.0"), "entries");
        Path readOnly = Files.writeString(tmp.resolve("data/admin-token"), "token");
        for (Path dir : new Path[] {tmp.resolve("data"), tmp.resolve("data/infinispan"),
                tmp.resolve("data/infinispan/keys"), data}) {
            chmod(dir, "rwxr-xr-x");
        }
        chmod(file, "rw-rw-rw-");
        chmod(readOnly, "r--r--r--");
        Path outside = Files.writeString(tmp.resolve("outside"), "not ours");
        chmod(outside, "rw-r--r--");
        Files.createSymbolicLink(tmp.resolve("data/link"), outside);

        assertEquals(6, DataDirectory.secure(tmp.resolve("data")));

        for (Path dir : new Path[] {tmp.resolve("data"), tmp.resolve("data/infinispan"),
                tmp.resolve("data/infinispan/keys"), data}) {
            assertEquals("rwx------", mode(dir), dir.toString());
        }
        assertEquals("rw-------", mode(file));
        assertEquals("r--------", mode(readOnly), "bits are only ever removed");
        assertEquals("rw-r--r--", mode(outside), "a link is not followed");
        assertEquals(0, DataDirectory.secure(tmp.resolve("data")), "nothing left to tighten");
    }

    @Test
    void aMissingDataDirectoryIsCreated0700() throws Exception {
        Path data = tmp.resolve("new/data");
        DataDirectory.secure(data);
        assertTrue(Files.isDirectory(data));
        assertEquals("rwx------", mode(data));
    }

    @Test
    void aDataDirectoryThatCannotBeMadePrivateRefusesTheStartWithOneLine() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x");
        DataDirectory.NotPrivateException e = assertThrows(DataDirectory.NotPrivateException.class,
                () -> DataDirectory.secure(notADirectory));
        assertEquals("the data directory " + notADirectory + " is not a directory", e.getMessage());
        e = assertThrows(DataDirectory.NotPrivateException.class,
                () -> DataDirectory.secure(notADirectory.resolve("data")));
        assertTrue(e.getMessage().startsWith("cannot make the data directory " + notADirectory.resolve("data")
                + " private"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }
}
