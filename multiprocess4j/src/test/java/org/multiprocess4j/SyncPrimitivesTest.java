package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Semaphores, events and barriers across real processes, including processes killed with SIGKILL. */
class SyncPrimitivesTest {

    private static void awaitValue(IntValue value, int atLeast, ChildProcess... alive) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (value.getVolatile() < atLeast) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + atLeast);
            for (ChildProcess c : alive) {
                assertTrue(c.isAlive(), () -> "a child ended early: " + c.exception());
            }
            Thread.sleep(2);
        }
    }

    private static void joinOk(ChildProcess c) {
        assertTrue(c.join(Duration.ofSeconds(120)), "a child did not end");
        assertEquals(0, c.exitCode(), String.valueOf(c.exception()));
    }

    // ---- events ------------------------------------------------------------------------------------------------

    static void waitForEvent(ProcessEvent event, IntValue waiting, IntValue woken) throws InterruptedException {
        waiting.incrementAndGet();
        if (!event.await(Duration.ofSeconds(60))) {
            throw new IllegalStateException("not woken");
        }
        woken.incrementAndGet();
    }

    @Test
    void anEventWakesEveryWaitingProcessAndTimesOutWhenClear() throws Exception {
        try (ProcessEvent event = ProcessEvent.create()) {
            assertFalse(event.isSet());
            assertFalse(event.await(Duration.ofMillis(30)), "a clear event times out");
            IntValue waiting = SharedCTypes.rawValue(CType.c_int, 0);
            IntValue woken = SharedCTypes.rawValue(CType.c_int, 0);
            List<ChildProcess> children = List.of(new ChildProcess(SyncPrimitivesTest::waitForEvent, event, waiting,
                    woken), new ChildProcess(SyncPrimitivesTest::waitForEvent, event, waiting, woken));
            children.forEach(ChildProcess::start);
            awaitValue(waiting, 2, children.toArray(ChildProcess[]::new));
            event.set();
            children.forEach(SyncPrimitivesTest::joinOk);
            assertEquals(2, woken.get());
            assertTrue(event.isSet());
            assertTrue(event.await(Duration.ZERO), "a set event does not wait");
            event.clear();
            assertFalse(event.isSet());
            ProcessEvent same = ProcessEvent.attach(event.handle());
            same.set();
            assertTrue(event.isSet());
            assertEquals(Handle.Kind.EVENT, event.handle().kind());
        }
    }

    // ---- semaphores --------------------------------------------------------------------------------------------

    /** Takes a permit {@code rounds} times, counting how many holders are inside at once. */
    static void useSlots(ProcessSemaphore slots, LongArray stats, int rounds) throws InterruptedException {
        for (int i = 0; i < rounds; i++) {
            slots.acquire();
            try {
                long inside = stats.incrementAndGet(0);
                long most;
                do {
                    most = stats.get(1);
                } while (inside > most && !stats.compareAndSet(1, most, inside));
                stats.incrementAndGet(2);
                stats.decrementAndGet(0);
            } finally {
                slots.release();
            }
        }
    }

    @Test
    void aSemaphoreAdmitsAtMostItsPermitsAcrossProcesses() throws Exception {
        try (ProcessSemaphore slots = ProcessSemaphore.create(2)) {
            LongArray stats = SharedCTypes.rawArray(CType.c_long, 3); // inside now, most inside, total entries
            List<ChildProcess> children = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                children.add(new ChildProcess(SyncPrimitivesTest::useSlots, slots, stats, 2000));
            }
            children.forEach(ChildProcess::start);
            useSlots(slots, stats, 2000);
            children.forEach(SyncPrimitivesTest::joinOk);
            assertEquals(8000, stats.get(2), "every entry counted");
            assertTrue(stats.get(1) <= 2, "at most 2 inside at once, saw " + stats.get(1));
            assertEquals(2, slots.availablePermits());
            assertTrue(slots.tryAcquire());
            assertTrue(slots.tryAcquire());
            assertFalse(slots.tryAcquire());
            assertFalse(slots.tryAcquire(Duration.ofMillis(20)));
            slots.release(2);
            assertFalse(slots.isBounded());
            slots.release();
            assertEquals(3, slots.availablePermits(), "an unbounded semaphore takes extra releases");
            IllegalStateException overflow = assertThrows(IllegalStateException.class,
                    () -> slots.release(Integer.MAX_VALUE));
            assertTrue(overflow.getMessage().contains("permits=" + Integer.MAX_VALUE), overflow.getMessage());
            assertEquals(3, slots.availablePermits(), "the refused release changed nothing");
            slots.release(Integer.MAX_VALUE - 3);
            assertEquals(Integer.MAX_VALUE, slots.availablePermits());
        }
    }

    static void takeAndHang(ProcessSemaphore slots, IntValue took) throws InterruptedException {
        slots.acquire();
        took.set(1);
        Thread.sleep(600_000);
    }

    @Test
    void aBoundedSemaphoreRefusesExtraReleasesAndGivesBackTheDeadsPermits() throws Exception {
        try (ProcessSemaphore slots = ProcessSemaphore.bounded(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, slots::release);
            assertTrue(e.getMessage().contains("released more times than it was acquired"), e.getMessage());
            IntValue took = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess holder = new ChildProcess(SyncPrimitivesTest::takeAndHang, slots, took).daemon(true);
            holder.start();
            awaitValue(took, 1, holder);
            assertEquals(1, slots.availablePermits());
            assertEquals(0, slots.permitsHeldByDeadProcesses());
            holder.kill();
            holder.join();
            assertEquals(1, slots.permitsHeldByDeadProcesses(), "the dead holder's permit is known");
            assertEquals(1, slots.availablePermits(), "and lost until reclaimed, as in Python");
            assertEquals(1, slots.reclaimPermitsOfDeadProcesses());
            assertEquals(2, slots.availablePermits());
            assertEquals(0, slots.permitsHeldByDeadProcesses());
            assertThrows(IllegalArgumentException.class, () -> ProcessSemaphore.create(-1));
            assertThrows(IllegalArgumentException.class, () -> slots.release(0));
        }
    }

    /** A reclaim on a full unbounded semaphore keeps it within what a release allows: it stays usable. */
    @Test
    void aReclaimNeverPushesASemaphorePastIntegerMaxValue() throws Exception {
        try (ProcessSemaphore slots = ProcessSemaphore.create(Integer.MAX_VALUE)) {
            IntValue took = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess holder = new ChildProcess(SyncPrimitivesTest::takeAndHang, slots, took).daemon(true);
            holder.start();
            awaitValue(took, 1, holder);
            holder.kill();
            holder.join();
            slots.release(); // as a signal's release would: full again
            assertEquals(1, slots.reclaimPermitsOfDeadProcesses(), "the dead holder's permit is counted");
            assertEquals(Integer.MAX_VALUE, slots.availablePermits(), "but not past the most a release allows");
            assertTrue(slots.tryAcquire());
        }
    }

    /** Takes and gives back a permit for ever, counting its turns. */
    static void churnPermits(ProcessSemaphore slots, LongArray turns, Integer slot) throws InterruptedException {
        while (true) {
            slots.acquire();
            turns.incrementAndGet(slot);
            slots.release();
        }
    }

    private static void killChurnersAtRandomPoints(int rounds) throws Exception {
        try (ProcessSemaphore slots = ProcessSemaphore.bounded(3)) {
            LongArray turns = SharedCTypes.rawArray(CType.c_long, 2);
            java.util.Random random = new java.util.Random(7);
            for (int round = 0; round < rounds; round++) {
                List<ChildProcess> churners = List.of(
                        new ChildProcess(SyncPrimitivesTest::churnPermits, slots, turns, 0).daemon(true),
                        new ChildProcess(SyncPrimitivesTest::churnPermits, slots, turns, 1).daemon(true));
                churners.forEach(ChildProcess::start);
                for (int c = 0; c < 2; c++) {
                    long before = turns.getVolatile(c);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (turns.getVolatile(c) == before) {
                        assertTrue(System.nanoTime() < deadline, "round " + round + ": churner " + c + " never ran");
                        Thread.sleep(1);
                    }
                }
                Thread.sleep(random.nextInt(10));
                for (ChildProcess c : churners) {
                    c.kill();
                    c.join();
                }
                int reclaimed = slots.reclaimPermitsOfDeadProcesses();
                assertEquals(3, slots.availablePermits(), "round " + round + ": every permit is back (" + reclaimed
                        + " reclaimed from the dead)");
                assertTrue(slots.tryAcquire(Duration.ofSeconds(5)), "round " + round + ": the semaphore works");
                slots.release();
            }
        }
    }

    @Test
    void permitsOfProcessesKilledAtRandomPointsAreAllReclaimed() throws Exception {
        killChurnersAtRandomPoints(5);
    }

    @Test
    @org.junit.jupiter.api.Tag("soak")
    void soakPermitsOfProcessesKilledAtRandomPoints() throws Exception {
        killChurnersAtRandomPoints(200);
    }

    // ---- barriers ----------------------------------------------------------------------------------------------

    static void meetRounds(ProcessBarrier barrier, LongArray log, int rounds, int party)
            throws InterruptedException, BrokenBarrierException {
        for (int round = 0; round < rounds; round++) {
            log.incrementAndGet(round % 2); // the parties of one round write one slot
            barrier.await();
            if (log.get(round % 2) % barrier.getParties() != 0) {
                throw new IllegalStateException("party " + party + " passed round " + round + " early");
            }
            barrier.await(); // the slot is reused two rounds later: no one may run ahead
        }
    }

    @Test
    void aBarrierHoldsEveryPartyUntilAllArriveRoundAfterRound() throws Exception {
        try (ProcessBarrier barrier = ProcessBarrier.create(3)) {
            LongArray log = SharedCTypes.rawArray(CType.c_long, 2);
            List<ChildProcess> children = List.of(
                    new ChildProcess(SyncPrimitivesTest::meetRounds, barrier, log, 200, 1),
                    new ChildProcess(SyncPrimitivesTest::meetRounds, barrier, log, 200, 2));
            children.forEach(ChildProcess::start);
            meetRounds(barrier, log, 200, 0);
            children.forEach(SyncPrimitivesTest::joinOk);
            assertEquals(List.of(300L, 300L), List.of(log.get(0), log.get(1)), "3 parties, 100 rounds per slot");
            assertEquals(3, barrier.getParties());
            assertEquals(0, barrier.getNumberWaiting());
            assertFalse(barrier.isBroken());
            assertEquals(Handle.Kind.BARRIER, barrier.handle().kind());
        }
    }

    static void arriveAndHang(ProcessBarrier barrier, IntValue arrived) throws Exception {
        arrived.incrementAndGet();
        barrier.await();
        Thread.sleep(600_000);
    }

    @Test
    void aPartyKilledWhileWaitingBreaksTheBarrierForTheOthers() throws Exception {
        try (ProcessBarrier barrier = ProcessBarrier.create(3)) {
            IntValue arrived = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess doomed = new ChildProcess(SyncPrimitivesTest::arriveAndHang, barrier, arrived).daemon(true);
            doomed.start();
            awaitValue(arrived, 1, doomed);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (barrier.getNumberWaiting() < 1) {
                assertTrue(System.nanoTime() < deadline, "the child never waited at the barrier");
                Thread.sleep(2);
            }
            doomed.kill();
            doomed.join();
            long start = System.nanoTime();
            assertThrows(BrokenBarrierException.class, () -> barrier.await(Duration.ofSeconds(30)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 5_000, "the barrier broke " + ms + " ms after the party's death");
            assertTrue(barrier.isBroken());
            assertThrows(BrokenBarrierException.class, barrier::await, "broken until reset");
            barrier.reset();
            assertFalse(barrier.isBroken());
        }
    }

    @Test
    void aTimeoutBreaksTheBarrierAndAbortBreaksItUntilReset() throws Exception {
        try (ProcessBarrier barrier = ProcessBarrier.create(2)) {
            assertThrows(TimeoutException.class, () -> barrier.await(Duration.ofMillis(30)));
            assertTrue(barrier.isBroken());
            barrier.reset();
            assertFalse(barrier.isBroken());
            barrier.abort();
            assertThrows(BrokenBarrierException.class, () -> barrier.await(Duration.ofSeconds(5)));
            barrier.reset();
            try (ProcessBarrier one = ProcessBarrier.create(1)) {
                assertEquals(0, one.await(), "a barrier of one passes at once");
            }
            assertThrows(IllegalArgumentException.class, () -> ProcessBarrier.create(0));
        }
    }

    static void awaitAndSay(ProcessBarrier barrier, IntValue outcome) {
        try {
            barrier.await(Duration.ofSeconds(60));
            outcome.set(1);
        } catch (BrokenBarrierException e) {
            outcome.set(2);
        } catch (Exception e) {
            outcome.set(3);
        }
    }

    @Test
    void anInterruptedPartyBreaksTheRoundEvenAsItsLastArrivalAsCyclicBarrierDoes() throws Exception {
        CyclicBarrier reference = new CyclicBarrier(2);
        Thread waiting = Thread.ofPlatform().start(() -> {
            try {
                reference.await(60, TimeUnit.SECONDS);
            } catch (Exception expected) {
                // broken by the interrupted party
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reference.getNumberWaiting() == 0) {
            assertTrue(System.nanoTime() < deadline, "the thread never waited");
            Thread.sleep(2);
        }
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, reference::await, "CyclicBarrier");
        assertTrue(reference.isBroken());
        waiting.join();

        try (ProcessBarrier barrier = ProcessBarrier.create(2)) {
            IntValue outcome = SharedCTypes.rawValue(CType.c_int, 0);
            ChildProcess party = new ChildProcess(SyncPrimitivesTest::awaitAndSay, barrier, outcome);
            party.start();
            while (barrier.getNumberWaiting() == 0) {
                assertTrue(System.nanoTime() < deadline, "the child never waited at the barrier");
                Thread.sleep(2);
            }
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, barrier::await, "the last to arrive, interrupted");
            assertFalse(Thread.interrupted(), "the exception took the interrupt");
            joinOk(party);
            assertEquals(2, outcome.get(), "the party waiting in the child got BrokenBarrierException");
            assertTrue(barrier.isBroken());
        }
        CyclicBarrier referenceOfOne = new CyclicBarrier(1);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, referenceOfOne::await, "CyclicBarrier of one party");
        assertTrue(referenceOfOne.isBroken());
        try (ProcessBarrier one = ProcessBarrier.create(1)) { // its lock free: taken at once, then the interrupt seen
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, one::await, "a barrier of one party");
            assertTrue(one.isBroken());
        }
    }

    @Test
    void aResetBreaksTheRoundItsPartiesWaitIn() throws Exception {
        try (ProcessBarrier barrier = ProcessBarrier.create(2)) {
            java.util.concurrent.CompletableFuture<Object> waiter = new java.util.concurrent.CompletableFuture<>();
            Thread party = Thread.ofPlatform().start(() -> {
                try {
                    waiter.complete(barrier.await(Duration.ofSeconds(60)));
                } catch (Exception e) {
                    waiter.complete(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (barrier.getNumberWaiting() == 0) {
                assertTrue(System.nanoTime() < deadline, "the party never waited");
                Thread.onSpinWait();
            }
            barrier.reset();
            assertInstanceOf(BrokenBarrierException.class, waiter.get(60, TimeUnit.SECONDS),
                    "as CyclicBarrier.reset: the waiting party's round is broken");
            party.join();
            assertFalse(barrier.isBroken(), "the next round is whole");
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    barrier.await(Duration.ofSeconds(60));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            barrier.await(Duration.ofSeconds(60));
            other.join();
        }
    }
}
