package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.multiprocess4j.testing.Jvm;
import org.multiprocess4j.testing.Processes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A daemon child ends within 100 ms of its parent's death however and whenever the parent dies: right after
 * {@code start()}, as a zombie nobody reaps, and after a long life.
 */
class DaemonChildTest {
    private static final Duration BOUND = Duration.ofMillis(100);

    /** Writes {@code marker}, then sleeps: the marker tells whether the target ran at all. */
    static void markAndSleep(String marker) throws IOException, InterruptedException {
        Files.writeString(Path.of(marker), "ran");
        Thread.sleep(600_000);
    }

    /** Starts a daemon child running {@link #markAndSleep}, prints "its pid and its own", then waits for ever. */
    public static final class Parent {
        public static void main(String[] args) throws InterruptedException {
            ChildProcess child = new ChildProcess(DaemonChildTest::markAndSleep, args[0]).daemon(true);
            child.start();
            System.out.println(child.pid() + " " + ProcessHandle.current().pid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    @Test
    void endsWithoutRunningItsTargetWhenTheParentIsKilledRightAfterStart(@TempDir Path dir) {
        Path marker = dir.resolve("marker");
        Process parent = Jvm.start(Parent.class, marker.toString());
        long child = Long.parseLong(Jvm.readLine(parent).split(" ")[0]);
        Jvm.kill9(parent); // the child JVM is still starting
        assertEndsWithinBound(child, "a parent killed right after start()");
        assertFalse(Files.exists(marker), "the target never ran");
    }

    @Test
    void endsWhenTheParentDiesAndStaysAZombie(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("marker");
        // The shell becomes sleep(1), which never reaps its child: the parent JVM stays a zombie once killed.
        Process reaperless = new ProcessBuilder("sh", "-c", "\"$@\" & exec sleep 600", "sh", Jvm.java(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Parent.class.getName(), marker.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String[] pids = Jvm.readLine(reaperless).split(" ");
            long child = Long.parseLong(pids[0]);
            long parent = Long.parseLong(pids[1]);
            awaitFile(marker);
            Processes.kill9(parent);
            assertTrue(Files.exists(Path.of("/proc", Long.toString(parent))), "the dead parent is a zombie");
            assertEndsWithinBound(child, "a zombie parent");
        } finally {
            Jvm.kill9(reaperless);
        }
    }

    @Test
    void endsWithinTheSameBoundWhenTheParentIsOld(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("marker");
        Process parent = Jvm.start(Parent.class, marker.toString());
        long child = Long.parseLong(Jvm.readLine(parent).split(" ")[0]);
        awaitFile(marker);
        Instant started = parent.info().startInstant().orElseThrow();
        Duration age = Duration.ofSeconds(3);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), started.plus(age)).toMillis()));
        Jvm.kill9(parent);
        assertEndsWithinBound(child, "a parent killed at the age of " + age.toSeconds() + " s");
    }

    private static void assertEndsWithinBound(long child, String when) {
        long nanos = Processes.awaitGone(child, Duration.ofSeconds(30));
        Processes.kill9(child);
        assertTrue(nanos >= 0, "the daemon child " + child + " still ran 30 s after " + when + " died");
        System.out.printf("daemon child ended %.1f ms after %s died%n", nanos / 1e6, when);
        assertTrue(nanos <= BOUND.toNanos(), "the daemon child ended " + nanos / 1_000_000 + " ms after " + when
                + " died, more than " + BOUND.toMillis() + " ms");
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(file)) {
            assertTrue(System.nanoTime() < deadline, "the child's target did not start within 30 s");
            Thread.sleep(5);
        }
    }
}
