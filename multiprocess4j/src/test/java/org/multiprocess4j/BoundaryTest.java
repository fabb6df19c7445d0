package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Jvm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The security boundary (SECURITY.md): a process of another user cannot attach to this user's shared memory. */
class BoundaryTest {

    /** Run as another user: tries to attach the handle it is given and prints how that ended. */
    public static final class OtherUser {
        public static void main(String[] args) {
            try {
                SharedCTypes.attach(Handle.parse(args[0]));
                System.out.println("attached");
            } catch (RuntimeException e) {
                System.out.println(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }

    @Test
    void aProcessOfAnotherUserIsRefusedWithPermissionDenied(@TempDir Path dir) throws Exception {
        boolean root = (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        assumeTrue(root && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root and setpriv to become nobody");
        IntValue secret = SharedCTypes.rawValue(CType.c_int, 42);
        // The other user needs to read the classes: copy them where it can.
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "mp4j-boundary");
        try {
            List<String> classPath = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path source = Path.of(entry);
                if (Files.isDirectory(source)) {
                    Path copy = shared.resolve("cp" + classPath.size());
                    copyTree(source, copy);
                    classPath.add(copy.toString());
                }
            }
            try (Stream<Path> all = Files.walk(shared)) {
                for (Path p : all.toList()) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
                            Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            Process other = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    Jvm.java(), "--enable-native-access=ALL-UNNAMED", "-cp", String.join(File.pathSeparator, classPath),
                    OtherUser.class.getName(), secret.handle().toString()).redirectErrorStream(true).start();
            String output = new String(other.getInputStream().readAllBytes()).strip();
            assertEquals(0, other.waitFor(), output);
            assertTrue(output.startsWith("IllegalStateException: permission denied"), output);
        } finally {
            try (Stream<Path> all = Files.walk(shared)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }
}
