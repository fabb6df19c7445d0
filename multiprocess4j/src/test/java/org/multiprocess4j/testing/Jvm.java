package org.multiprocess4j.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts a second JVM on the test class path, for tests that need a real other process. */
public final class Jvm {
    private Jvm() {
    }

    /** The java executable of this JVM. */
    public static String java() {
        return ProcessHandle.current().info().command().orElseThrow();
    }

    /** Starts {@code main} with {@code args}; its stderr goes to ours, its stdout is piped. */
    public static Process start(Class<?> main, String... args) {
        return start(List.of(), main, args);
    }

    /** Starts {@code main} with the JVM options {@code options} and {@code args}, as {@link #start(Class, String...)}. */
    public static Process start(List<String> options, Class<?> main, String... args) {
        List<String> command = new ArrayList<>(List.of(java(), "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1"));
        command.addAll(options);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code main} to its end (at most 60 s) and returns its stdout; fails unless it exits with 0. */
    public static String run(Class<?> main, String... args) {
        return runWith(List.of(), main, args);
    }

    /** Runs {@code main} with the JVM options {@code options}, as {@link #run(Class, String...)}. */
    public static String runWith(List<String> options, Class<?> main, String... args) {
        Process p = start(options, main, args);
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                kill9(p);
                throw new AssertionError(main.getSimpleName() + " did not finish in 60 s; output: " + out.join());
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(main.getSimpleName() + " exited with " + p.exitValue() + "; output: "
                        + out.join());
            }
            return out.join();
        } catch (InterruptedException e) {
            kill9(p);
            throw new IllegalStateException(e);
        }
    }

    /** Reads one line of a child's stdout. */
    public static String readLine(Process p) {
        try {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = p.getInputStream().read()) != -1 && c != '\n') {
                line.append((char) c);
            }
            return line.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Kills {@code p} with SIGKILL and waits for it to be gone. */
    public static void kill9(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
