package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocess4j.testing.Jvm;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.spi.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A real cache, trained by a real JVM, damaged at several offsets: no child ever crashes, and it is rebuilt. */
class AotCacheEndToEndTest {

    @Test
    void aDamagedCacheIsDiscardedBeforeAnyChildMapsItAndIsRebuilt(@TempDir Path dir) throws Exception {
        List<String> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path)) {
                Path jar = dir.resolve("part" + jars.size() + ".jar");
                int status = ToolProvider.findFirst("jar").orElseThrow().run(System.out, System.err, "--create",
                        "--file", jar.toString(), "-C", path.toString(), ".");
                assertEquals(0, status, "jar of " + path);
                jars.add(jar.toString());
            } else if (entry.endsWith(".jar")) {
                jars.add(entry);
            }
        }
        Path cacheDir = Files.createDirectory(dir.resolve("cache"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Process parent = new ProcessBuilder(Jvm.java(), "--enable-native-access=ALL-UNNAMED",
                "-D" + AotCache.DIRECTORY_PROPERTY + "=" + cacheDir, "-cp", String.join(File.pathSeparator, jars),
                DamagedCacheParent.class.getName(), "16", "4096", "-4096")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(parent.getInputStream().readAllBytes());
        parent.waitFor();
        System.out.print(output);
        List<String> lines = output.lines().toList();
        assertEquals(0, parent.exitValue(), output);
        assertEquals("first child 0", lines.get(0));
        assertEquals("cached child 0", lines.get(2));
        assertEquals("-Xshare:off child 0, -Xshare:auto child 0", lines.get(3));
        for (String line : lines.subList(4, 7)) {
            assertEquals(true, line.endsWith(": child 0, deleted true"), line);
        }
        assertEquals("rebuilt true, child 0", lines.get(7));
    }
}
