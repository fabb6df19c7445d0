package org.multiprocess4j;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.sync.SyncLayout;

import java.time.Duration;

/**
 * A counting semaphore shared by processes: Python's {@code multiprocessing.Semaphore} and
 * {@code BoundedSemaphore}, with {@code java.util.concurrent.Semaphore}'s names. Python's names:
 * {@code acquire(block=True, timeout=None)} is {@link #acquire()}, {@link #tryAcquire()} and
 * {@link #tryAcquire(Duration)}; {@code release()} is {@link #release()}; {@code get_value()} is
 * {@link #availablePermits()}.
 *
 * {@snippet :
 * ProcessSemaphore slots = ProcessSemaphore.bounded(4);   // at most 4 processes in the section
 * slots.acquire();
 * try {
 *     work();
 * } finally {
 *     slots.release();
 * }
 * }
 *
 * <p>Deaths: the permits a process holds when it dies are lost, as in Python, until someone asks for them back:
 * the semaphore records which processes hold permits (the first 64 processes holding permits at the same time),
 * {@link #permitsHeldByDeadProcesses()} counts those whose holder no longer runs, and
 * {@link #reclaimPermitsOfDeadProcesses()} returns them. A process killed inside {@code acquire} or
 * {@code release} of a bounded semaphore leaves it exact (the next process to use it recomputes its free permits
 * from the permits held); of an unbounded one it may lose the permit it was taking or giving, never make one up.
 * A bounded semaphore refuses a release that would give it more permits than it started with (Python's
 * {@code ValueError}); any semaphore refuses one that would give it more than {@code Integer.MAX_VALUE} permits
 * (as {@code java.util.concurrent.Semaphore} does).
 *
 * <p>What a process holds is what it acquired less what it released itself (never below zero). So the dead
 * holders' count and its reclaim suit a semaphore that guards a section, each process releasing what it acquired;
 * a semaphore used to signal (one process acquires, another releases) leaves each acquirer counted as holding what
 * it took once it ends, and a reclaim would then add permits nobody lost. The same holds for the recount a bounded
 * semaphore makes after a process died inside {@code acquire} or {@code release}.
 */
public final class ProcessSemaphore extends SharedSync {

    private ProcessSemaphore(SharedBlock block, long permits, long bound, boolean init) {
        super(block, 'S', SyncLayout.KIND_SEMAPHORE, permits, bound, init);
    }

    /**
     * A semaphore with {@code permits} permits and no bound on releases.
     *
     * @throws IllegalArgumentException when {@code permits} is negative
     */
    public static ProcessSemaphore create(int permits) {
        return new ProcessSemaphore(allocate('S'), check(permits), -1, true);
    }

    /**
     * A bounded semaphore: a release that would raise it above {@code permits} is refused.
     *
     * @throws IllegalArgumentException when {@code permits} is negative
     */
    public static ProcessSemaphore bounded(int permits) {
        return new ProcessSemaphore(allocate('S'), check(permits), permits, true);
    }

    private static int check(int permits) {
        if (permits < 0) {
            throw new IllegalArgumentException("permits must be >= 0: permits=" + permits);
        }
        return permits;
    }

    /**
     * Attaches to the semaphore {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name a semaphore
     */
    public static ProcessSemaphore attach(Handle handle) {
        return Events.attaching(handle, () -> new ProcessSemaphore(attachBlock(handle, 'S', "ProcessSemaphore"), 0, 0,
                false));
    }

    /**
     * Takes a permit, waiting as long as it takes. An interrupt ends only a wait, as the locks' do: a permit free
     * at once is taken whatever the thread's interrupt status, which stays as it was.
     */
    public void acquire() throws InterruptedException {
        core.acquirePermit(Long.MAX_VALUE, true);
    }

    /** Takes a permit, waiting as long as it takes, through interrupts (the interrupt status is kept). */
    public void acquireUninterruptibly() {
        try {
            core.acquirePermit(Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new IllegalStateException("an uninterruptible acquire was interrupted", e);
        }
    }

    /** Takes a permit if one is free now. */
    public boolean tryAcquire() {
        try {
            return core.acquirePermit(0, false);
        } catch (InterruptedException e) {
            throw new IllegalStateException("a non-waiting acquire was interrupted", e);
        }
    }

    /**
     * Takes a permit, waiting at most {@code timeout}; false when none came in time. An interrupt ends only a wait,
     * as in {@link #acquire()}.
     */
    public boolean tryAcquire(Duration timeout) throws InterruptedException {
        Events.TimedWait wait = Events.timedWait();
        boolean acquired = core.acquirePermit(Timeouts.nanos(timeout), true);
        if (!acquired) {
            wait.timedOut("ProcessSemaphore", this::handle);
        }
        return acquired;
    }

    /**
     * Gives a permit back.
     *
     * @throws IllegalStateException when a bounded semaphore would exceed its permits
     */
    public void release() {
        core.releasePermits(1);
    }

    /**
     * Gives {@code permits} permits back.
     *
     * @throws IllegalArgumentException when {@code permits} is not positive
     * @throws IllegalStateException when a bounded semaphore would exceed its permits, or any semaphore
     *                               {@code Integer.MAX_VALUE}
     */
    public void release(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be >= 1: permits=" + permits);
        }
        core.releasePermits(permits);
    }

    /** The permits free now. */
    public int availablePermits() {
        return (int) core.value();
    }

    /** Whether releases beyond the initial permits are refused. */
    public boolean isBounded() {
        return core.bound() >= 0;
    }

    /**
     * The permits held by processes that no longer run (among the processes the semaphore records): see the class
     * comment for what a process holds.
     */
    public int permitsHeldByDeadProcesses() {
        return (int) core.deadHoldersPermits(false);
    }

    /**
     * Returns the permits of processes that no longer run to the semaphore; how many there were. The free permits
     * stay within what a release allows: a bounded semaphore's initial permits, or {@code Integer.MAX_VALUE}.
     */
    public int reclaimPermitsOfDeadProcesses() {
        return (int) core.deadHoldersPermits(true);
    }

    @Override
    public String toString() {
        return "ProcessSemaphore(" + availablePermits() + " free" + (isBounded() ? " of " + core.bound() : "") + ")";
    }
}
