package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What waiting costs: idle waiters use no CPU and no platform thread each, interrupts end waits at once, very long
 * timeouts saturate, and a condition's shared state heals after a waiter's process dies.
 */
class WaitingTest {
    private static final long TICK_NANOS = 10_000_000L; // USER_HZ is 100 on Linux

    /** This process's CPU time (user + system), from /proc, in nanoseconds. */
    private static long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS;
    }

    /** This process's platform (kernel) threads. */
    private static int kernelThreads() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring("Threads:".length()).trim());
            }
        }
        throw new IllegalStateException("no Threads: line in /proc/self/status");
    }

    /** CPU time this process uses in {@code window} while nothing happens, as a fraction of one core. */
    private static double idleCpu(Duration window) throws Exception {
        Thread.sleep(200); // let the JIT finish what the set-up gave it
        long before = cpuNanos();
        long start = System.nanoTime();
        Thread.sleep(window.toMillis());
        return (double) (cpuNanos() - before) / (System.nanoTime() - start);
    }

    @Test
    void tenThousandVirtualThreadsWaitingOnAConditionTakeNoThreadEachAndNoCpu() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        AtomicInteger waiting = new AtomicInteger();
        AtomicInteger woken = new AtomicInteger();
        boolean[] go = new boolean[1];
        int threadsBefore = kernelThreads();
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            waiters.add(Thread.ofVirtual().start(() -> {
                lock.lock();
                try {
                    waiting.incrementAndGet();
                    while (!go[0]) {
                        condition.awaitUninterruptibly();
                    }
                    woken.incrementAndGet();
                } finally {
                    lock.unlock();
                }
            }));
        }
        awaitAllInside(lock, waiting, 10_000);
        int threads = kernelThreads() - threadsBefore;
        double cpu = idleCpu(Duration.ofSeconds(1));
        System.out.printf("10,000 virtual threads awaiting a condition: %d more kernel threads, %.1f%% of a core%n",
                threads, cpu * 100);
        assertTrue(threads <= 8, threads + " more kernel threads");
        assertTrue(cpu < 0.05, "idle waiters used " + cpu * 100 + "% of a core");
        lock.lock();
        try {
            go[0] = true;
            condition.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : waiters) {
            assertTrue(t.join(Duration.ofSeconds(60)), "a waiter never woke");
        }
        assertEquals(10_000, woken.get());
    }

    @Test
    void aThousandPlatformThreadsWaitingForALockUseNoCpu() throws Exception {
        ProcessRLock lock = ProcessRLock.create();
        AtomicInteger arrived = new AtomicInteger();
        AtomicInteger acquired = new AtomicInteger();
        lock.lock();
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            waiters.add(Thread.ofPlatform().daemon().start(() -> {
                arrived.incrementAndGet();
                lock.lock();
                acquired.incrementAndGet();
                lock.unlock();
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (arrived.get() < 1000 || waiters.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE)) {
            assertTrue(System.nanoTime() < deadline, "the waiters did not all start waiting");
            Thread.sleep(10);
        }
        double cpu = idleCpu(Duration.ofSeconds(1));
        System.out.printf("1,000 platform threads waiting for a lock: %.1f%% of a core%n", cpu * 100);
        assertTrue(cpu < 0.05, "idle waiters used " + cpu * 100 + "% of a core");
        lock.unlock();
        for (Thread t : waiters) {
            assertTrue(t.join(Duration.ofSeconds(60)), "a waiter never got the lock");
        }
        assertEquals(1000, acquired.get());
    }

    /** Runs {@code wait} on a new platform thread, counting it in {@code done} once it returns. */
    private static Thread waiting(InterruptibleWait wait, AtomicInteger done) {
        return Thread.ofPlatform().daemon().start(() -> {
            try {
                wait.run();
                done.incrementAndGet();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
    }

    private interface InterruptibleWait {
        void run() throws InterruptedException;
    }

    /**
     * Platform threads waiting long on an event, a semaphore or a queue: after a first sleep on the object's own
     * word (in the kernel, so RUNNABLE), they wait on its condition, looking again a few times a second at most.
     */
    @Test
    void platformThreadsWaitingLongOnAnEventASemaphoreOrAQueueUseNoCpu() throws Exception {
        try (ProcessEvent event = ProcessEvent.create(); ProcessSemaphore semaphore = ProcessSemaphore.create(0);
             ProcessQueue<Integer> queue = ProcessQueue.create(4096)) {
            AtomicInteger done = new AtomicInteger();
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                waiters.add(waiting(event::await, done));
                waiters.add(waiting(semaphore::acquire, done));
                waiters.add(waiting(queue::take, done));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (waiters.stream().anyMatch(t -> t.getState() == Thread.State.RUNNABLE
                    || t.getState() == Thread.State.NEW)) {
                assertTrue(System.nanoTime() < deadline, "the waiters never left their first sleep for the "
                        + "condition");
                Thread.sleep(10);
            }
            double cpu = idleCpu(Duration.ofSeconds(2));
            System.out.printf("90 platform threads waiting on an event, a semaphore and a queue: %.1f%% of a core%n",
                    cpu * 100);
            assertTrue(cpu < 0.05, "idle waiters used " + cpu * 100 + "% of a core");
            event.set();
            semaphore.release(30);
            for (int i = 0; i < 30; i++) {
                queue.put(i);
            }
            for (Thread t : waiters) {
                assertTrue(t.join(Duration.ofSeconds(60)), "a waiter never woke");
            }
            assertEquals(90, done.get());
        }
    }

    /** Waits until {@code count} threads have counted themselves in {@code inside} and let go of {@code lock}. */
    private static void awaitAllInside(SharedLock lock, AtomicInteger inside, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            assertTrue(System.nanoTime() < deadline, inside.get() + " of " + count + " waiters arrived");
            if (inside.get() == count && lock.tryLock()) {
                lock.unlock();
                return;
            }
            Thread.sleep(10);
        }
    }

    /** The waits an interrupt must end at once. */
    private enum Wait {
        LOCK_INTERRUPTIBLY, CONDITION_AWAIT, TIMED_TRY_LOCK
    }

    /**
     * Longer than an interrupt could ever take when it wakes the waiter, shorter than the helpers' own look (once a
     * second): an interrupt the waiter noticed only then would fail. How fast an interrupt ends a wait is
     * measured by the benchmark, beside ReentrantLock's ({@code ./mp4j bench}).
     */
    private static final long WOKEN_NANOS = 500_000_000L;

    @Test
    void anInterruptEndsEachKindOfWaitByWakingTheWaiter() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        for (boolean virtual : new boolean[] {false, true}) {
            for (Wait wait : Wait.values()) {
                for (int i = 0; i < 20; i++) {
                    long nanos = interruptLatency(lock, condition, wait, virtual);
                    assertTrue(nanos < WOKEN_NANOS, (virtual ? "virtual " : "platform ") + wait + ": the interrupt "
                            + "ended the wait only after " + nanos / 1_000_000 + " ms");
                }
            }
        }
    }

    /** Nanoseconds from interrupting a thread blocked in {@code wait} to its InterruptedException. */
    private static long interruptLatency(ProcessLock lock, ProcessCondition condition, Wait wait, boolean virtual)
            throws Exception {
        AtomicLong thrownAt = new AtomicLong();
        boolean holdWhileWaiting = wait != Wait.CONDITION_AWAIT;
        if (holdWhileWaiting) {
            lock.lock();
        }
        Runnable body = () -> {
            try {
                switch (wait) {
                    case LOCK_INTERRUPTIBLY -> lock.lockInterruptibly();
                    case TIMED_TRY_LOCK -> lock.tryLock(1, TimeUnit.DAYS);
                    case CONDITION_AWAIT -> {
                        lock.lock();
                        try {
                            condition.await();
                        } finally {
                            lock.unlock();
                        }
                    }
                }
                fail();
            } catch (InterruptedException e) {
                thrownAt.set(System.nanoTime());
            }
        };
        Thread waiter = virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (waiter.getState() != Thread.State.WAITING && waiter.getState() != Thread.State.TIMED_WAITING
                || wait == Wait.CONDITION_AWAIT && lock.isLocked()) {
            assertTrue(System.nanoTime() < deadline, "the waiter never blocked");
            Thread.onSpinWait();
        }
        long interruptedAt = System.nanoTime();
        waiter.interrupt();
        assertTrue(waiter.join(Duration.ofSeconds(30)));
        if (holdWhileWaiting) {
            lock.unlock();
        }
        assertTrue(thrownAt.get() != 0, wait + ": no InterruptedException");
        return thrownAt.get() - interruptedAt;
    }

    private static void fail() {
        throw new AssertionError("the wait ended without an interrupt");
    }

    @Test
    void timeoutsOfCenturiesSaturateInsteadOfOverflowing() throws Exception {
        Duration forever = ChronoUnit.FOREVER.getDuration();
        ProcessLock lock = ProcessLock.create();
        assertTrue(lock.acquire(forever));
        lock.unlock();
        assertTrue(lock.acquire(Duration.ofDays(365L * 300)));
        lock.unlock();
        assertTrue(lock.tryLock(Long.MAX_VALUE, TimeUnit.DAYS));
        ProcessCondition condition = lock.newCondition();
        Thread signaller = Thread.ofPlatform().start(() -> {
            lock.lock();
            condition.signalAll();
            lock.unlock();
        });
        assertTrue(condition.await(Long.MAX_VALUE, TimeUnit.DAYS));
        lock.unlock();
        signaller.join();
        ChildProcess child = new ChildProcess(ChildProcessTest::noop);
        child.start();
        assertTrue(child.join(forever));
        assertEquals(0, child.exitCode());
    }

    static void awaitForever(ProcessLock lock, ProcessCondition condition, IntValue waiting) throws Exception {
        lock.lock();
        try {
            waiting.set(1);
            condition.await();
        } finally {
            lock.unlock();
        }
    }

    @Test
    void aConditionWhoseWaitingProcessDiedStopsCostingSignallersSystemCalls() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        IntValue waiting = SharedCTypes.rawValue(CType.c_int, 0);
        ChildProcess waiter = new ChildProcess(WaitingTest::awaitForever, lock, condition, waiting).daemon(true);
        waiter.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (waiting.get() == 0 || !condition.sleepersAnnounced()) {
            assertTrue(System.nanoTime() < deadline, "the child never slept on the condition");
            Thread.sleep(5);
        }
        waiter.kill();
        waiter.join();
        assertTrue(condition.sleepersAnnounced(), "the dead waiter's process left its mark");
        lock.lock();
        try {
            condition.signal(); // finds nobody asleep, and clears the mark
            assertFalse(condition.sleepersAnnounced(), "healed by the first signal");
            condition.signal();
            assertFalse(condition.sleepersAnnounced());
        } finally {
            lock.unlock();
        }
    }

    @Test
    void closingALockThatThreadsWaitForIsRefusedInTheLibrarysWords() throws Exception {
        ProcessLock lock = ProcessLock.create();
        lock.lock();
        Thread waiter = Thread.ofPlatform().start(() -> {
            lock.lock();
            lock.unlock();
        });
        awaitBlocked(waiter, null);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                lock::close);
        assertTrue(e.getMessage().contains("1 thread(s) of this process wait for it"), e.getMessage());
        lock.unlock();
        assertTrue(waiter.join(Duration.ofSeconds(30)));
        lock.close();
    }

    /** Exits with 3 while a thread awaits a condition that a shutdown hook then signals, and joins that thread. */
    static void exitWhileAThreadAwaits(ProcessLock lock, ProcessCondition condition) throws InterruptedException {
        boolean[] go = new boolean[1];
        Thread waiter = Thread.ofPlatform().start(() -> {
            lock.lock();
            try {
                while (!go[0]) {
                    condition.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (waiter.getState() != Thread.State.WAITING || lock.isLocked()) {
            if (System.nanoTime() > deadline) {
                System.exit(4); // within the parent's 30-s join: exit code 4 says the waiter never parked
            }
            Thread.sleep(1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            lock.lock();
            try {
                go[0] = true;
                condition.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                waiter.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        System.exit(3);
    }

    @Test
    void aConditionStillWorksInShutdownHooks() {
        ProcessLock lock = ProcessLock.create();
        ChildProcess child = new ChildProcess(WaitingTest::exitWhileAThreadAwaits, lock, lock.newCondition())
                .daemon(true);
        child.start();
        try {
            assertTrue(child.join(Duration.ofSeconds(30)), "the child hung in its shutdown hooks");
            assertEquals(3, child.exitCode(), "4 means the child's waiter never parked within 20 s");
        } finally {
            child.kill();
        }
    }

    @Test
    void closingAConditionThatThreadsAwaitIsRefused() throws Exception {
        ProcessLock lock = ProcessLock.create();
        ProcessCondition condition = lock.newCondition();
        Thread waiter = Thread.ofVirtual().start(() -> {
            lock.lock();
            try {
                condition.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.unlock();
            }
        });
        awaitBlocked(waiter, lock);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                condition::close);
        assertTrue(e.getMessage().contains("1 thread(s) of this process wait on it"), e.getMessage());
        lock.lock();
        condition.signalAll();
        lock.unlock();
        assertTrue(waiter.join(Duration.ofSeconds(30)));
        condition.close();
    }

    /** Waits until {@code waiter} is parked and, when {@code released} is given, that lock is free. */
    private static void awaitBlocked(Thread waiter, SharedLock released) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (waiter.getState() != Thread.State.WAITING && waiter.getState() != Thread.State.TIMED_WAITING
                || released != null && released.isLocked()) {
            assertTrue(System.nanoTime() < deadline, "the waiter never blocked");
            Thread.sleep(1);
        }
    }
}
