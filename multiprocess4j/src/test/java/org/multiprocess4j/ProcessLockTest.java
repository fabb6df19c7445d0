package org.multiprocess4j;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Process-safe locks across real processes: exclusion, atomics, robustness to SIGKILL, virtual threads, misuse. */
class ProcessLockTest {
    static final int M = 20_000;
    /**
     * One target for every lock kind. When targets travelled serialized, the same method reference written with
     * different inferred argument types in one class deserialized with the first one's types (a ClassCastException
     * in the child); method references now travel as the method they name, and the constant keeps the test
     * independent of either.
     */
    static final ChildProcess.Task2<SharedLock, IntValue> HOLD_FOREVER = ProcessLockTest::holdForever;

    static void lockedIncrements(LongValue counter, Integer times) {
        LongValue raw = counter.getObj();
        for (int i = 0; i < times; i++) {
            try (var _ = counter.getLock().hold()) {
                raw.set(raw.get() + 1);
            }
        }
    }

    static void atomicIncrements(LongValue counter, IntArray cells, Integer times) {
        for (int i = 0; i < times; i++) {
            counter.incrementAndGet();
            cells.getAndAdd(i % cells.length(), 1);
        }
    }

    /** Takes the lock, says so in {@code state}, and sleeps inside the critical section until killed. */
    static void holdForever(SharedLock lock, IntValue state) throws InterruptedException {
        lock.lock();
        state.setVolatile(1);
        Thread.sleep(600_000);
    }

    /** Says it is about to wait, then takes the lock and counts. */
    static void waitAndCount(SharedLock lock, IntValue arrived, LongValue counter) {
        arrived.incrementAndGet();
        lock.lock();
        try {
            counter.set(counter.get() + 1);
        } finally {
            lock.unlock();
        }
    }

    /** Waits on the condition until {@code flag} is set. */
    static void awaitFlag(SharedLock lock, ProcessCondition condition, IntValue flag, IntValue waiting)
            throws InterruptedException {
        lock.lock();
        try {
            waiting.incrementAndGet();
            while (flag.getVolatile() == 0) {
                condition.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Locks and unlocks in a loop until killed, counting completed critical sections. */
    static void churn(SharedLock lock, LongValue counter) {
        LongValue raw = counter;
        while (true) {
            lock.lock();
            try {
                raw.set(raw.get() + 1);
            } finally {
                lock.unlock();
            }
        }
    }

    private static ChildProcess start(ChildProcess p) {
        p.daemon(true).start();
        return p;
    }

    /** A child that holds {@code lock} until it is killed, returned once it is inside its critical section. */
    private static ChildProcess startHolder(SharedLock lock) throws InterruptedException {
        IntValue state = SharedCTypes.rawValue(CType.c_int, 0);
        ChildProcess holder = start(new ChildProcess(HOLD_FOREVER, lock, state));
        awaitValue(state, 1);
        return holder;
    }

    /** Runs {@code task} in a new platform thread and returns its result (or throws what it threw). */
    private static <T> T inAnotherThread(Callable<T> task) throws Exception {
        FutureTask<T> future = new FutureTask<>(task);
        Thread.ofPlatform().start(future);
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void joinAll(List<ChildProcess> children) {
        for (ChildProcess p : children) {
            assertTrue(p.join(Duration.ofSeconds(120)), p + " did not finish");
            assertEquals(0, p.exitCode(), p + ": " + p.exception());
        }
    }

    /** Waits until every thread of {@code threads} is parked (or has ended), at most 60 s. */
    private static void awaitBlocked(List<Thread> threads) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (threads.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE
                || t.getState() == Thread.State.NEW)) {
            assertTrue(System.nanoTime() < deadline, "the threads did not block within 60 s");
            Thread.sleep(1);
        }
    }

    private static void awaitValue(IntValue value, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (value.getVolatile() < expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + expected + ", have " + value.getVolatile());
            }
            Thread.sleep(5);
        }
    }

