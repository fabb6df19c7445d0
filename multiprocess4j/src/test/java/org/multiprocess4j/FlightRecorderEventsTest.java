package org.multiprocess4j;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.ByteArray;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.Segment;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.sharedctypes.StructArray;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each JFR event of the library is recorded after the action that causes it, with the fields it promises; a
 * takeover is logged too.
 */
class FlightRecorderEventsTest {
    private static final long PID = ProcessHandle.current().pid();

    /** Records the library's events while {@code action} runs; returns the first event {@code wanted} accepts. */
    private static RecordedEvent recordUntil(String event, Predicate<RecordedEvent> wanted, ThrowingAction action)
            throws Exception {
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        CountDownLatch found = new CountDownLatch(1);
        try (RecordingStream stream = new RecordingStream()) {
            stream.enable(event).withThreshold(Duration.ZERO).withStackTrace();
            stream.setMaxAge(Duration.ofMinutes(1));
            stream.onEvent(event, e -> {
                if (wanted.test(e)) {
                    seen.add(e);
                    found.countDown();
                }
            });
            stream.startAsync();
            action.run();
            assertTrue(found.await(60, TimeUnit.SECONDS), "no " + event + " event came");
        }
        return seen.getFirst();
    }

    @FunctionalInterface
    interface ThrowingAction {
        void run() throws Exception;
    }

