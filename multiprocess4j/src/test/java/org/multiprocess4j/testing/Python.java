package org.multiprocess4j.testing;

import org.multiprocess4j.PythonProcess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The test scripts in {@code src/test/python}, run as Python children. */
public final class Python {
    private static String withoutMachineCode;

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
        run(new PythonProcess(script, function, args), function);
    }

    /** As {@link #run(Path, String, Object...)}, with the locks' ctypes paths instead of their machine code. */
    public static void runWithoutMachineCode(Path script, String function, Object... args) {
        run(new PythonProcess(script, function, args).python(withoutMachineCode()), function);
    }

    /**
     * An interpreter command that runs python3 with {@code MULTIPROCESS4J_FAST_LOCKS=0}: the locks' ctypes paths,
     * which machines without their machine code use.
     */
    public static synchronized String withoutMachineCode() {
        if (withoutMachineCode == null) {
            try {
                Path script = Files.createTempFile("python3-without-machine-code", ".sh");
                script.toFile().deleteOnExit();
                Files.writeString(script, "#!/bin/sh\nMULTIPROCESS4J_FAST_LOCKS=0 exec python3 \"$@\"\n");
                assertTrue(script.toFile().setExecutable(true));
                withoutMachineCode = script.toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return withoutMachineCode;
    }

    private static void run(PythonProcess process, String function) {
        try (PythonProcess p = process) {
            p.start();
            assertTrue(p.join(Duration.ofSeconds(120)), function + " did not end within 120 s");
            assertEquals(0, p.exitCode(), function + " failed:\n" + p.exception());
        }
    }
}