    /** As Lock says: an interrupt before the call ends it with InterruptedException, the lock free or not. */
    @Test
    void anInterruptBeforeTheCallEndsTheInterruptibleAcquisitions() throws Exception {
        for (SharedLock lock : List.of(ProcessLock.create(), ProcessRLock.create())) {
            try (lock) {
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, lock::lockInterruptibly);
                assertFalse(Thread.interrupted(), "the interrupt status is cleared");
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, () -> lock.tryLock(1, TimeUnit.SECONDS));
                assertFalse(Thread.interrupted());
                assertFalse(lock.isLocked(), "neither took the lock");
                Thread.currentThread().interrupt();
                assertTrue(lock.acquire(Duration.ofSeconds(1)), "Python's acquire(timeout) takes a free lock");
                assertTrue(Thread.interrupted(), "and keeps the interrupt");
                lock.unlock();
            }
        }
    }

    /** A thread in a condition's wait takes the lock again before it returns: the lock's close waits for it too. */
    @Test
    void aLockIsNotClosedUnderAConditionsWaiter() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        boolean[] go = new boolean[1];
        CountDownLatch waiting = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                waiting.countDown();
                while (!go[0]) {
                    condition.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
        });
        waiting.await();
        lock.lock(); // the waiter is inside await now: it let go of the lock
        lock.unlock();
        IllegalStateException refused = assertThrows(IllegalStateException.class, lock::close);
        assertTrue(refused.getMessage().contains("1 thread(s) of this process wait"), refused.getMessage());
        lock.lock();
        try {
            go[0] = true;
            condition.signalAll();
        } finally {
            lock.unlock();
        }
        waiter.join();
        condition.close();
        lock.close();
        for (org.junit.jupiter.api.function.Executable use : List.<org.junit.jupiter.api.function.Executable>of(
                lock::newCondition, lock::lock, lock::unlock, lock::tryLock)) {
            IllegalStateException closed = assertThrows(IllegalStateException.class, use);
            assertTrue(closed.getMessage().contains("cannot be used after close()"), closed.getMessage());
        }
    }

    /**
     * A condition closed after its last waiter timed out: the helper that slept for that waiter ends at once, so a
     * program that makes and closes conditions keeps a thread or two, not one per condition closed in the last
     * second.
     */
    @Test
    void closedConditionsLeaveNoHelperAsleep() throws Exception {
        for (int i = 0; i < 300; i++) {
            try (ProcessLock lock = ProcessLock.create(); ProcessCondition condition = lock.newCondition()) {
                lock.lock();
                try {
                    condition.awaitNanos(50_000);
                } finally {
                    lock.unlock();
                }
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long asleep;
        while ((asleep = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("multiprocess4j-futex-") && t.getState() == Thread.State.RUNNABLE)
                .count()) > 8) {
            assertTrue(System.nanoTime() < deadline, asleep + " helpers still asleep");
            Thread.sleep(5);
        }
        long helpers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("multiprocess4j-futex-")).count();
        assertTrue(helpers <= 16, helpers + " helper threads for 300 conditions made and closed in turn");
    }

    @Test
    void tryLockTakesOverFromADeadHolderAndSaysSo() throws Exception {
        ProcessLock lock = ProcessLock.create();
        IntValue state = SharedCTypes.rawValue(CType.c_int, 0);
        ChildProcess holder = start(new ChildProcess(ProcessLockTest::holdForever, lock, state).daemon(true));
        awaitValue(state, 1);
        assertFalse(lock.tryLock(), "held by a running process");
        holder.kill();
        holder.join();
        assertTrue(lock.tryLock(), "a dead holder's lock is taken over without waiting");
        assertTrue(lock.previousOwnerDied());
        lock.unlock();
        assertTrue(lock.tryLock());
        assertFalse(lock.previousOwnerDied());
        lock.unlock();
    }

    @Test
    void lockedIncrementsFromProcessesAndThreadsAreExact() throws InterruptedException {
        LongValue counter = SharedCTypes.value(CType.c_long, 0L);
        List<ChildProcess> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(start(new ChildProcess(ProcessLockTest::lockedIncrements, counter, M)));
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(Thread.ofPlatform().start(() -> lockedIncrements(counter, M)));
        }
        threads.add(Thread.ofVirtual().start(() -> lockedIncrements(counter, M)));
        for (Thread t : threads) {
            t.join();
        }
        joinAll(children);
        assertEquals(6L * M, counter.get());
    }

    @Test
    void atomicIncrementsWithoutALockAreExact() {
        LongValue counter = SharedCTypes.rawValue(CType.c_long, 0L);
        IntArray cells = SharedCTypes.rawArray(CType.c_int, 7);
        List<ChildProcess> children = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(start(new ChildProcess(ProcessLockTest::atomicIncrements, counter, cells, 5 * M)));
        }
        atomicIncrements(counter, cells, 5 * M);
        joinAll(children);
        assertEquals(20L * M, counter.get());
        long total = 0;
        for (int c : cells.toArray()) {
            total += c;
        }
        assertEquals(20L * M, total);
    }

    @Test
    void waitersRecoverFromAHolderKilledInItsCriticalSectionAndAreTold() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ChildProcess holder = startHolder(lock);
        AtomicInteger told = new AtomicInteger();
        AtomicLong firstAcquired = new AtomicLong();
        CountDownLatch waiting = new CountDownLatch(4);
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add((i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual()).start(() -> {
                waiting.countDown();
                try (var held = lock.hold()) {
                    firstAcquired.compareAndSet(0, System.nanoTime());
                    if (held.previousOwnerDied()) {
                        told.incrementAndGet();
                    }
                }
            }));
        }
        waiting.await();
        awaitBlocked(waiters);
        assertFalse(lock.tryLock(), "the killed holder still holds it");
        long killed = System.nanoTime();
        holder.kill();
        for (Thread t : waiters) {
            t.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(t.isAlive(), "a waiter never recovered");
        }
        assertTrue(firstAcquired.get() >= killed, "a waiter took the lock while its holder was still alive");
        long latencyMs = (firstAcquired.get() - killed) / 1_000_000;
        System.out.println("recovery after SIGKILL of the holder: " + latencyMs + " ms");
        assertTrue(latencyMs < 1000, "recovery took " + latencyMs + " ms");
        assertEquals(1, told.get(), "exactly the first new owner is told");
        holder.join();
        assertEquals(-9, holder.exitCode());
        assertTrue(lock.tryLock());
        lock.unlock();
    }

    @Test
    void killedWaitersDoNotBreakTheLock() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        IntValue arrived = SharedCTypes.rawValue(CType.c_int, 0);
        LongValue counter = SharedCTypes.rawValue(CType.c_long, 0L);
        lock.lock();
        ChildProcess doomed = start(new ChildProcess(ProcessLockTest::waitAndCount, lock, arrived, counter));
        ChildProcess survivor = start(new ChildProcess(ProcessLockTest::waitAndCount, lock, arrived, counter));
        awaitValue(arrived, 2);
        Thread.sleep(200);
        doomed.kill();
        doomed.join();
        lock.unlock();
        joinAll(List.of(survivor));
        assertEquals(1L, counter.get());
        assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
        lock.unlock();
    }

    @Test
    void killedConditionWaitersDoNotBreakTheCondition() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        ProcessCondition condition = lock.newCondition();
        IntValue flag = SharedCTypes.rawValue(CType.c_int, 0);
        IntValue waiting = SharedCTypes.rawValue(CType.c_int, 0);
        ChildProcess doomed = start(new ChildProcess(ProcessLockTest::awaitFlag, lock, condition, flag, waiting));
        ChildProcess survivor = start(new ChildProcess(ProcessLockTest::awaitFlag, lock, condition, flag, waiting));
        awaitValue(waiting, 2);
        doomed.kill();
        doomed.join();
        lock.lock();
        try {
            flag.setVolatile(1);
            condition.signalAll();
        } finally {
            lock.unlock();
        }
        joinAll(List.of(survivor));
        assertEquals(-9, doomed.exitCode());
    }

    @RepeatedTest(3)
    void killingAHolderAtRandomPointsNeverWedgesTheLock() throws Exception {
        killAtRandomPoints(4);
    }

    @Tag("soak")
    @Test
    void soakKillingHoldersAtRandomPoints() throws Exception {
        killAtRandomPoints(200);
    }

    private static void killAtRandomPoints(int rounds) throws Exception {
        ProcessLock lock = ProcessLock.create();
        LongValue counter = SharedCTypes.rawValue(CType.c_long, 0L);
        for (int round = 0; round < rounds; round++) {
            ChildProcess churner = start(new ChildProcess(ProcessLockTest::churn, lock, counter));
            long before = counter.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (counter.getVolatile() == before) {
                assertTrue(System.nanoTime() < deadline, "round " + round + ": the child never counted");
                Thread.sleep(1);
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(20));
            churner.kill();
            churner.join();
            assertTrue(lock.tryLock(5, TimeUnit.SECONDS), "round " + round + ": the lock is wedged");
            lock.unlock();
        }
    }

    @Test
    void aThousandVirtualThreadsWaitingOnAProcessLockDoNotStarveTheRest() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ChildProcess holder = startHolder(lock);
        AtomicInteger done = new AtomicInteger();
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            waiters.add(Thread.ofVirtual().start(() -> {
                lock.lock();
                try {
                    done.incrementAndGet();
                } finally {
                    lock.unlock();
                }
            }));
        }
        Thread.sleep(200);
        long start = System.nanoTime();
        List<Thread> others = new ArrayList<>();
        AtomicInteger otherWork = new AtomicInteger();
        for (int i = 0; i < 200; i++) {
            others.add(Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                otherWork.incrementAndGet();
            }));
        }
        for (Thread t : others) {
            t.join(10_000);
        }
        long otherMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, otherWork.get(), "other virtual threads starved");
        assertTrue(otherMs < 5000, "other virtual threads took " + otherMs + " ms");
        assertEquals(0, done.get());
        holder.kill();
        for (Thread t : waiters) {
            t.join(30_000);
        }
        assertEquals(1000, done.get());
    }

    @Test
    void timeoutsExpireWhileAnotherProcessHoldsTheLock() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        ChildProcess holder = startHolder(lock);
        long start = System.nanoTime();
        assertFalse(lock.tryLock(150, TimeUnit.MILLISECONDS));
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertTrue(waited >= 150 && waited < 5000, "waited " + waited + " ms");
        assertFalse(lock.acquire(Duration.ofMillis(10)));
        assertFalse(lock.tryLock());
        holder.kill();
        holder.join();
    }

    @Test
    void everyMisuseIsAClearException() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessRLock rlock = ProcessRLock.create();
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
        assertThrows(IllegalMonitorStateException.class, rlock::release);
        rlock.lock();
        assertInstanceOf(IllegalMonitorStateException.class, inAnotherThread(() -> {
            try {
                rlock.unlock();
                return null;
            } catch (IllegalMonitorStateException e) {
                return e;
            }
        }));
        rlock.lock();
        assertEquals(2, rlock.getHoldCount());
        rlock.unlock();
        rlock.unlock();
        assertEquals(0, rlock.getHoldCount());
        ProcessCondition condition = rlock.newCondition();
        assertThrows(IllegalMonitorStateException.class, condition::await);
        assertThrows(IllegalMonitorStateException.class, condition::signal);
        lock.lock();
        assertFalse(lock.tryLock(), "a ProcessLock is not re-entrant");
        assertFalse(lock.tryLock(20, TimeUnit.MILLISECONDS));
        lock.unlock();
    }

    @Test
    void everyViewOfOneLockInAJvmAgreesOnWhoHoldsItAndHowOften() throws Exception {
        ProcessRLock created = ProcessRLock.create();
        ProcessRLock attached = (ProcessRLock) SharedLock.attach(created.handle());
        created.lock();
        attached.lock();
        assertTrue(attached.isHeldByCurrentThread());
        assertEquals(2, created.getHoldCount());
        boolean heldThere = inAnotherThread(attached::isHeldByCurrentThread);
        boolean takenThere = inAnotherThread(attached::tryLock);
        assertFalse(heldThere);
        assertFalse(takenThere, "held by the main thread through the other view");
        created.unlock();
        attached.unlock();
        assertFalse(created.isLocked());
        assertThrows(IllegalMonitorStateException.class, attached::unlock);
        attached.close();
        assertTrue(created.tryLock(), "closing a view leaves the lock working");
        created.unlock();
    }

    @Test
    void aHolderWhoseProcessLockAnotherThreadReleasedNoLongerSkipsTheLock() throws Exception {
        ProcessLock lock = ProcessLock.create();
        IntValue v = SharedCTypes.value(CType.c_int, 1, lock);
        lock.lock();
        assertTrue(lock.isHeldByCurrentThread());
        Thread releaser = Thread.ofPlatform().start(lock::unlock); // allowed for a Lock, as in Python
        releaser.join();
        assertFalse(lock.isHeldByCurrentThread());
        assertFalse(lock.isLocked());
        Thread holder = Thread.ofPlatform().start(lock::lock);
        holder.join();
        assertFalse(lock.isHeldByCurrentThread(), "another thread holds it now");
        CountDownLatch reading = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            reading.countDown();
            v.get(); // takes the lock: waits for the holder
        });
        reading.await();
        awaitBlocked(List.of(reader));
        assertTrue(reader.isAlive(), "the accessor waits for the lock instead of reading under another's hold");
        lock.unlock();
        reader.join();
    }

    @Test
    void accessorsCalledByTheHolderDoNotWaitOnTheirOwnNonReentrantLock() {
        ProcessLock lock = ProcessLock.create();
        IntValue v = SharedCTypes.value(CType.c_int, 1, lock);
        try (var _ = v.getLock().hold()) {
            v.set(v.get() + 1);
        }
        assertEquals(2, v.get());
        assertFalse(lock.isLocked());
    }

    @Test
    void conditionAwaitWithATimeoutReturnsAndSignalsWakeOtherProcesses() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        ProcessCondition condition = lock.newCondition();
        lock.lock();
        lock.lock();
        try {
            java.util.concurrent.atomic.AtomicBoolean tookIt = new java.util.concurrent.atomic.AtomicBoolean();
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    if (lock.tryLock(5, TimeUnit.SECONDS)) {
                        tookIt.set(true);
                        lock.unlock();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long left = condition.awaitNanos(TimeUnit.MILLISECONDS.toNanos(300));
            other.join();
            assertTrue(tookIt.get(), "await releases every hold while it waits");
            assertTrue(left <= 0);
            assertTrue(lock.isHeldByCurrentThread());
            assertEquals(2, lock.getHoldCount(), "await restores the hold count");
        } finally {
            lock.unlock();
            lock.unlock();
        }
    }
}
