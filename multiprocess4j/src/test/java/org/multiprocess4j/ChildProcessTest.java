package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.CharArray;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Jvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every lifecycle path of a child process, every misuse, and arguments of every shared kind. */
class ChildProcessTest {

    static void noop() {
    }

    static void square(IntValue n) {
        n.set(n.get() * n.get());
    }

    static void fail(String message) {
        throw new IllegalArgumentException(message);
    }

    static void exit(Integer code) {
        System.exit(code);
    }

    /** Returns at once, leaving a non-daemon thread that sets {@code n} later and then exits with {@code code}. */
    static void leaveAThread(IntValue n, Integer code) {
        new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            n.set(42);
            if (code != 0) {
                System.exit(code);
            }
        }).start();
    }

    static void sleepForever() throws InterruptedException {
        Thread.sleep(600_000);
    }

    static void takesAnInt(int x) {
        System.out.println(x);
    }

    static void takeBytes(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty");
        }
    }

    /**
     * Throws, leaving a thread that sets {@code flag} once the main thread reported the exception and waits for it
     * (the child then ends with 1 once the thread ends).
     */
    static void throwLeavingAThread(IntValue flag) {
        Thread main = Thread.currentThread();
        Thread.ofPlatform().daemon(false).start(() -> {
            while (main.getState() != Thread.State.WAITING && main.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            flag.setVolatile(1);
            java.util.concurrent.locks.LockSupport.park();
        });
        throw new IllegalStateException("thrown");
    }

    /** A child that reported an exception exits with 1: a SIGKILL from outside after that reads -9, not 137. */
    @Test
    void aChildKilledFromOutsideAfterItThrewReadsAsTheSignal() throws Exception {
        IntValue flag = SharedCTypes.rawValue(CType.c_int, 0);
        try (ChildProcess c = new ChildProcess(ChildProcessTest::throwLeavingAThread, flag)) {
            c.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (flag.getVolatile() == 0) {
                assertTrue(System.nanoTime() < deadline && c.isAlive(), "the child never reported its exception");
                Thread.sleep(5);
            }
            ProcessHandle.of(c.pid()).orElseThrow().destroyForcibly(); // not through c: a signal from outside
            c.join();
            assertEquals(-9, c.exitCode());
            assertEquals("thrown", c.exception().getMessage());
        }
    }

    static void throwAVeryLongMessage() {
        throw new IllegalStateException("x".repeat(100_000));
    }

    /** An exception too large for the child's report arrives as a stand-in with its text and stack trace. */
    @Test
    void anExceptionTooLargeToReportArrivesWithItsTextAndTrace() {
        try (ChildProcess c = new ChildProcess(ChildProcessTest::throwAVeryLongMessage)) {
            c.start();
            c.join();
            assertEquals(1, c.exitCode());
            String message = c.exception().getMessage();
            String shown = message.substring(0, 60) + "..." + message.substring(message.length() - 140);
            assertTrue(message.startsWith("java.lang.IllegalStateException: xxxx") && message.length() < 10_000
                    && message.contains("(100033 characters)")
                    && message.endsWith("more than the 65528 a child's report holds)"), shown);
            Throwable e = c.exception();
            assertTrue(java.util.Arrays.stream(e.getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("throwAVeryLongMessage")), "the child's stack trace");
        }
    }

    /** A linked list's node: a serialized list is as deep as it is long. */
    record Node(int value, Node next) implements java.io.Serializable {
    }

    static void sumList(Node list, IntValue sum) {
        int total = 0;
        for (Node n = list; n != null; n = n.next()) {
            total += n.value();
        }
        sum.set(total);
    }

    /** An argument nested far deeper than a few levels travels, as a plain ObjectInputStream would read it. */
    @Test
    void aDeeplyNestedArgumentTravels() {
        Node list = null;
        for (int i = 1; i <= 200; i++) { // deeper still, and the writer's own stack may not hold it (interpreted)
            list = new Node(i, list);
        }
        IntValue sum = SharedCTypes.rawValue(CType.c_int, 0);
        try (ChildProcess c = new ChildProcess(ChildProcessTest::sumList, list, sum)) {
            c.start();
            c.join();
            assertEquals(0, c.exitCode(), String.valueOf(c.exception()));
        }
        assertEquals(20_100, sum.get());
        Node far = null;
        for (int i = 1; i <= 1_000_000; i++) {
            far = new Node(i, far);
        }
        try (ChildProcess c = new ChildProcess(ChildProcessTest::sumList, far, sum)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::start, "not a stray Error");
            assertTrue(e.getMessage().startsWith("argument 0 nests too deeply"), e.getMessage());
        }
    }

    /** A JVM that refuses an option ends with status 1: start() returns, however large the target it never read. */
    @Test
    void aChildWhoseJvmRefusesAnOptionIsStartedAndEndsWithOne() {
        try (ChildProcess c = new ChildProcess(ChildProcessTest::takeBytes, new byte[1 << 20])
                .jvmOptions("-XX:+NoSuchOptionInAnyJvm")) {
            c.start();
            c.join();
            assertEquals(1, c.exitCode());
            assertThrows(IllegalStateException.class, c::start, "started once");
        }
    }

    @Test
    void aNullGivenToAPrimitiveParameterFailsAsTheCallWouldInOneProcess() {
        ChildProcess p = new ChildProcess((ChildProcess.Task1<Integer>) ChildProcessTest::takesAnInt, null);
        p.start();
        p.join();
        assertEquals(ChildMain.THREW_EXIT_STATUS, p.exitCode());
        NullPointerException e = assertInstanceOf(NullPointerException.class, p.exception());
        assertTrue(e.getMessage().contains("argument 0") && e.getMessage().contains("takesAnInt")
                && e.getMessage().contains("int"), e.getMessage());
        p.close();
    }

    static void touchAll(SharedLock lock, ProcessCondition condition, CharArray text, DoubleArray values,
                         List<String> plain) {
        try (var _ = lock.hold()) {
            text.value(plain.getFirst().getBytes(StandardCharsets.US_ASCII));
            values.set(1, values.get(1) + 1);
            condition.signalAll();
        }
    }

    @Test
    void aTargetThatReturnsExitsWithZeroAndItsChangesAreSeen() {
        IntValue n = SharedCTypes.value(CType.c_int, 7);
        ChildProcess p = new ChildProcess(ChildProcessTest::square, n);
        assertThrows(IllegalStateException.class, p::exitCode, "never started");
        assertThrows(IllegalStateException.class, p::join, "never started");
        p.start();
        assertThrows(IllegalStateException.class, p::start, "started twice");
        p.join();
        assertEquals(0, p.exitCode());
        assertNull(p.exception());
        assertFalse(p.isAlive());
        assertEquals(49, n.get());
        p.close();
        assertThrows(IllegalStateException.class, p::kill, "closed");
    }

    @Test
    void aTargetThatThrowsExitsWithOneAndTheParentGetsTheException() {
        ChildProcess p = new ChildProcess(ChildProcessTest::fail, "boom");
        p.start();
        p.join();
        assertEquals(1, p.exitCode());
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, p.exception());
        assertEquals("boom", e.getMessage());
    }

    @Test
    void systemExitGivesItsStatusEvenAbove128() {
        for (int code : new int[] {3, 137}) {
            ChildProcess p = new ChildProcess(ChildProcessTest::exit, code);
            p.start();
            p.join();
            assertEquals(code, p.exitCode());
        }
    }

    @Test
    void aChildEndsWhenItsTargetAndItsNonDaemonThreadsHaveEnded() {
        for (int code : new int[] {0, 137}) {
            IntValue n = SharedCTypes.value(CType.c_int, 0);
            ChildProcess p = new ChildProcess(ChildProcessTest::leaveAThread, n, code);
            p.start();
            p.join();
            assertEquals(42, n.get(), "the thread the target left ran to its end");
            assertEquals(code, p.exitCode());
        }
    }

    @Test
    void terminateAndKillGiveTheNegativeSignal() {
        ChildProcess t = new ChildProcess(ChildProcessTest::sleepForever);
        ChildProcess k = new ChildProcess(ChildProcessTest::sleepForever);
        t.start();
        k.start();
        assertTrue(t.isAlive());
        assertNull(t.exitCode());
        assertThrows(IllegalStateException.class, t::close, "closing a running child");
        t.terminate();
        k.kill();
        assertTrue(t.join(Duration.ofSeconds(30)));
        assertTrue(k.join(Duration.ofSeconds(30)));
        assertEquals(-15, t.exitCode());
        assertEquals(-9, k.exitCode());
    }

    @Test
    void joinWithATimeoutReturnsFalseWhileRunning() {
        ChildProcess p = new ChildProcess(ChildProcessTest::sleepForever).daemon(true).name("sleeper");
        p.start();
        assertFalse(p.join(Duration.ofMillis(100)));
        assertTrue(p.toString().contains("sleeper"));
        p.kill();
        p.join();
        assertTrue(p.toString().contains("stopped exitcode=-9"), p.toString());
        p.close();
        assertTrue(p.toString().contains("closed"), "toString never throws: " + p);
    }

    @Test
    void everySharedKindTravelsAsAHandleAndPlainValuesBySerialization() throws InterruptedException {
        ProcessRLock lock = ProcessRLock.create();
        ProcessCondition condition = lock.newCondition();
        CharArray text = SharedCTypes.rawArray(CType.c_char, 8);
        DoubleArray values = SharedCTypes.array(CType.c_double, new double[] {1, 2}, lock);
        ChildProcess p = ChildProcess.ofArgs(args -> touchAll((SharedLock) args[0], (ProcessCondition) args[1],
                (CharArray) args[2], (DoubleArray) args[3], castList(args[4])),
                lock, condition, text, values, List.of("hi"));
        p.start();
        p.join();
        assertEquals(0, p.exitCode(), String.valueOf(p.exception()));
        assertEquals("hi", text.value(StandardCharsets.US_ASCII));
        assertEquals(3.0, values.get(1));
    }

    @Test
    void aLambdaThatCapturesValuesTravelsSerialized() {
        CharArray text = SharedCTypes.rawArray(CType.c_char, 16);
        String captured = "captured " + text.length();
        ChildProcess p = new ChildProcess(t -> t.value(captured.getBytes(StandardCharsets.US_ASCII)), text);
        p.start();
        p.join();
        assertEquals(0, p.exitCode(), String.valueOf(p.exception()));
        assertEquals("captured 16", text.value(StandardCharsets.US_ASCII));
    }

    static void expectNull(Object value) {
        if (value != null) {
            throw new AssertionError("expected null, got " + value);
        }
    }

    @Test
    void aNullArgumentTravelsAsNull() {
        ChildProcess p = new ChildProcess(ChildProcessTest::expectNull, null);
        p.start();
        p.join();
        assertEquals(0, p.exitCode(), String.valueOf(p.exception()));
    }

    @SuppressWarnings("unchecked")
    static List<String> castList(Object o) {
        return (List<String>) o;
    }

    @Test
    void anArgumentThatCannotTravelFailsInStartNotInTheChild() {
        Object local = new Object();
        ChildProcess p = ChildProcess.ofArgs(args -> noop(), local);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::start);
        assertTrue(e.getMessage().contains("args[0]"), e.getMessage());
        Thread notSerializable = new Thread(() -> { });
        ChildProcess q = new ChildProcess(() -> notSerializable.start());
        assertThrows(IllegalArgumentException.class, q::start);
    }

    @Test
    void memoryPassedToAChildStaysValidWhenTheParentDropsEveryReference() {
        ChildProcess p = startSquaring(12);
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        p.join();
        assertEquals(0, p.exitCode(), String.valueOf(p.exception()));
    }

    private static ChildProcess startSquaring(int value) {
        ChildProcess p = new ChildProcess(ChildProcessTest::squareAfterAWhile, SharedCTypes.rawValue(CType.c_long,
                (long) value));
        p.start();
        return p;
    }

    static void squareAfterAWhile(LongValue v) throws InterruptedException {
        Thread.sleep(500);
        v.set(v.get() * v.get());
    }

    /** Starts a daemon and a non-daemon child that each write a file once a second, prints their pids, waits. */
    public static final class Parent {
        public static void main(String[] args) throws InterruptedException {
            ChildProcess daemon = new ChildProcess(ChildProcessTest::heartbeat, args[0]).daemon(true);
            ChildProcess plain = new ChildProcess(ChildProcessTest::heartbeat, args[1]);
            daemon.start();
            plain.start();
            System.out.println(daemon.pid() + " " + plain.pid());
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    static void heartbeat(String file) throws IOException, InterruptedException {
        for (int i = 0; i < 600; i++) {
            Files.writeString(Path.of(file), Integer.toString(i));
            Thread.sleep(50);
        }
    }

    @Test
    void aDaemonChildEndsWhenItsParentIsKilledAndANonDaemonRunsOn() throws Exception {
        Path dir = Files.createTempDirectory("mp4j-orphans");
        Process parent = Jvm.start(Parent.class, dir.resolve("daemon").toString(), dir.resolve("plain").toString());
        String[] pids = Jvm.readLine(parent).split(" ");
        ProcessHandle daemon = ProcessHandle.of(Long.parseLong(pids[0])).orElseThrow();
        ProcessHandle plain = ProcessHandle.of(Long.parseLong(pids[1])).orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(dir.resolve("daemon")) || !Files.exists(dir.resolve("plain"))) {
            assertTrue(System.nanoTime() < deadline, "the children never started their heartbeats");
            Thread.sleep(20);
        }
        Jvm.kill9(parent);
        daemon.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(daemon.isAlive(), "the daemon ended with its parent");
        String beatAtDeath = Files.readString(dir.resolve("plain")); // may be caught mid-write, empty: fine
        for (String beat = beatAtDeath; beat.equals(beatAtDeath) || beat.isEmpty();
                beat = Files.readString(dir.resolve("plain"))) {
            assertTrue(System.nanoTime() < deadline, "the non-daemon child stopped beating with its parent");
            Thread.sleep(10);
        }
        assertTrue(plain.isAlive(), "the non-daemon child runs on");
        plain.destroyForcibly();
        plain.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Writes the child's view of the shared-memory directory property into {@code out}. */
    static void reportShmDirectory(CharArray out) {
        out.value(System.getProperty("multiprocess4j.shm.dir", "(unset)").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aChildInheritsTheLibrarysSystemProperties() throws IOException {
        Path directory = Files.createTempDirectory(Path.of("/dev/shm"), "mp4j-props");
        String before = System.getProperty("multiprocess4j.shm.dir");
        System.setProperty("multiprocess4j.shm.dir", directory.toString());
        try (CharArray out = SharedCTypes.rawArray(CType.c_char, 256)) {
            ChildProcess child = new ChildProcess(ChildProcessTest::reportShmDirectory, out);
            child.start();
            child.join();
            assertEquals(0, child.exitCode());
            assertEquals(directory.toString(), new String(out.value(), StandardCharsets.UTF_8));
        } finally {
            if (before == null) {
                System.clearProperty("multiprocess4j.shm.dir");
            } else {
                System.setProperty("multiprocess4j.shm.dir", before);
            }
            Files.delete(directory);
        }
    }

    /** Shared objects in a record's components. */
    record Pair(IntValue count, DoubleArray values) implements java.io.Serializable {
    }

    static void updateNested(List<Object> list, java.util.Map<String, LongValue> map, Pair pair) {
        ((IntValue) list.get(1)).set(7);
        map.get("total").set(70L);
        pair.count().set(pair.count().get() + 1);
        pair.values().set(2, 2.5);
    }

    @Test
    void sharedObjectsNestedInArgumentsTravelAsHandlesAndArriveAttached() {
        IntValue inList = SharedCTypes.rawValue(CType.c_int, 0);
        LongValue inMap = SharedCTypes.value(CType.c_long, 0L);
        IntValue inRecord = SharedCTypes.rawValue(CType.c_int, 41);
        DoubleArray array = SharedCTypes.rawArray(CType.c_double, 3);
        List<Object> list = new java.util.ArrayList<>(List.of("text", inList));
        java.util.Map<String, LongValue> map = new java.util.HashMap<>(java.util.Map.of("total", inMap));
        ChildProcess child = new ChildProcess(ChildProcessTest::updateNested, list, map, new Pair(inRecord, array));
        child.start();
        child.join();
        assertEquals(0, child.exitCode(), () -> String.valueOf(child.exception()));
        assertEquals(7, inList.get());
        assertEquals(70L, inMap.get());
        assertEquals(42, inRecord.get());
        assertEquals(2.5, array.get(2));
    }

    @Test
    void aLambdaCapturingSharedObjectsTravelsWithThemAttached() {
        IntValue captured = SharedCTypes.rawValue(CType.c_int, 5);
        ChildProcess child = new ChildProcess((ChildProcess.Task0) () -> captured.set(captured.get() * 2));
        child.start();
        child.join();
        assertEquals(0, child.exitCode(), () -> String.valueOf(child.exception()));
        assertEquals(10, captured.get());
    }

    /** Reports what the child inherited into {@code out}: assertions, a passed property, an opened package. */
    static void reportInheritance(IntArray out) {
        boolean assertions = false;
        assert assertions = true; // runs only with -ea
        out.set(0, assertions ? 1 : 0);
        out.set(1, "mint".equals(System.getProperty("mp4j.test.flavour")) ? 1 : 0);
        out.set(2, ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())
                .contains("--add-opens=java.base/java.lang=ALL-UNNAMED") ? 1 : 0);
    }

    /** A parent JVM that starts a child reporting its inheritance, and prints the three flags it reported. */
    public static final class InheritingParent {
        public static void main(String[] args) {
            IntArray out = SharedCTypes.rawArray(CType.c_int, 3);
            ChildProcess child = new ChildProcess(ChildProcessTest::reportInheritance, out)
                    .passProperties("mp4j.test.flavour", "mp4j.test.unset");
            child.start();
            child.join();
            System.out.println(child.exitCode() + " " + out.get(0) + " " + out.get(1) + " " + out.get(2));
        }
    }

    @Test
    void aChildRunsWithItsParentsAssertionsOpeningsAndThePropertiesItIsPassed() {
        String output = Jvm.runWith(List.of("-ea", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dmp4j.test.flavour=mint"), InheritingParent.class);
        assertEquals("0 1 1 1", output.strip(), "exit code, -ea, the passed property, --add-opens");
    }
}
