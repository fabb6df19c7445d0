package org.multiprocess4j;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C header ({@code c/multiprocess4j.h}) and its example program, built here with the C compiler: the program
 * attaches to a Java-made synchronized value, reads it, and adds one under its lock, also when a Java holder died
 * holding that lock. Skipped, saying so, where no C compiler is installed.
 */
class CProgramTest {
    private static Path dir;
    private static Path program;

    @BeforeAll
    static void build() throws Exception {
        dir = Files.createTempDirectory("mp4j-c");
        program = dir.resolve("attach_value");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-o", program.toString(),
                    Path.of("..", "c", "attach_value.c").toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no C compiler (cc) here, so the C program cannot be built: " + e);
            return;
        }
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, cc.exitValue(), "the C header and program compile without a warning:\n" + out);
    }

    @AfterAll
    static void clean() throws IOException {
        Files.deleteIfExists(program);
        Files.deleteIfExists(dir);
    }

    private static String run(String handle) throws Exception {
        Process p = new ProcessBuilder(program.toString(), handle).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the C program did not end");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void aCProgramReadsAJavaValueAndAddsOneUnderItsLock() throws Exception {
        try (IntValue n = SharedCTypes.value(CType.c_int, 41)) {
            assertEquals("read 41\nwrote 42\n", run(n.handle().toString()));
            assertEquals(42, n.get());
        }
    }

    static void holdAndHang(SharedLock lock, IntValue held) throws InterruptedException {
        lock.lock();
        held.set(1);
        Thread.sleep(600_000);
    }

    @Test
    void aCProgramTakesOverTheLockOfAKilledJavaHolderAndSaysSo() throws Exception {
        try (IntValue n = SharedCTypes.value(CType.c_int, 7); IntValue held = SharedCTypes.rawValue(CType.c_int, 0)) {
            ChildProcess holder = new ChildProcess(CProgramTest::holdAndHang, n.getLock(), held).daemon(true);
            holder.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (held.getVolatile() == 0) {
                assertTrue(System.nanoTime() < deadline && holder.isAlive(), "the holder never took the lock");
                Thread.sleep(5);
            }
            Process c = new ProcessBuilder(program.toString(), n.handle().toString()).redirectErrorStream(true)
                    .start();
            holder.kill();
            holder.join();
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(c.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, c.exitValue(), out);
            assertEquals(List.of("read 7", "wrote 8 (the previous holder had died)"), out.lines().toList());
            assertEquals(8, n.get());
        }
    }

    @Test
    void theCProgramRefusesAHandleThatIsNotASynchronizedInt() throws Exception {
        try (IntValue raw = SharedCTypes.rawValue(CType.c_int, 1)) {
            Process p = new ProcessBuilder(program.toString(), raw.handle().toString()).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("synchronized c_int"), out);
        }
    }

    @Test
    void theCHeaderRefusesHandlesThatWouldPutItOutsideTheObject() throws Exception {
        try (IntValue n = SharedCTypes.value(CType.c_int, 5)) {
            String text = n.handle().toString();
            String own = text.substring(0, text.indexOf('+'));
            String lock = text.substring(text.indexOf('+') + 1);
            java.util.function.BiFunction<String, String[], String> with = (handle, change) -> {
                String[] f = handle.split(":", -1);
                f[Integer.parseInt(change[0])] = change[1];
                return String.join(":", f);
            };
            List<String> hostile = List.of(
                    own + "+" + with.apply(lock, new String[] {"8", "1"}),           // the lock's word, shifted
                    own + "+" + with.apply(lock, new String[] {"9", "8"}),           // a lock of 8 bytes
                    with.apply(own, new String[] {"9", "8"}) + "+" + lock,           // 8 bytes of a c_int
                    with.apply(own, new String[] {"8", "00"}) + "+" + lock,          // a leading zero
                    with.apply(own, new String[] {"11", "dml"}) + "+" + lock,        // stray bits in "vi"
                    own + "+" + own);                                                // a lock part naming a value
            for (String handle : hostile) {
                Process p = new ProcessBuilder(program.toString(), handle).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(1, p.exitValue(), handle + ": " + out);
                assertTrue(out.startsWith("handle ") || out.startsWith("the handle "), out);
            }
            assertEquals(5, n.get(), "nothing written");
            assertTrue(run(text).contains("wrote 6"));
        }
    }

    /** Builds {@code src/test/c/NAME.c} with the header, without a warning, into the test's directory. */
    private static Path testProgram(String name) throws Exception {
        Path binary = dir.resolve(name);
        Process cc = new ProcessBuilder("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I",
                Path.of("..", "c").toString(), "-o", binary.toString(),
                Path.of("src", "test", "c", name + ".c").toString()).redirectErrorStream(true).start();
        String errors = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, cc.exitValue(), errors);
        return binary;
    }

    @Test
    void theCHeaderAttachesEveryShapeJavaMakes() throws Exception {
        Path each = testProgram("attach_each");
        try (ProcessLock lock = ProcessLock.create(); ProcessRLock rlock = ProcessRLock.create()) {
            List<SharedObject> objects = List.of(SharedCTypes.value(CType.c_int, 1), SharedCTypes.rawValue(CType.c_bool,
                    true), SharedCTypes.rawValue(CType.c_wchar, 'x'), SharedCTypes.rawValue(CType.c_char, (byte) 'c'),
                    SharedCTypes.rawArray(CType.c_int, 0), SharedCTypes.rawArray(CType.c_int, 10).slice(3, 7),
                    SharedCTypes.rawArray(CType.c_int, 10).slice(1, 9, 3), SharedCTypes.rawArray(CType.c_bool, 10)
                            .slice(0, 9, 3), SharedCTypes.rawArray(CType.c_int.array(3), 4),
                    SharedCTypes.rawArray(CType.c_int.array(0), 4), SharedCTypes.rawArray(CType.c_double.array(2)
                            .array(2), 2), SharedCTypes.array(CType.c_double, 3, rlock));
            List<String> handles = new java.util.ArrayList<>();
            objects.forEach(o -> handles.add(o.handle().toString()));
            handles.add(lock.handle().toString());
            handles.add(rlock.handle().toString());
            handles.add(lock.newCondition().handle().toString());
            List<String> command = new java.util.ArrayList<>(List.of(each.toString()));
            command.addAll(handles);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            for (int i = 0; i < handles.size(); i++) {
                assertEquals("ok", lines.get(i), handles.get(i));
            }
            objects.forEach(SharedObject::close);
        } finally {
            Files.deleteIfExists(each);
        }
    }

    /**
     * A forked child is another process: it holds a lock as itself, not with the identity its parent had made (the
     * header keeps that in a page the fork wipes), so the parent finds the lock's holder dead once the child ends
     * holding it; and the lock goes on working for Java.
     */
    @Test
    void aForkedChildHoldsTheCHeadersLockAsItself() throws Exception {
        Path forking = testProgram("lock_after_fork");
        try (ProcessLock lock = ProcessLock.create()) {
            Process p = new ProcessBuilder(forking.toString(), lock.handle().toString()).redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the C program did not end");
            assertEquals("recovered\n", out);
            assertEquals(0, p.exitValue(), out);
            assertTrue(lock.tryLock(10, TimeUnit.SECONDS), "the lock is free again");
            lock.unlock();
        } finally {
            Files.deleteIfExists(forking);
        }
    }
}
