package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.CharArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Jvm;
import org.multiprocess4j.testing.Processes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The standby start method: a JVM booted ahead becomes the child, which behaves as a spawned one does; a standby
 * serves only its own command, ends unused after its idle time and with its parent, and one that died leaves a cold
 * start.
 */
class StandbyStartTest {
    private static final Duration READY = Duration.ofSeconds(60);

    /** Starts {@code child} in a standby that was ready before, and checks that its JVM is that standby. */
    private static ChildProcess startWarm(ChildProcess child) throws InterruptedException {
        assertTrue(ChildProcess.prepareStandby(READY), "a standby boots and gets ready");
        Instant before = Instant.now();
        child.startMethod(ChildProcess.StartMethod.STANDBY).start();
        Instant booted = ProcessHandle.of(child.pid()).flatMap(h -> h.info().startInstant()).orElse(Instant.MAX);
        assertTrue(booted.isBefore(before), "the child's JVM was booted before start(): " + booted + " vs " + before);
        return child;
    }

    @Test
    void aStandbyBecomesTheChildAndItsChangesAreSeen() throws InterruptedException {
        IntValue n = SharedCTypes.value(CType.c_int, 7);
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::square, n))) {
            p.join();
            assertEquals(0, p.exitCode());
            assertNull(p.exception());
            assertEquals(49, n.get());
        }
    }

    @Test
    void aStandbyChildReportsExceptionsExitStatusesAndSignals() throws InterruptedException {
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::fail, "from a standby"))) {
            p.join();
            assertEquals(1, p.exitCode());
            assertInstanceOf(IllegalArgumentException.class, p.exception());
            assertEquals("from a standby", p.exception().getMessage());
        }
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::exit, 200))) {
            p.join();
            assertEquals(200, p.exitCode());
        }
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::sleepForever))) {
            p.kill();
            p.join();
            assertEquals(-9, p.exitCode());
        }
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::sleepForever))) {
            p.terminate();
            p.join();
            assertEquals(-15, p.exitCode());
        }
    }

    @Test
    void aStandbyChildWaitsForItsNonDaemonThreadsAndTakesCapturedValues() throws InterruptedException {
        IntValue n = SharedCTypes.value(CType.c_int, 0);
        try (ChildProcess p = startWarm(new ChildProcess(ChildProcessTest::leaveAThread, n, 5))) {
            p.join();
            assertEquals(5, p.exitCode(), "the exit status of the thread the target left running");
            assertEquals(42, n.get());
        }
        int add = 12;
        try (ChildProcess p = startWarm(new ChildProcess(() -> n.set(n.get() + add)))) {
            p.join();
            assertEquals(0, p.exitCode());
            assertEquals(54, n.get());
        }
    }

    /** Writes the child's value of the system property {@code mp4j.test.colour} into {@code out}. */
    static void reportColour(CharArray out) {
        out.value(System.getProperty("mp4j.test.colour", "none"), StandardCharsets.US_ASCII);
    }

    @Test
    void aStandbyServesOnlyChildrenOfItsOwnCommand() {
        CharArray out = SharedCTypes.array(CType.c_char, 16);
        for (String colour : List.of("red", "red", "blue", "red", "none", "blue")) {
            ChildProcess p = new ChildProcess(StandbyStartTest::reportColour, out)
                    .startMethod(ChildProcess.StartMethod.STANDBY);
            if (!colour.equals("none")) {
                p.jvmOptions("-Dmp4j.test.colour=" + colour);
            }
            p.start();
            p.join();
            assertEquals(0, p.exitCode());
            assertEquals(colour, out.value(StandardCharsets.US_ASCII));
            p.close();
        }
    }

    private static Optional<ProcessHandle> standbyOf(ProcessHandle parent) {
        return parent.children().filter(c -> c.info().arguments().map(Arrays::asList)
                .filter(a -> a.contains("--standby")).isPresent()).findFirst();
    }

    @Test
    void aStandbyKilledBeforeUseLeavesAColdStart() throws Exception {
        assertTrue(ChildProcess.prepareStandby(READY));
        ProcessHandle standby = standbyOf(ProcessHandle.current()).orElseThrow();
        standby.destroyForcibly();
        standby.onExit().get(READY.toSeconds(), TimeUnit.SECONDS); // reaped: this JVM knows it is gone
        IntValue n = SharedCTypes.value(CType.c_int, 9);
        try (ChildProcess p = new ChildProcess(ChildProcessTest::square, n)
                .startMethod(ChildProcess.StartMethod.STANDBY)) {
            p.start();
            assertFalse(p.pid() == standby.pid(), "a cold start, not the dead standby");
            p.join();
            assertEquals(0, p.exitCode());
            assertEquals(81, n.get());
        }
    }

    /** Boots a standby, prints its pid, then waits for ever. */
    public static final class StandbyParent {
        public static void main(String[] args) throws InterruptedException {
            if (!ChildProcess.prepareStandby(READY)) {
                throw new IllegalStateException("no standby");
            }
            if (args.length > 0) { // "busy": the common pool's threads all taken, as by a long parallel stream
                for (int i = 0; i < java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(); i++) {
                    java.util.concurrent.CompletableFuture.runAsync(() -> {
                        while (true) {
                            java.util.concurrent.locks.LockSupport.park();
                        }
                    });
                }
            }
            System.out.println(standbyOf(ProcessHandle.current()).orElseThrow().pid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    @Test
    void aStandbyEndsWithItsParent() {
        Process parent = Jvm.start(StandbyParent.class);
        try {
            long standby = Long.parseLong(Jvm.readLine(parent).trim());
            assertTrue(ProcessHandle.of(standby).isPresent());
            Jvm.kill9(parent);
            assertTrue(Processes.awaitGone(standby, READY) >= 0, "the standby ended");
        } finally {
            Jvm.kill9(parent);
        }
    }

    @Test
    void anUnusedStandbyEndsAfterItsIdleTimeWhileItsParentLives() {
        Process parent = Jvm.start(List.of("-Dmultiprocess4j.standby.idleMillis=2000"), StandbyParent.class,
                "busy");
        try {
            long standby = Long.parseLong(Jvm.readLine(parent).trim());
            assertTrue(Processes.awaitGone(standby, READY) >= 0, "the standby ended");
            assertTrue(parent.isAlive());
        } finally {
            Jvm.kill9(parent);
        }
    }

    /** Starts a daemon and a plain child from standbys, each writing a heartbeat file; prints their pids. */
    public static final class Parent {
        public static void main(String[] args) throws InterruptedException {
            ChildProcess daemon = startWarm(new ChildProcess(ChildProcessTest::heartbeat, args[0]).daemon(true));
            ChildProcess plain = startWarm(new ChildProcess(ChildProcessTest::heartbeat, args[1]));
            System.out.println(daemon.pid() + " " + plain.pid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    @Test
    void aDaemonStandbyChildEndsWithItsParentAndAPlainOneRunsOn() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("mp4j-standby");
        Process parent = Jvm.start(Parent.class, dir.resolve("daemon").toString(), dir.resolve("plain").toString());
        String[] pids = Jvm.readLine(parent).trim().split(" ");
        long daemon = Long.parseLong(pids[0]);
        long plain = Long.parseLong(pids[1]);
        try {
            long deadline = System.nanoTime() + READY.toNanos();
            while (!java.nio.file.Files.exists(dir.resolve("daemon"))
                    || !java.nio.file.Files.exists(dir.resolve("plain"))) {
                assertTrue(System.nanoTime() < deadline, "the children never started their heartbeats");
                Thread.sleep(10);
            }
            Jvm.kill9(parent);
            assertTrue(Processes.awaitGone(daemon, READY) >= 0, "the daemon ended with its parent");
            String beat = java.nio.file.Files.readString(dir.resolve("plain"));
            while (java.nio.file.Files.readString(dir.resolve("plain")).equals(beat)) {
                assertTrue(System.nanoTime() < deadline, "the plain child stopped with its parent");
                Thread.sleep(10);
            }
            assertTrue(ProcessHandle.of(plain).map(ProcessHandle::isAlive).orElse(false), "the plain child runs on");
        } finally {
            Processes.kill9(plain);
            Jvm.kill9(parent);
        }
    }
}
