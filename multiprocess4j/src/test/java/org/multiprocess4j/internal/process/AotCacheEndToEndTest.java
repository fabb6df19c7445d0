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

/**
 * Real caches, trained by real JVMs: one damaged at several offsets, which no child ever maps and which is rebuilt;
 * and the pool workers' own.
 */
class AotCacheEndToEndTest {

    @Test
    void aDamagedCacheIsDiscardedBeforeAnyChildMapsItAndIsRebuilt(@TempDir Path dir) throws Exception {
        List<String> lines = runParent(dir, DamagedCacheParent.class, "16", "4096", "-4096");
        assertEquals("first child 0", lines.get(0));
        assertEquals("cached child 0", lines.get(2));
        assertEquals("-Xshare:off child 0, -Xshare:auto child 0", lines.get(3));
        for (String line : lines.subList(4, 7)) {
            assertEquals(true, line.endsWith(": child 0, deleted true"), line);
        }
        assertEquals("rebuilt true, child 0", lines.get(7));
    }

    @Test
    void poolWorkersStartFromACacheOfTheirOwn(@TempDir Path dir) throws Exception {
        assertEquals(List.of("first worker none", "trained true", "later worker the pool workers' cache",
                "child caches 0"), runParent(dir, PoolWorkerCacheParent.class), "a pool trains only its own cache");
    }

    /**
     * Runs {@code main} in a JVM of its own, from jars, with an owner-only cache directory in {@code dir}; its
     * output's lines once it has ended with status 0.
     */
    private static List<String> runParent(Path dir, Class<?> main, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Jvm.java(), "--enable-native-access=ALL-UNNAMED",
                "-D" + AotCache.DIRECTORY_PROPERTY + "=" + Files.createDirectory(dir.resolve("cache"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))),
                "-cp", String.join(File.pathSeparator, classPathAsJars(dir)), main.getName()));
        command.addAll(List.of(args));
        Process parent = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String output = new String(parent.getInputStream().readAllBytes());
        parent.waitFor();
        System.out.print(output);
        assertEquals(0, parent.exitValue(), output);
        return output.lines().toList();
    }

    /** The test class path with each directory made a jar in {@code dir}: the cache is for jars alone. */
    private static List<String> classPathAsJars(Path dir) {
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
        return jars;
    }
}
