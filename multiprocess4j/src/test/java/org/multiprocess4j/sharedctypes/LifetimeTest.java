package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.Handle;
import org.multiprocess4j.internal.memory.SharedHeap;
import org.multiprocess4j.testing.Jvm;
import org.multiprocess4j.testing.ShmDirectory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shared memory never leaks into /dev/shm, whoever dies how; it is freed when closed or unreachable; running out
 * of it is an exception at allocation, never a SIGBUS later.
 */
class LifetimeTest {
    private static Set<String> before;

    @BeforeAll
    static void snapshot() {
        before = ShmDirectory.entries();
    }

    @AfterAll
    static void nothingLeftBehind() {
        assertEquals(before, ShmDirectory.entries(), "/dev/shm after the tests");
    }

    /** Creates a small value and a large array, prints their handles, then waits to be killed. */
    public static final class Creator {
        public static void main(String[] args) throws InterruptedException {
            LongValue v = SharedCTypes.rawValue(CType.c_long, 1234L);
            DoubleArray big = SharedCTypes.rawArray(CType.c_double, 1 << 20);
            big.set(big.length() - 1, 2.5);
            System.out.println(v.handle() + " " + big.handle());
            System.out.flush();
            Thread.sleep(600_000);
            System.out.println(v.get() + big.get(0));
        }
    }

    /** Attaches to a handle, says so, then waits to be killed. */
    public static final class Attacher {
        public static void main(String[] args) throws InterruptedException {
            LongValue v = LongValue.attach(Handle.parse(args[0]));
            v.set(v.get() + 1);
            System.out.println("attached " + ShmDirectory.entries().size());
            System.out.flush();
            Thread.sleep(600_000);
            System.out.println(v.get());
        }
    }

    /**
     * Makes an array, says "ready", and once a line comes (its file shrunk meanwhile) reads it: prints the class of
     * what its reads threw, or "read" when they threw nothing.
     */
    public static final class ShrunkReader {
        public static void main(String[] args) throws IOException {
            DoubleArray array = SharedCTypes.rawArray(CType.c_double, 1 << 16);
            for (int i = 0; i < array.length(); i++) {
                array.set(i, 1.0);
            }
            System.out.println("ready");
            System.out.flush();
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
            String outcome = "read";
            try {
                double sum = 0;
                for (int round = 0; round < 100; round++) {
                    for (int i = 0; i < array.length(); i++) {
                        sum += array.get(i);
                    }
                }
                outcome += " " + sum;
            } catch (Throwable t) {
                outcome = t.getClass().getName();
            }
            System.out.println(outcome);
        }
    }

    @Test
    void anArenaFileShrunkByAnotherProcessIsAnErrorInTheReaderNotItsDeath() throws Exception {
        // README, "No SIGBUS": the JVM turns the fault into an InternalError and goes on (C and Python die).
        Process reader = Jvm.start(ShrunkReader.class);
        assertEquals("ready", Jvm.readLine(reader));
        int shrunk = 0;
        try (var fds = Files.list(Path.of("/proc", Long.toString(reader.pid()), "fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.startsWith("/dev/shm/") && Files.size(fd) >= (8 << 16)) {
                    try (var file = java.nio.channels.FileChannel.open(fd, java.nio.file.StandardOpenOption.WRITE)) {
                        file.truncate(0);
                        shrunk++;
                    }
                }
            }
        }
        assertEquals(1, shrunk, "the array's arena file");
        reader.getOutputStream().write('\n');
        reader.getOutputStream().flush();
        assertEquals("java.lang.InternalError", Jvm.readLine(reader));
        assertTrue(reader.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the reader ends");
        assertEquals(0, reader.exitValue(), "the reader's JVM lives on after the fault");
    }

    @Test
    void killingTheCreatorLeavesNothingAndTheAttachedMemoryStaysReadable() {
        Process creator = Jvm.start(Creator.class);
        String[] handles = Jvm.readLine(creator).split(" ");
        LongValue v = LongValue.attach(Handle.parse(handles[0]));
        DoubleArray big = DoubleArray.attach(Handle.parse(handles[1]));
        assertEquals(1234L, v.get());
        assertEquals(before, ShmDirectory.entries(), "/dev/shm while the creator runs");

        Jvm.kill9(creator);

        assertEquals(before, ShmDirectory.entries(), "/dev/shm after SIGKILL of the creator");
        v.set(99);
        assertEquals(99L, v.get(), "a mapping outlives its creator");
        assertEquals(2.5, big.get(big.length() - 1));
        v.close();
        big.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LongValue.attach(Handle.parse(handles[0])));
        assertTrue(e.getMessage().contains("no longer exists") && e.getMessage().contains("exited"), e.getMessage());
    }

