package org.multiprocess4j.testing;

import org.multiprocess4j.PythonProcess;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test scripts in {@code src/test/python}, run as Python children. */
public final class Python {
    private Python() {
    }

    /** Skips the calling test class where python3 (with ctypes and mmap) does not run. */
    public static void required() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import ctypes, mmap").start();
            assumeTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "python3 does not run here");
        } catch (IOException e) {
            assumeTrue(false, "python3 is not installed here, so the Python interoperation cannot be tested: " + e);
        }
    }

    /** Runs {@code function} of {@code script} with {@code args}, failing with its traceback when it raises. */
    public static void run(Path script, String function, Object... args) {
        try (PythonProcess p = new PythonProcess(script, function, args)) {
            p.start();
            assertTrue(p.join(Duration.ofSeconds(120)), function + " did not end within 120 s");
            assertEquals(0, p.exitCode(), function + " failed:\n" + p.exception());
        }
    }
}
