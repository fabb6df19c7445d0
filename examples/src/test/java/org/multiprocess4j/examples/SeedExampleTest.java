package org.multiprocess4j.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed example, run as a user runs it (a JVM of its own), prints exactly what the seed says it prints. */
class SeedExampleTest {

    static String runMain(Class<?> main, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void printsExactlyWhatTheSeedPrints() throws Exception {
        assertEquals("""
                49
                0.1111111111111111
                HELLO WORLD
                [(3.515625, 39.0625), (33.0625, 4.0), (5.640625, 90.25)]
                """, runMain(SeedExample.class));
    }

    @Test
    void printsTheSeedsLinesWithTheSeedsModifyRunningInPython() throws Exception {
        assertEquals("""
                49
                0.1111111111111111
                HELLO WORLD
                [(3.515625, 39.0625), (33.0625, 4.0), (5.640625, 90.25)]
                """, runMain(PythonSeedExample.class));
    }

    @Test
    void numpySumsAJavaArrayInPlaceToTheSameSum() throws Exception {
        Process numpy = new ProcessBuilder("python3", "-c", "import numpy").start();
        org.junit.jupiter.api.Assumptions.assumeTrue(numpy.waitFor(60, TimeUnit.SECONDS) && numpy.exitValue() == 0,
                "numpy is not installed for python3 here");
        String out = runMain(NumpySumExample.class, "1000000");
        assertTrue(out.contains("Java sum:  249750000.0") && out.contains("numpy sum: 249750000.0")
                && out.strip().endsWith("equal"), out);
    }

    @Test
    void thePoolSumsTheSharedArrayToTheSameSumWithAnyNumberOfWorkers() throws Exception {
        String out = runMain(PoolSumExample.class, "1000000");
        assertTrue(out.contains("1 worker:") && out.strip().endsWith("same sum"), out);
    }

    @Test
    void theClusterCounterStaysExactWhenAMemberAndALockHolderAreKilled() throws Exception {
        String out = runMain(ClusterCounterExample.class);
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(?s).*took over from the dead holder.*expected total: (\\d+)\ntotal reached:  (\\d+)\n")
                .matcher(out);
        assertTrue(m.matches(), out);
        assertEquals(m.group(1), m.group(2), out);
        assertTrue(out.contains("killed ZooKeeper member 1") && out.contains("while it held the lock"), out);
    }

    @Test
    void printsTheSameWithTheLibraryAsANamedModule() throws Exception {
        String library = org.multiprocess4j.ChildProcess.class.getProtectionDomain().getCodeSource().getLocation()
                .getPath();
        List<String> rest = new java.util.ArrayList<>(List.of(System.getProperty("java.class.path")
                .split(java.io.File.pathSeparator)));
        rest.removeIf(entry -> java.nio.file.Path.of(entry).toAbsolutePath().equals(
                java.nio.file.Path.of(library).toAbsolutePath()));
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=org.multiprocess4j", "-p", library, "--add-modules", "org.multiprocess4j",
                "-cp", String.join(java.io.File.pathSeparator, rest), SeedExample.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(runMain(SeedExample.class), out);
    }

    @Test
    void theCounterExampleLosesUpdatesOnlyWithoutProtection() throws Exception {
        String out = runMain(CounterExample.class);
        assertTrue(out.contains("locked:      800,000 in"), out);
        assertTrue(out.contains("atomic:      800,000 in"), out);
    }
}