    @Test
    void killingAnAttachedChildLeavesTheCreatorWorking() {
        LongValue v = SharedCTypes.rawValue(CType.c_long, 1L);
        Process child = Jvm.start(Attacher.class, v.handle().toString());
        assertTrue(Jvm.readLine(child).startsWith("attached"));
        assertEquals(2L, v.get());
        Jvm.kill9(child);
        v.set(3);
        assertEquals(3L, v.get());
        assertEquals(before, ShmDirectory.entries(), "/dev/shm after SIGKILL of an attached child");
    }

    @Test
    void closingOrDroppingObjectsShouldReleaseTheirMemory() {
        DoubleArray big = SharedCTypes.rawArray(CType.c_double, 1 << 20);
        Handle closed = big.handle();
        big.close();
        assertThrows(IllegalStateException.class, () -> SharedCTypes.attach(closed), "closed memory is released");

        Handle dropped = dropAnArray();
        long deadline = System.nanoTime() + 10_000_000_000L;
        boolean released = false;
        while (!released && System.nanoTime() < deadline) {
            System.gc();
            try {
                SharedCTypes.attach(dropped).close();
                Thread.onSpinWait();
            } catch (IllegalStateException e) {
                released = true;
            }
        }
        assertTrue(released, "an unreachable array's memory is released by the cleaner");
    }

    private static Handle dropAnArray() {
        DoubleArray array = SharedCTypes.rawArray(CType.c_double, 1 << 20);
        array.set(0, 1);
        return array.handle();
    }

    @Test
    void shouldAllocateArraysLargerThanTwoGibibytes() {
        long length = (5L << 30) / 2 / Long.BYTES;  // 2.5 GiB
        try (LongArray huge = SharedCTypes.rawArray(CType.c_long, length)) {
            huge.set(length - 1, 77);
            huge.set(300_000_000L, 88);
            assertEquals(77, huge.get(length - 1));
            assertEquals(88, huge.getAndAdd(300_000_000L, 1));
            assertEquals(89, huge.get(300_000_000L));
            assertEquals(0, huge.get(length / 2));
        }
    }

