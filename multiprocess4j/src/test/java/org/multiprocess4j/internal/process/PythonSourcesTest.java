package org.multiprocess4j.internal.process;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The Python package: carried whole in the jar, written out intact, installable from its folder with no index. */
class PythonSourcesTest {
    private static final Path FOLDER = Path.of("..", "python");

    @Test
    void theJarCarriesEveryFileOfThePackageAndWritesThemOutIntact() throws IOException {
        try (var files = Files.list(FOLDER.resolve("multiprocess4j"))) {
            List<String> present = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".py"))
                    .sorted().toList();
            assertEquals(present, PythonSources.FILES.stream().sorted().toList(),
                    "PythonSources.FILES must list python/multiprocess4j/*.py");
        }
        Path root = PythonSources.root();
        for (String name : PythonSources.FILES) {
            assertArrayEquals(Files.readAllBytes(FOLDER.resolve("multiprocess4j").resolve(name)),
                    Files.readAllBytes(root.resolve("multiprocess4j").resolve(name)), name);
        }
        assertEquals(null, AotCache.unsafeBecause(root.resolve("multiprocess4j")), "owner-only, not a link");
    }

    @Test
    void pipInstallsTheFolderWithNoIndexAsTheSameVersion() throws Exception {
        String pom = Files.readString(Path.of("..", "pom.xml"));
        Matcher m = Pattern.compile("<artifactId>multiprocess4j-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(pom);
        assertTrue(m.find(), "the parent POM's version");
        String version = m.group(1);
        Path target = Files.createTempDirectory("mp4j-pip");
        try {
            Process pip = new ProcessBuilder("python3", "-m", "pip", "install", "--no-index", "--quiet",
                    "--target", target.toString(), FOLDER.toString()).redirectErrorStream(true).start();
            String out = new String(pip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(pip.waitFor(120, TimeUnit.SECONDS));
            assumeTrue(pip.exitValue() == 0 || !out.contains("No module named pip"), "pip is not installed here");
            assertEquals(0, pip.exitValue(), out);
            Process py = new ProcessBuilder("python3", "-c", "import multiprocess4j; print(multiprocess4j.__version__)")
                    .directory(target.toFile()).redirectErrorStream(true).start();
            String printed = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(py.waitFor(60, TimeUnit.SECONDS));
            assertEquals(version, printed, "the Python package's version is the library's");
            assertTrue(Files.isDirectory(target.resolve("multiprocess4j-" + version + ".dist-info")),
                    "the wheel's version is the library's too");
        } finally {
            try (var walk = Files.walk(target)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