    @Test
    void aContendedLockIsRecordedWithItsOwnerAndTheWait() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            RecordedEvent e = recordUntil("org.multiprocess4j.LockContended", x -> x.getBoolean("acquired"), () -> {
                CountDownLatch held = new CountDownLatch(1);
                Thread holder = Thread.ofPlatform().start(() -> {
                    lock.lock();
                    held.countDown();
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ignored) {
                        // ends the hold early
                    } finally {
                        lock.unlock();
                    }
                });
                held.await();
                lock.lock();
                lock.unlock();
                holder.join();
            });
            assertEquals(PID, e.getLong("ownerPid"));
            assertTrue(e.getDuration().toMillis() >= 20, "the wait: " + e.getDuration());
            assertTrue(e.getString("lock").contains("+"), e.getString("lock"));
            assertEquals(lock.handle().toString(), e.getString("handle"));
            assertFalse(e.getStackTrace().getFrames().isEmpty());
        }
    }

    static void holdForever(ProcessLock lock, IntValue held) throws InterruptedException {
        lock.lock();
        held.set(1);
        Thread.sleep(600_000);
    }

    @Test
    void aLockTakenOverFromAKilledHolderIsRecordedWithTheDeadPid() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            IntValue held = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess child = new ChildProcess(FlightRecorderEventsTest::holdForever, lock, held);
            RecordedEvent e = recordUntil("org.multiprocess4j.LockOwnerDied", x -> true, () -> {
                child.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (held.getVolatile() == 0) {
                    assertTrue(System.nanoTime() < deadline, "the child never took the lock");
                    Thread.sleep(2);
                }
                child.kill();
                child.join();
                lock.lock();
                lock.unlock();
            });
            assertEquals(child.pid(), e.getLong("deadPid"));
            assertEquals(PID, e.getLong("newOwnerPid"));
            assertEquals(lock.handle().toString(), e.getString("handle"));
            child.close();
        }
    }

    /** Takes a lock over from a killed child, with its error output on standard output; prints the dead pid. */
    public static final class TakeOver {
        public static void main(String[] args) throws Exception {
            System.setErr(System.out); // the default log handler writes to System.err as it is when first used
            try (ProcessLock lock = ProcessLock.create()) {
                IntValue held = SharedCTypes.rawValue(CType.c_int, 0);
                ChildProcess child = new ChildProcess(FlightRecorderEventsTest::holdForever, lock, held);
                child.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (held.getVolatile() == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the child never took the lock");
                    }
                    Thread.sleep(2);
                }
                child.kill();
                child.join();
                lock.lock();
                lock.unlock();
                System.out.println("dead pid " + child.pid());
            }
        }
    }

    @Test
    void aLockTakenOverFromAKilledHolderIsLoggedAsAWarning() {
        String out = org.multiprocess4j.testing.Jvm.run(TakeOver.class);
        String deadPid = out.substring(out.lastIndexOf("dead pid ") + 9).lines().findFirst().orElse("").trim();
        assertTrue(out.contains("WARNING") && out.contains("over from process " + deadPid + ", which died holding it"),
                out);
    }

    static void exitWith(Integer code) {
        System.exit(code);
    }

    @Test
    void aChildsStartAndEndAreRecordedWithItsExitCode() throws Exception {
        ChildProcess child = new ChildProcess(FlightRecorderEventsTest::exitWith, 3).name("recorded-child");
        RecordedEvent e = recordUntil("org.multiprocess4j.ChildProcess",
                x -> x.getString("action").equals("ended") && x.getString("name").equals("recorded-child"), () -> {
                    child.start();
                    child.join();
                });
        assertEquals(child.pid(), e.getLong("pid"));
        assertEquals(3, e.getInt("exitCode"));
        assertTrue(e.getString("target").endsWith("FlightRecorderEventsTest.exitWith"), e.getString("target"));
        child.close();
    }

    /** A child that ends with System.exit(137) and is closed at once is recorded with 137, as exitCode() says. */
    @Test
    void aChildClosedAsItsEndIsRecordedKeepsItsOwnExitCode() throws Exception {
        for (int i = 0; i < 4; i++) {
            ChildProcess child = new ChildProcess(FlightRecorderEventsTest::exitWith, 137).name("closed-child-" + i);
            String name = child.name();
            RecordedEvent e = recordUntil("org.multiprocess4j.ChildProcess",
                    x -> x.getString("action").equals("ended") && x.getString("name").equals(name), () -> {
                        child.start();
                        child.join();
                        assertEquals(137, child.exitCode());
                        child.close();
                    });
            assertEquals(137, e.getInt("exitCode"), "round " + i);
        }
    }

    @Test
    void anArenaMadeAndFreedForALargeArrayIsRecorded() throws Exception {
        RecordedEvent e = recordUntil("org.multiprocess4j.Arena",
                x -> x.getString("action").equals("freed") && x.getLong("bytes") >= 3 << 20, () -> {
                    ByteArray big = SharedCTypes.rawArray(CType.c_byte, 3 << 20);
                    big.close();
                });
        assertTrue(e.getString("arenaId").matches("[0-9a-f]+"), e.getString("arenaId"));
    }

    @Test
    void anotherArenaForSmallObjectsIsRecordedAsGrowth() throws Exception {
        List<ByteArray> arrays = new ArrayList<>();
        try {
            // 36 MB in objects small enough to share arenas (at most 4 MB each): more than any arena left free.
            RecordedEvent e = recordUntil("org.multiprocess4j.Arena", x -> x.getString("action").equals("grown"),
                    () -> {
                        for (int i = 0; i < 40; i++) {
                            arrays.add(SharedCTypes.rawArray(CType.c_byte, 900 << 10));
                        }
                    });
            assertEquals("small objects", e.getString("purpose"));
            assertTrue(e.getLong("bytes") >= 900 << 10, "bytes " + e.getLong("bytes"));
        } finally {
            arrays.forEach(ByteArray::close);
        }
    }

    @Test
    void aRefusedHandleIsRecordedWithTheRule() throws Exception {
        RecordedEvent e = recordUntil("org.multiprocess4j.AttachRefused", x -> x.getString("handle").equals("nonsense"),
                () -> assertThrows(IllegalArgumentException.class, () -> Handle.parse("nonsense")));
        assertFalse(e.getString("rule").isEmpty());
    }

    @Test
    void everyRefusalOfAnAttachIsRecordedOnce() throws Exception {
        try (IntValue value = SharedCTypes.rawValue(CType.c_int, 1);
             IntArray array = SharedCTypes.rawArray(CType.c_int, 3);
             ProcessSemaphore semaphore = ProcessSemaphore.create(1);
             ProcessLock lock = ProcessLock.create()) {
            IntValue freed = SharedCTypes.rawValue(CType.c_int, 2);
            Handle freedHandle = freed.handle();
            freed.close();
            List<Runnable> refusals = List.of(() -> SharedLock.attach(value.handle()),
                    () -> IntValue.attach(array.handle()), () -> ProcessQueue.attach(semaphore.handle()),
                    () -> ProcessEvent.attach(semaphore.handle()), () -> ProcessCondition.attach(lock.handle()),
                    () -> IntValue.attach(freedHandle), // its block's refusal inside: once
                    () -> StructArray.attach(array.handle(), Segment.TYPE));
            List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
            CountDownLatch marked = new CountDownLatch(1);
            try (RecordingStream stream = new RecordingStream()) {
                stream.enable("org.multiprocess4j.AttachRefused").withThreshold(Duration.ZERO);
                stream.onEvent("org.multiprocess4j.AttachRefused", e -> {
                    if (e.getString("handle").equals("marker")) {
                        marked.countDown();
                    } else {
                        seen.add(e);
                    }
                });
                stream.startAsync();
                for (Runnable refusal : refusals) {
                    assertThrows(RuntimeException.class, refusal::run);
                }
                assertThrows(IllegalArgumentException.class, () -> Handle.parse("marker")); // after all the others
                assertTrue(marked.await(60, TimeUnit.SECONDS), "no event came");
            }
            assertEquals(refusals.size(), seen.size(), seen.toString());
            assertTrue(seen.stream().allMatch(e -> e.getString("handle").startsWith("mp4j1:")
                    && !e.getString("rule").isEmpty()), seen.toString());
        }
    }

    @Test
    void aWaitThatTimesOutIsRecorded() throws Exception {
        try (ProcessEvent event = ProcessEvent.create()) {
            RecordedEvent e = recordUntil("org.multiprocess4j.ConditionTimedOut", x -> true,
                    () -> assertFalse(event.await(Duration.ofMillis(50))));
            assertTrue(e.getString("object").startsWith("ProcessEvent "), e.getString("object"));
            assertTrue(e.getDuration().toMillis() >= 40, "the wait: " + e.getDuration());
        }
    }

    /**
     * Without a recording of its event, a poll that fails (a timed wait that times out at once) builds no event text:
     * it allocates next to nothing, where the text (the kind and the handle) took about a kilobyte.
     */
    @Test
    void aFailedPollWithoutARecordingBuildsNoEventText() throws Exception {
        try (ProcessSemaphore semaphore = ProcessSemaphore.create(0); ProcessEvent event = ProcessEvent.create()) {
            for (int round = 0; round < 3; round++) { // the first rounds compile the path, whose allocations go
                long before = allocatedBytes();
                for (int i = 0; i < 10_000; i++) {
                    semaphore.tryAcquire(Duration.ZERO);
                    event.await(Duration.ZERO);
                }
                long perPoll = (allocatedBytes() - before) / 20_000;
                if (round == 2) {
                    assertTrue(perPoll < 200, perPoll + " bytes allocated per failed poll");
                }
            }
        }
    }

    /** The bytes this thread has allocated so far (the tests compile as the module, which reads no management API). */
    private static long allocatedBytes() throws ReflectiveOperationException {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        return (Long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes")
                .invoke(threads);
    }
}