    @Test
    void aRequestLargerThanTheFileSystemFailsAtAllocationNamingSizeAndDirectory() throws IOException {
        long total = Files.getFileStore(Path.of("/dev/shm")).getTotalSpace();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SharedCTypes.rawArray(CType.c_byte, total + (1L << 30)));
        assertTrue(e.getMessage().contains("/dev/shm") && e.getMessage().contains("bytes"), e.getMessage());
    }

    /** A tmpfs of {@code size} ("4m") mounted on a new directory; the test is skipped where mounting is refused. */
    private static Path tmpfs(String size) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("mp4j-tmpfs");
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        if (mount.waitFor() != 0) {
            Files.deleteIfExists(dir);
        }
        assumeTrue(Files.exists(dir), "mounting a tmpfs needs root; the larger-than-/dev/shm test covers the rest");
        return dir;
    }

    private static void unmount(Path dir) throws IOException, InterruptedException {
        new ProcessBuilder("umount", dir.toString()).start().waitFor();
        Files.deleteIfExists(dir);
    }

    @Test
    void aFullTmpfsFailsAtAllocationAndNotWithSigbusLater() throws Exception {
        Path dir = tmpfs("4m");
        String old = System.getProperty(SharedHeap.DIRECTORY_PROPERTY);
        try {
            System.setProperty(SharedHeap.DIRECTORY_PROPERTY, dir.toString());
            ByteArray first = SharedCTypes.rawArray(CType.c_byte, 5 << 19);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SharedCTypes.rawArray(CType.c_byte, 4 << 19));
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
            first.set(first.length() - 1, (byte) 1);
            first.close();
            try (var names = Files.list(dir)) {
                assertEquals(0, names.count(), "nothing named is ever created");
            }
        } finally {
            if (old == null) {
                System.clearProperty(SharedHeap.DIRECTORY_PROPERTY);
            } else {
                System.setProperty(SharedHeap.DIRECTORY_PROPERTY, old);
            }
            unmount(dir);
        }
    }

    /** Allocates small values in the configured directory until it is full; prints how many and the bytes left. */
    public static final class FillWithSmallValues {
        public static void main(String[] args) throws IOException {
            Path dir = Path.of(System.getProperty(SharedHeap.DIRECTORY_PROPERTY));
            java.util.List<LongValue> values = new java.util.ArrayList<>();
            try {
                while (true) {
                    values.add(SharedCTypes.rawValue(CType.c_longlong, values.size()));
                }
            } catch (IllegalStateException full) {
                long free = Files.getFileStore(dir).getUsableSpace();
                values.subList(values.size() / 2, values.size()).forEach(LongValue::close);
                values.add(SharedCTypes.rawValue(CType.c_longlong, 1)); // room again once some are freed
                System.out.println(values.size() + " " + free);
            }
        }
    }

    @Test
    void smallAllocationsFillASmallTmpfsToItsLastPages() throws Exception {
        Path dir = tmpfs("6m");
        try {
            String[] result = org.multiprocess4j.testing.Jvm.runWith(
                    java.util.List.of("-D" + SharedHeap.DIRECTORY_PROPERTY + "=" + dir), FillWithSmallValues.class)
                    .strip().split(" ");
            long free = Long.parseLong(result[1]);
            assertTrue(free < 8192, "small allocations failed with " + free + " bytes still free");
            assertTrue(Long.parseLong(result[0]) > 100_000, "values made: " + result[0]);
        } finally {
            unmount(dir);
        }
    }

    /** Allocates 160 KB arrays in the configured directory 60 times, closing none; prints how many were refused. */
    public static final class AllocateUntilFullAndOn {
        public static void main(String[] args) {
            System.setErr(System.out); // the default log handler writes to System.err as it is when first used
            int refused = 0;
            java.util.List<DoubleArray> kept = new java.util.ArrayList<>();
            for (int i = 0; i < 60; i++) {
                try {
                    kept.add(SharedCTypes.rawArray(CType.c_double, 20_000));
                } catch (IllegalStateException full) {
                    refused++;
                }
            }
            System.out.println("refused " + refused);
        }
    }

    /** A program that goes on allocating in a full directory is told so, without a record per size tried, or a flood. */
    @Test
    void allocationsInAFullTmpfsWarnOnceEachAndAtMostTenASecond() throws Exception {
        Path dir = tmpfs("1m");
        try {
            String out = org.multiprocess4j.testing.Jvm.runWith(
                    java.util.List.of("-D" + SharedHeap.DIRECTORY_PROPERTY + "=" + dir), AllocateUntilFullAndOn.class);
            int refused = out.lines().filter(l -> l.startsWith("refused ")).mapToInt(l -> Integer.parseInt(l.substring(8)))
                    .findFirst().orElse(-1);
            long warnings = out.lines().filter(l -> l.contains("has no room")).count();
            assertTrue(refused > 40, out);
            assertTrue(warnings >= 1 && warnings <= 12, warnings + " warnings for " + refused + " refusals:\n" + out);
        } finally {
            unmount(dir);
        }
    }
}
