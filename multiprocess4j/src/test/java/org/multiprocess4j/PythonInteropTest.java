package org.multiprocess4j;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.testing.Python;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.Segment;
import org.multiprocess4j.sharedctypes.SharedArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.sharedctypes.SharedValue;
import org.multiprocess4j.sharedctypes.Struct;
import org.multiprocess4j.sharedctypes.StructArray;
import org.multiprocess4j.sharedctypes.StructType;
import org.multiprocess4j.sharedctypes.UShortArray;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.multiprocess4j.sharedctypes.StructType.field;

/**
 * JVM and CPython processes on the same shared objects and the same robust locks: every type both ways, the
 * refusals, a shared count from two JVMs and two Python processes, holders killed on either side, a condition
 * crossing the languages, and PythonProcess itself. Needs python3 (on every machine this project builds on);
 * skipped, saying so, where it is absent.
 */
class PythonInteropTest {
    private static final Path SCRIPT = Path.of("src", "test", "python", "interop.py");

    @BeforeAll
    static void needsPython() throws InterruptedException {
        Python.required();
    }

    /** Runs {@code function} of the test script with {@code args} and fails with its traceback when it raises. */
    private static void python(String function, Object... args) {
        Python.run(SCRIPT, function, args);
    }

    private static Map<String, Object> testCase(String name, Object obj, String kind, Object expect, Object write) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("obj", obj);
        c.put("kind", kind);
        c.put("expect", expect);
        c.put("write", write);
        return c;
    }

    @Test
    void everyTypeRoundTripsBothWays() {
        BigInteger max64 = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);
        // typecode, what Java writes, what Python reads, what Python writes, what Java then reads
        Object[][] rows = {
                {'c', (byte) 'A', new byte[] {'A'}, new byte[] {'z'}, (byte) 'z'},
                {'b', (byte) -5, -5, 7, (byte) 7},
                {'B', 200, 200, 255, 255},
                {'h', (short) -300, -300, 301, (short) 301},
                {'H', 60000, 60000, 1, 1},
                {'i', -70000, -70000, 123456, 123456},
                {'I', 4_000_000_000L, 4_000_000_000L, 1, 1L},
                {'l', -(1L << 40), -(1L << 40), 1L << 40, 1L << 40},
                {'L', -1L, max64, 5, 5L},
                {'q', Long.MIN_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE},
                {'Q', -1L, max64, 0, 0L},
                {'f', 1.5f, 1.5, -2.25, -2.25f},
                {'d', 0.1, 0.1, 1e300, 1e300},
                {'u', (int) 'é', "é", "☃", (int) '☃'},
                {'?', true, true, false, false},
        };
        List<Object> cases = new ArrayList<>();
        List<SharedValue> values = new ArrayList<>();
        List<SharedArray> arrays = new ArrayList<>();
        for (Object[] row : rows) {
            char code = (Character) row[0];
            SharedValue raw = SharedCTypes.rawValue(code, row[1]);
            SharedValue sync = SharedCTypes.value(code, row[1]);
            SharedArray array = SharedCTypes.rawArray(code, List.of(row[1], row[1]));
            values.add(raw);
            values.add(sync);
            arrays.add(array);
            cases.add(testCase(code + " raw value", raw, "value", row[2], row[3]));
            cases.add(testCase(code + " synchronized value", sync, "value", row[2], row[3]));
            Object read = code == 'c' ? new byte[] {'A', 'A'} : code == 'u' ? "éé" : List.of(row[2], row[2]);
            Object write = code == 'c' ? new byte[] {'z', 'z'} : code == 'u' ? "☃☃" : List.of(row[3], row[3]);
            cases.add(testCase(code + " array", array, "array", read, write));
        }
        python("roundtrip", cases);
        for (int i = 0; i < rows.length; i++) {
            Object back = rows[i][4];
            assertEquals(back, values.get(2 * i).getValue(), rows[i][0] + " raw value written by Python");
            assertEquals(back, values.get(2 * i + 1).getValue(), rows[i][0] + " synchronized value");
            assertEquals(List.of(back, back), arrays.get(i).toList(), rows[i][0] + " array");
        }
    }

    @Test
    void structuresArriveWithTheirJavaLayoutAndNamesBothWays() {
        Segment one = SharedCTypes.rawValue(Segment.TYPE, (byte) 'T', List.of(1.5, -2.5), (short) 7,
                List.of(List.of(0.0, 0.0), List.of(4.0, 0.0)), List.of(1, 2, 3), true);
        StructArray<Segment> many = SharedCTypes.array(Segment.TYPE, 3);
        many.setValue(2, List.of((byte) 0, List.of(), (short) 9));
        python("structures", one, many, List.of("x", "y"));
        assertEquals((byte) 'P', one.fieldValues().get(0));
        assertEquals(100.25, one.a().y());
        assertEquals(-3, one.ids().get(2));
        assertEquals(false, one.fieldValues().get(5));
        assertEquals(8.5, many.get(1).path().get(0).x());
        if (numpyPresent()) {
            assertEquals(List.of((short) 1, (short) 1, (short) 10), List.of(many.get(0).fieldValues().get(2),
                    many.get(1).fieldValues().get(2), many.get(2).fieldValues().get(2)), "numpy wrote in place");
        }
    }

    private static boolean numpyPresent() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy").start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void stridedViewsAttachAsTheSameElements() {
        IntArray a = SharedCTypes.rawArray(CType.c_int, new int[]{0, 1, 2, 3, 4, 5, 6, 7, 8});
        python("strided", a.slice(1, 9, 3), List.of(1, 4, 7));
        assertEquals(List.of(0, -1, 2, 3, 4, 5, 6, 7, 8), a.toList());
    }

    @Test
    void attachRefusesFreedMemoryOtherKindsAndDamagedHandles() {
        IntValue freed = SharedCTypes.rawValue(CType.c_int, 1);
        String freedHandle = freed.handle().toString();
        freed.close();
        IntValue value = SharedCTypes.rawValue(CType.c_int, 2);
        python("refuses", freedHandle, value.handle().toString(), ProcessLock.create());
    }

    @Test
    void hostileHandlesStridedViewsLockedReadsTimeoutsAndMappingsAtTheirEdges() throws IOException {
        try (ProcessLock lock = ProcessLock.create(); ProcessLock guard = ProcessLock.create()) {
            IntValue value = SharedCTypes.rawValue(CType.c_int, 1);
            SharedArray big = SharedCTypes.rawArray(CType.c_double, 1 << 19); // an arena of its own, over 2 MiB
            StructArray<Segment> many = SharedCTypes.rawArray(Segment.TYPE, 3);
            many.setValue(0, List.of((byte) 'A', List.of(), (short) 1));
            many.setValue(2, List.of((byte) 'C', List.of(), (short) 3));
            IntArray guarded = SharedCTypes.array(CType.c_int, new int[]{7, 8, 9}, guard);
            Segment one = SharedCTypes.value(Segment.TYPE, List.of((byte) 'S'), guard);
            python("edges", value.handle().toString(), big.handle().toString(),
                    many.slice(0, 3, 2).handle().toString(), guarded.handle().toString(), one.handle().toString(),
                    lock.handle().toString(), lock.newCondition().handle().toString());
            assertEquals((byte) 'Q', many.get(2).fieldValues().get(0), "a tuple written through a strided view");
            assertEquals((byte) 'A', many.get(0).fieldValues().get(0), "nothing else written");
            assertEquals(5, ((Number) one.fieldValues().get(2)).intValue());
            assertEquals(2.5, ((org.multiprocess4j.sharedctypes.DoubleArray) big).get(0));
            java.util.Set<String> before = org.multiprocess4j.testing.ShmDirectory.entries();
            PythonProcess exiting = new PythonProcess(SCRIPT, "read_at_exit", big.handle().toString());
            exiting.start().join(); // and never closed: its status file is an unnamed one, nowhere to be left
            assertEquals(0, exiting.exitCode(), "an exit handler reads memory still mapped");
            assertEquals(before, org.multiprocess4j.testing.ShmDirectory.entries());
            try (var temporary = java.nio.file.Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                assertEquals(List.of(), temporary.map(f -> f.getFileName().toString())
                        .filter(n -> n.startsWith("multiprocess4j-python")).toList());
            }
        }
    }

    /**
     * Bit fields, fields named as ctypes' own class methods, an array and a name only Java allows:
     * {@code struct { unsigned flags : 3; int low : 4; int from_buffer; int from_address; signed char in_dll;
     * short ids[2]; int a$b; }}.
     */
    static final class Awkward extends Struct<Awkward> {
        static final StructType<Awkward> TYPE = StructType.define(Awkward::new, field("flags", CType.c_uint, 3),
                field("low", CType.c_int, 4), field("from_buffer", CType.c_int), field("from_address", CType.c_int),
                field("in_dll", CType.c_byte), field("ids", CType.c_short.array(2)), field("a$b", CType.c_int));

        private Awkward() {
        }
    }

    @Test
    void pythonAttachesStructuresWhateverTheirJavaFieldNames() {
        try (ProcessRLock guard = ProcessRLock.create()) {
            Awkward raw = SharedCTypes.rawValue(Awkward.TYPE);
            Awkward locked = SharedCTypes.value(Awkward.TYPE, List.of(), guard);
            StructArray<Awkward> many = SharedCTypes.rawArray(Awkward.TYPE, 4);
            python("awkward_names", raw, locked, many, many.slice(0, 4, 2));
            List<Object> written = List.of(7L, -8, 5, -6, (byte) 7, List.of((short) 1, (short) -9), 10);
            for (Awkward s : List.of(raw, locked, many.get(1), many.get(2))) {
                assertEquals(written.toString(), s.fieldValues().toString(), "what Python wrote into " + s);
            }
        }
    }

    /** The range checks hold for unions, big-endian structures' arrays and arrays of arrays, and keep ctypes' ways. */
    @Test
    void pythonGuardsEveryLayoutASignatureMakes() {
        python("guards_every_layout");
    }

    /** Python refuses, as Java does, a value its C type cannot hold, where ctypes alone would wrap it. */
    @Test
    void pythonRefusesValuesTheirTypesCannotHold() {
        try (ProcessRLock guard = ProcessRLock.create()) {
            Awkward fields = SharedCTypes.rawValue(Awkward.TYPE);
            IntValue raw = SharedCTypes.rawValue(CType.c_int, 1);
            IntValue locked = SharedCTypes.value(CType.c_int, 2, guard);
            SharedArray bytes = SharedCTypes.rawArray(CType.c_byte, 3);
            UShortArray shorts = SharedCTypes.rawArray(CType.c_ushort, 6);
            SharedArray unsigned = SharedCTypes.array(CType.c_uint, 2, guard);
            SharedValue single = SharedCTypes.rawValue(CType.c_float, 0.5);
            SharedArray wide = SharedCTypes.rawArray(CType.c_wchar, 3);
            python("refuses_out_of_range", fields, raw, locked, bytes, shorts.slice(0, 6, 2), unsigned, single, wide);
            assertEquals("[0, -8, 0, 0, 0, [0, 0], 0]", fields.fieldValues().toString(), "what Python wrote");
            assertEquals(List.of(-2147483648, 2), List.of(raw.get(), locked.get()));
            assertEquals("[0, 0, 0]", bytes.toList().toString());
            assertEquals("[0, 0, 0, 0, 0, 0]", shorts.toList().toString());
        }
    }

    /**
     * A Python thread that waits on a condition whose lock another thread holds is refused, as
     * {@code threading.Condition} refuses it, and the holder's hold is left whole: no other process takes the lock.
     */
    @Test
    void aPythonConditionWaitWithoutItsLockIsRefusedAndReleasesNothing() {
        ProcessRLock reentrant = ProcessRLock.create();
        ProcessLock plain = ProcessLock.create();
        python("wait_unowned", reentrant.newCondition(), plain.newCondition());
        assertTrue(reentrant.tryLock() && plain.tryLock(), "Python left a lock held");
        reentrant.unlock();
        plain.unlock();
    }

    static void countInJava(IntValue n, int times) {
        for (int i = 0; i < times; i++) {
            try (var _ = n.getLock().hold()) {
                n.set(n.get() + 1);
            }
        }
    }

    /**
     * Each Python process counts in two threads: one with the locks' machine code (where this machine runs it),
     * the other with their ctypes paths, which machines without it use.
     */
    @Test
    void twoJvmsAndTwoPythonProcessesEachWithTwoThreadsCountExactly() {
        IntValue n = SharedCTypes.value(CType.c_int, 0);
        int times = 10_000;
        List<ChildProcess> jvms = List.of(new ChildProcess(PythonInteropTest::countInJava, n, times),
                new ChildProcess(PythonInteropTest::countInJava, n, times));
        List<PythonProcess> pythons = List.of(new PythonProcess(SCRIPT, "count_in_threads", n, times / 2, 2, 1),
                new PythonProcess(SCRIPT, "count_in_threads", n, times / 2, 2, 0).python(Python.withoutMachineCode()));
        jvms.forEach(ChildProcess::start);
        pythons.forEach(PythonProcess::start);
        for (ChildProcess c : jvms) {
            assertTrue(c.join(Duration.ofSeconds(180)));
            assertEquals(0, c.exitCode(), String.valueOf(c.exception()));
        }
        for (PythonProcess p : pythons) {
            assertTrue(p.join(Duration.ofSeconds(180)));
            assertEquals(0, p.exitCode(), p.exception());
            p.close();
        }
        assertEquals(4 * times, n.get());
    }

    /**
     * A 64 MiB array is moved onto 2 MiB pages behind its creation, while this JVM fills it: Python maps it at an
     * aligned address, finds its pages mapped whole (its smaps' ShmemPmdMapped) where the kernel moves shared
     * memory (Linux 6.1 on), and every element as written.
     */
    @Test
    void aLargeArrayMovesOntoHugePagesThatPythonMapsWholeWithEveryElementIntact() {
        long count = 8L << 20;
        try (LongArray array = SharedCTypes.rawArray(CType.c_long, count)) {
            long[] chunk = new long[1 << 16];
            for (long i = 0; i < count; i += chunk.length) {
                for (int k = 0; k < chunk.length; k++) {
                    chunk[k] = (i + k) * 7;
                }
                array.copyFrom(chunk, 0, i, chunk.length);
            }
            python("huge_pages", array);
        }
    }

    static void takeAfterDeath(ProcessLock lock, LongArray result) {
        long start = System.nanoTime();
        try {
            if (lock.tryLock(60, TimeUnit.SECONDS)) {
                result.set(0, 1);
                result.set(1, lock.previousOwnerDied() ? 1 : 0);
                result.set(2, (System.nanoTime() - start) / 1_000_000);
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aKilledPythonHolderIsRecoveredByJavaWaitersWhoAreTold() throws Exception {
        ProcessLock lock = ProcessLock.create();
        IntValue held = SharedCTypes.rawValue(CType.c_int, 0);
        try (PythonProcess holder = new PythonProcess(SCRIPT, "hold_and_hang", lock, held).daemon(true)) {
            holder.start();
            awaitNonZero(held, holder);
            LongArray first = SharedCTypes.rawArray(CType.c_long, 3);
            LongArray second = SharedCTypes.rawArray(CType.c_long, 3);
            ChildProcess a = new ChildProcess(PythonInteropTest::takeAfterDeath, lock, first);
            ChildProcess b = new ChildProcess(PythonInteropTest::takeAfterDeath, lock, second);
            a.start();
            b.start();
            holder.kill();
            holder.join();
            assertEquals(-9, holder.exitCode());
            assertTrue(a.join(Duration.ofSeconds(90)) && b.join(Duration.ofSeconds(90)));
            assertEquals(0, a.exitCode(), String.valueOf(a.exception()));
            assertEquals(0, b.exitCode(), String.valueOf(b.exception()));
            assertEquals(1, first.get(0), "the first JVM waiter got the lock");
            assertEquals(1, second.get(0), "the second JVM waiter got the lock");
            assertEquals(1, first.get(1) + second.get(1), "exactly one new owner is told the holder died");
        }
        assertTrue(lock.tryLock(), "the lock is free again");
        lock.unlock();
    }

    static void holdAndHang(ProcessRLock lock, IntValue held) throws InterruptedException {
        lock.lock();
        held.set((int) ProcessHandle.current().pid());
        Thread.sleep(600_000);
    }

    @Test
    void aKilledJavaHolderIsRecoveredByPythonWaitersWhoAreTold() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        IntValue held = SharedCTypes.rawValue(CType.c_int, 0);
        ChildProcess holder = new ChildProcess(PythonInteropTest::holdAndHang, lock, held).daemon(true);
        holder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (held.getVolatile() == 0) {
            assertTrue(System.nanoTime() < deadline && holder.isAlive(), "the Java holder never took the lock");
            Thread.sleep(5);
        }
        LongArray first = SharedCTypes.rawArray(CType.c_long, 3);
        LongArray second = SharedCTypes.rawArray(CType.c_long, 3);
        List<PythonProcess> waiters = List.of(new PythonProcess(SCRIPT, "take_after_death", lock, first),
                new PythonProcess(SCRIPT, "take_after_death", lock, second));
        waiters.forEach(PythonProcess::start);
        holder.kill();
        holder.join();
        for (PythonProcess w : waiters) {
            assertTrue(w.join(Duration.ofSeconds(90)));
            assertEquals(0, w.exitCode(), w.exception());
            w.close();
        }
        assertEquals(List.of(1L, 1L), List.of(first.get(0), second.get(0)), "both Python waiters got the lock");
        assertEquals(1, first.get(1) + second.get(1), "exactly one new owner is told the holder died");
        assertTrue(lock.tryLock());
        lock.unlock();
    }

    @Test
    void aConditionWaitInPythonIsEndedByASignalFromJava() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        IntValue flag = SharedCTypes.rawValue(CType.c_int, 0);
        IntValue ready = SharedCTypes.rawValue(CType.c_int, 0);
        try (PythonProcess waiter = new PythonProcess(SCRIPT, "wait_for_signal", condition, flag, ready)) {
            waiter.start();
            awaitNonZero(ready, waiter);
            lock.lock();
            try {
                flag.set(1);
                condition.signal();
            } finally {
                lock.unlock();
            }
            assertTrue(waiter.join(Duration.ofSeconds(60)), "the Python waiter was not woken");
            assertEquals(0, waiter.exitCode(), waiter.exception());
            assertEquals(2, flag.get());
        }
    }

    @Test
    void pythonProcessReportsExceptionsExitCodesAndSignals() {
        try (PythonProcess p = new PythonProcess(SCRIPT, "fail", "boom")) {
            p.start();
            p.join();
            assertEquals(1, p.exitCode());
            assertTrue(p.exception().contains("ValueError: boom"), p.exception());
        }
        try (PythonProcess p = new PythonProcess(SCRIPT, "fail", "a stray byte \uDCFF")) { // as os.listdir gives
            p.start();
            p.join();
            assertEquals(1, p.exitCode());
            assertTrue(p.exception() != null && p.exception().contains("ValueError: a stray byte \\udcff"),
                    String.valueOf(p.exception()));
        }
        try (PythonProcess p = new PythonProcess(SCRIPT, "exit_with", 3)) {
            p.start();
            p.join();
            assertEquals(3, p.exitCode());
            assertNull(p.exception());
        }
        try (PythonProcess p = new PythonProcess(SCRIPT, "exit_with", 130)) { // reported: no signal's number
            p.start();
            p.join();
            assertEquals(130, p.exitCode());
        }
        try (PythonProcess p = new PythonProcess(SCRIPT, "exit_at_once", 200)) { // unreported, beyond any signal
            p.start();
            p.join();
            assertEquals(200, p.exitCode());
        }
        try (PythonProcess p = new PythonProcess(SCRIPT, "sleep_forever").daemon(true)) {
            p.start();
            assertTrue(p.isAlive());
            p.terminate();
            p.join();
            assertEquals(-15, p.exitCode());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PythonProcess(SCRIPT, "fail", new Object()));
        assertTrue(e.getMessage().startsWith("args[0] cannot travel to Python"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PythonProcess(SCRIPT, "not a name"));
        assertThrows(IllegalArgumentException.class, () -> PythonProcess.ofModule("os..path", "join"));
        try (PythonProcess p = PythonProcess.ofModule("interop_absent_module", "f")) {
            p.start();
            p.join();
            assertEquals(1, p.exitCode());
            assertTrue(p.exception().contains("ModuleNotFoundError"), p.exception());
        }
    }

    @Test
    void aDroppedRunningChildKeepsItsArgumentsAndStatusAndAClosedOneItsOutcome() throws Exception {
        IntValue go = SharedCTypes.rawValue(CType.c_int, 0);
        IntValue n = SharedCTypes.rawValue(CType.c_int, 7);
        java.lang.ref.WeakReference<IntValue> argument = new java.lang.ref.WeakReference<>(n);
        PythonProcess p = new PythonProcess(SCRIPT, "set_when_told", n, go);
        p.start();
        ProcessHandle child = ProcessHandle.of(p.pid()).orElseThrow();
        n = null;
        p = null;
        for (int i = 0; i < 5; i++) {
            System.gc();
        }
        assertTrue(argument.get() != null, "a running child's argument was let go: its memory could be reused");
        go.set(1);
        child.onExit().get(60, TimeUnit.SECONDS);
        assertEquals(42, argument.get().get());

        try (IntValue answer = SharedCTypes.rawValue(CType.c_int, 0); PythonProcess p2 = new PythonProcess(
                Path.of("src", "test", "python", "scripts", "uses_neighbour.py"), "check", answer)) {
            p2.start().join();
            assertEquals(0, p2.exitCode(), "a script imports the module beside it: " + p2.exception());
            assertEquals(42, answer.get());
        }

        PythonProcess closed = new PythonProcess(SCRIPT, "exit_with", 130);
        closed.start().join();
        closed.close();
        assertEquals(130, closed.exitCode(), "a status of its own, read before close() let the file go");
        assertNull(closed.exception());

        try (PythonProcess big = new PythonProcess(SCRIPT, "has_digits", BigInteger.TEN.pow(4999), 5000)) {
            big.start().join();
            assertEquals(0, big.exitCode(), "an integer of 5,000 digits arrives whole");
        }
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                () -> new PythonProcess(SCRIPT, "fail", Map.of("$tuple", List.of(1, 2))));
        assertTrue(reserved.getMessage().startsWith("args[0] is a map whose only key, $tuple,"), reserved.getMessage());
        IllegalArgumentException infinite = assertThrows(IllegalArgumentException.class,
                () -> new PythonProcess(SCRIPT, "fail", new java.math.BigDecimal("1E+400")));
        assertTrue(infinite.getMessage().startsWith("args[0] is beyond a double's range"), infinite.getMessage());
    }

    static void startDaemonPythonAndHang(LongArray pid) throws InterruptedException {
        PythonProcess p = new PythonProcess(SCRIPT, "sleep_forever").daemon(true);
        p.start();
        pid.set(0, p.pid());
        Thread.sleep(600_000);
    }

    @Test
    void aDaemonPythonChildEndsSoonAfterItsParentIsKilled() throws Exception {
        LongArray pid = SharedCTypes.rawArray(CType.c_long, 1);
        ChildProcess parent = new ChildProcess(PythonInteropTest::startDaemonPythonAndHang, pid).daemon(true);
        parent.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (pid.getVolatile(0) == 0) {
            assertTrue(System.nanoTime() < deadline && parent.isAlive(), "the JVM child never started Python");
            Thread.sleep(5);
        }
        ProcessHandle python = ProcessHandle.of(pid.get(0)).orElseThrow();
        long killed = System.nanoTime();
        parent.kill();
        parent.join();
        python.onExit().get(10, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - killed) / 1_000_000;
        assertTrue(ms < 10_000, "the daemon Python child outlived its parent by " + ms + " ms");
    }

    /** Killed after the function returned, while a thread it left keeps it running: -9, not 137. */
    @Test
    void aPythonChildKilledAfterItsFunctionReturnedReadsAsTheSignal() throws Exception {
        IntValue flag = SharedCTypes.rawValue(CType.c_int, 0);
        try (PythonProcess p = new PythonProcess(SCRIPT, "return_leaving_a_thread", flag)) {
            p.start();
            awaitNonZero(flag, p);
            p.kill();
            p.join();
            assertEquals(-9, p.exitCode());
        }
    }

    private static void awaitNonZero(IntValue value, PythonProcess process) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (value.getVolatile() == 0) {
            assertTrue(System.nanoTime() < deadline, "the Python child never got there");
            assertTrue(process.isAlive(), "the Python child ended: " + (process.isAlive() ? "" : process.exception()));
            Thread.sleep(5);
        }
    }
}
