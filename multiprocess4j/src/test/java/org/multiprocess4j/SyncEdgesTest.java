package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The edges of semaphores, events, barriers and conditions: wake-ups a waiter must not miss, closes that must be
 * refused, deaths nobody waits to see, past deadlines and handles of another kind.
 */
class SyncEdgesTest {

    /** Waits until {@code thread} runs {@code method} (Class.method): it is then past its checks, waiting. */
    private static void awaitInStack(Thread thread, String method) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Arrays.stream(thread.getStackTrace()).noneMatch(f -> method.equals(
                f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "." + f.getMethodName()))) {
            assertTrue(System.nanoTime() - deadline < 0, "the thread never reached " + method);
            Thread.sleep(1);
        }
    }

    /** A thread of the kind asked for, completing {@code result} with what {@code wait} returns or throws. */
    private static Thread waiter(boolean virtual, CompletableFuture<Object> result, Waiter wait) {
        Runnable body = () -> {
            try {
                result.complete(wait.run());
            } catch (Throwable t) {
                result.complete(t);
            }
        };
        return virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().daemon().start(body);
    }

    private interface Waiter {
        Object run() throws Exception;
    }

    @Test
    void aSetThatAClearFollowsAtOnceWakesEveryWaiterAsPythonsDoes() throws Exception {
        for (boolean virtual : new boolean[] {false, true}) {
            try (ProcessEvent event = ProcessEvent.create()) {
                CompletableFuture<Object> timed = new CompletableFuture<>();
                CompletableFuture<Object> untimed = new CompletableFuture<>();
                Thread a = waiter(virtual, timed, () -> event.await(Duration.ofSeconds(100)));
                Thread b = waiter(virtual, untimed, () -> {
                    event.await();
                    return "returned";
                });
                String method = virtual ? "ConditionCore.await" : "Waiting.sleepHere"; // asleep, not looking
                awaitInStack(a, method);
                awaitInStack(b, method);
                event.set();
                event.clear();
                // Either returns within the 30 s here only when woken: its timeout is 100 s, the other has none. The
                // flag it returns is the one it found: false, or true when it looked before the clear.
                assertInstanceOf(Boolean.class, timed.get(30, TimeUnit.SECONDS), "virtual=" + virtual);
                assertEquals("returned", untimed.get(30, TimeUnit.SECONDS), "virtual=" + virtual);
                assertFalse(event.isSet());
                assertFalse(event.await(Duration.ofMillis(5)), "a clear event still times out");
            }
        }
    }

    /**
     * A set that no clear follows is never taken for one that a clear did: a ping-pong whose every wait must see
     * its flag. (The count of sets was once written before the flag, so a waiter that looked between the two
     * writes returned false; the soak's pool hand-over test met it once. That window is a few instructions wide:
     * this test meets it only now and then, and the order of the writes in setFlag is what rules it out.)
     */
    @Test
    void aWaitWokenByASetThatNoClearFollowsSeesTheFlag() throws Exception {
        int rounds = 20_000;
        try (ProcessEvent ping = ProcessEvent.create(); ProcessEvent pong = ProcessEvent.create()) {
            CompletableFuture<Object> other = new CompletableFuture<>();
            waiter(false, other, () -> {
                for (int i = 0; i < rounds; i++) {
                    if (!ping.await(Duration.ofSeconds(60))) {
                        return "ping's wait " + i + " returned false";
                    }
                    ping.clear();
                    pong.set();
                }
                return "done";
            });
            for (int i = 0; i < rounds; i++) {
                ping.set();
                assertTrue(pong.await(Duration.ofSeconds(60)), "pong's wait " + i + " returned false");
                pong.clear();
            }
            assertEquals("done", other.get(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void closeIsRefusedWhileAThreadWaitsThroughAnyViewOfThisProcess() throws Exception {
        try (ProcessEvent event = ProcessEvent.create()) {
            CompletableFuture<Object> woken = new CompletableFuture<>();
            awaitInStack(waiter(false, woken, () -> event.await(Duration.ofSeconds(100))), "SyncCore.awaitFlagDirectly");
            IllegalStateException refused = assertThrows(IllegalStateException.class, event::close);
            assertTrue(refused.getMessage().contains("1 thread(s) of this process wait"), refused.getMessage());
            event.set();
            assertEquals(true, woken.get(30, TimeUnit.SECONDS));
        }
        try (ProcessSemaphore semaphore = ProcessSemaphore.create(0)) {
            CompletableFuture<Object> got = new CompletableFuture<>();
            awaitInStack(waiter(false, got, () -> semaphore.tryAcquire(Duration.ofSeconds(100))), "SyncCore.sleepUntilPermit");
            assertThrows(IllegalStateException.class, semaphore::close, "a platform thread asleep on the count");
            semaphore.release();
            assertEquals(true, got.get(30, TimeUnit.SECONDS));
        }
        ProcessBarrier barrier = ProcessBarrier.create(2);
        try (ProcessBarrier view = ProcessBarrier.attach(barrier.handle())) {
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            awaitInStack(waiter(true, outcome, () -> view.await(Duration.ofSeconds(100))), "SyncCore.awaitRound");
            assertThrows(IllegalStateException.class, barrier::close,
                    "the creator's close would free the memory under a waiter on another view");
            barrier.abort();
            assertInstanceOf(BrokenBarrierException.class, outcome.get(30, TimeUnit.SECONDS));
        }
        barrier.close();
    }

    static void arriveAndHang(ProcessBarrier barrier, IntValue arrived) throws Exception {
        arrived.incrementAndGet();
        barrier.await();
        Thread.sleep(600_000);
    }

    @Test
    void aWaitingPartyThatDiesBreaksTheBarrierWhenNobodyElseWaits() throws Exception {
        try (ProcessBarrier barrier = ProcessBarrier.create(2);
             IntValue arrived = SharedCTypes.rawValue(CType.c_int, 0)) {
            for (int round = 0; round < 2; round++) { // found dead by isBroken, then by the next arrival
                ChildProcess doomed = new ChildProcess(SyncEdgesTest::arriveAndHang, barrier, arrived).daemon(true);
                doomed.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (barrier.getNumberWaiting() < 1) {
                    assertTrue(System.nanoTime() - deadline < 0 && doomed.isAlive(), "the child never waited");
                    Thread.sleep(2);
                }
                // The child counts itself, then waits, freeing the barrier's lock, which isBroken takes: so the
                // child dies asleep (a death inside the lock breaks the barrier another way).
                assertFalse(barrier.isBroken());
                // The last arrival looks only at parties that have waited 20 ms (a slice, as the waiters look): a
                // death sooner after an arrival may count as after the round.
                Thread.sleep(25);
                doomed.kill();
                doomed.join();
                if (round == 0) {
                    assertTrue(barrier.isBroken(), "a party died waiting");
                    assertEquals(0, barrier.getNumberWaiting());
                } else {
                    assertThrows(BrokenBarrierException.class, () -> barrier.await(Duration.ofSeconds(30)),
                            "the last arrival must not pass with a dead party");
                }
                assertThrows(BrokenBarrierException.class, barrier::await, "broken until reset");
                barrier.reset();
                assertFalse(barrier.isBroken());
            }
        }
    }

    @Test
    void aConditionWaitUntilAPastDateReturnsFalseAtOnce() throws Exception {
        try (ProcessLock lock = ProcessLock.create()) {
            ProcessCondition condition = lock.newCondition();
            lock.lock();
            try {
                assertFalse(condition.awaitUntil(new Date(Long.MIN_VALUE)), "no overflow into a far future");
                assertFalse(condition.awaitUntil(new Date(0)));
                assertFalse(condition.awaitUntil(new Date(System.currentTimeMillis() - 1000)));
            } finally {
                lock.unlock();
            }
            condition.close();
        }
    }

    @Test
    void aUseAfterCloseSaysWhichObjectWasClosed() throws Exception {
        ProcessSemaphore semaphore = ProcessSemaphore.create(1);
        ProcessEvent event = ProcessEvent.create();
        ProcessBarrier barrier = ProcessBarrier.create(2);
        String[] handles = {semaphore.handle().toString(), event.handle().toString(), barrier.handle().toString()};
        semaphore.close();
        event.close();
        barrier.close();
        List<org.junit.jupiter.api.function.Executable> uses = List.of(semaphore::tryAcquire, semaphore::release,
                semaphore::availablePermits, event::set, event::isSet, () -> event.await(Duration.ofSeconds(1)),
                barrier::isBroken, () -> barrier.await(Duration.ofSeconds(1)));
        for (int i = 0; i < uses.size(); i++) {
            IllegalStateException e = assertThrows(IllegalStateException.class, uses.get(i), "use " + i);
            String handle = handles[i < 3 ? 0 : i < 6 ? 1 : 2];
            assertTrue(e.getMessage().contains(handle) && e.getMessage().contains("was closed"), e.getMessage());
        }
    }

    @Test
    void awaitForWaitsUntilThePredicateHoldsAsPythonsWaitFor() throws Exception {
        try (ProcessLock lock = ProcessLock.create(); IntValue value = SharedCTypes.rawValue(CType.c_int, 0)) {
            ProcessCondition condition = lock.newCondition();
            assertThrows(IllegalMonitorStateException.class, () -> condition.awaitFor(() -> true, Duration.ZERO));
            lock.lock();
            try {
                assertTrue(condition.awaitFor(() -> true, Duration.ZERO), "true at once: no wait");
                assertFalse(condition.awaitFor(() -> value.get() == 3, Duration.ofMillis(20)), "timed out");
                Thread setter = Thread.ofPlatform().start(() -> { // each step waits for the lock awaitFor frees
                    for (int i = 1; i <= 3; i++) {
                        lock.lock();
                        try {
                            value.set(i);
                            condition.signalAll();
                        } finally {
                            lock.unlock();
                        }
                    }
                });
                assertTrue(condition.awaitFor(() -> value.get() == 3, Duration.ofSeconds(100)));
                condition.awaitFor(() -> value.get() == 3);
                setter.join();
            } finally {
                lock.unlock();
            }
            condition.close();
        }
    }

    /** Waits once on {@code condition}, counted in [0] under the lock before it waits, and its wake-up in [1]. */
    static void awaitOnce(ProcessLock lock, ProcessCondition condition, IntArray counts) {
        lock.lock();
        try {
            counts.set(0, counts.get(0) + 1);
            condition.awaitUninterruptibly();
            counts.set(1, counts.get(1) + 1);
        } finally {
            lock.unlock();
        }
    }

    /** Two threads of this JVM, a platform and a virtual one, each {@link #awaitOnce}. */
    static void twoWaitOnce(ProcessLock lock, ProcessCondition condition, IntArray counts) throws Exception {
        Thread platform = Thread.ofPlatform().start(() -> awaitOnce(lock, condition, counts));
        Thread virtual = Thread.ofVirtual().start(() -> awaitOnce(lock, condition, counts));
        platform.join();
        virtual.join();
    }

    @Test
    void signalOfNWakesNWaitersAcrossProcessesAsPythonsNotifyOfN() throws Exception {
        try (ProcessLock lock = ProcessLock.create(); IntArray counts = SharedCTypes.rawArray(CType.c_int, 2)) {
            ProcessCondition condition = lock.newCondition();
            assertThrows(IllegalMonitorStateException.class, () -> condition.signal(0), "the lock is not held");
            ChildProcess child = new ChildProcess(SyncEdgesTest::twoWaitOnce, lock, condition, counts);
            child.start();
            Thread local = Thread.ofPlatform().start(() -> {
                try {
                    twoWaitOnce(lock, condition, counts);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            lock.lock();
            try {
                while (counts.get(0) < 4) { // each counted itself under the lock, so waits once it is free
                    lock.unlock();
                    assertTrue(System.nanoTime() - deadline < 0 && child.isAlive(), "the waiters never waited");
                    Thread.sleep(2);
                    lock.lock();
                }
                IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                        () -> condition.signal(-1));
                assertEquals("n must not be negative: n=-1", negative.getMessage());
                condition.signal(0);
                condition.signal(3);
            } finally {
                lock.unlock();
            }
            // At least three wake (a spurious wake-up more is allowed, as for Condition); one stays while no
            // signal comes, which a look after the three cannot prove, so the count is checked only from below.
            while (counts.getVolatile(1) < 3) {
                assertTrue(System.nanoTime() - deadline < 0, "signal(3) woke " + counts.getVolatile(1));
                Thread.sleep(2);
            }
            lock.lock();
            try {
                condition.signalAll();
            } finally {
                lock.unlock();
            }
            local.join();
            child.join();
            assertEquals(0, child.exitCode());
            assertEquals(4, counts.get(1));
            condition.close();
        }
    }

    /** {@code handle} with field {@code index} (of its colon-separated fields) replaced by {@code value}. */
    private static Handle withField(Handle handle, int index, String value) {
        String[] fields = handle.toString().split(":", -1);
        fields[index] = value;
        return Handle.parse(String.join(":", fields));
    }

    private static String signature(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes());
    }

    @Test
    void aHandleRelabelledAsAnotherKindIsRefusedAndNamesWhatItHolds() {
        try (ProcessLock lock = ProcessLock.create(); ProcessSemaphore semaphore = ProcessSemaphore.create(1)) {
            Handle lockAsEvent = withField(withField(lock.handle(), 11, signature("E")), 9, "1152");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ProcessEvent.attach(lockAsEvent));
            assertTrue(e.getMessage().contains("64 bytes") && e.getMessage().contains(lockAsEvent.toString()),
                    e.getMessage());
            Handle lockAsQueue = withField(withField(lock.handle(), 11, signature("Q")), 9, "4096");
            e = assertThrows(IllegalArgumentException.class, () -> ProcessQueue.attach(lockAsQueue));
            assertTrue(e.getMessage().contains("64 bytes"), e.getMessage());
            Handle semaphoreAsEvent = withField(semaphore.handle(), 11, signature("E"));
            e = assertThrows(IllegalArgumentException.class, () -> ProcessEvent.attach(semaphoreAsEvent));
            assertTrue(e.getMessage().contains("holds a semaphore, not an event"), e.getMessage());
            assertTrue(semaphore.tryAcquire(), "the semaphore is untouched");
        }
    }
}
