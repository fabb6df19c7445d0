package org.multiprocess4j;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.sync.SyncLayout;

import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeoutException;

/**
 * A barrier for a fixed number of parties in any processes: Python's {@code multiprocessing.Barrier}, with
 * {@code java.util.concurrent.CyclicBarrier}'s names and exceptions. Python's names: {@code wait(timeout)} is
 * {@link #await(Duration)} (its index is {@code parties - 1 - }Java's arrival index), {@code abort()} is
 * {@link #abort()}, {@code reset()}, {@code parties}, {@code n_waiting} and {@code broken} are {@link #reset()},
 * {@link #getParties()}, {@link #getNumberWaiting()} and {@link #isBroken()}; {@code BrokenBarrierError} is
 * {@link BrokenBarrierException}. It is cyclic: once all parties have arrived it is ready for the next round.
 * Python's {@code action} and default {@code timeout} (and {@code CyclicBarrier}'s action) have no place here, as a
 * barrier attached by its handle in another process could not bring them: pass the timeout to each
 * {@link #await(Duration)}, and let the party whose {@code await} returns 0 (the last to arrive) run the action,
 * after the others are released rather than before.
 *
 * <p>Deaths are never a silent hang: a party that dies while it waits breaks the barrier for the others (for those
 * waiting with it, within about 20 ms early in their wait and within 320 ms later on, as a long wait looks less often;
 * with none, the next party to arrive, {@link #isBroken()} or {@link #getNumberWaiting()} finds it so, though the last
 * arrival passes a party that had waited less than 20 ms, as if it had died just after the round), as
 * {@code CyclicBarrier} breaks when a waiting thread is interrupted, and so does a party that dies inside the barrier's
 * own bookkeeping. A timeout or an interrupt of one party breaks it too, as in {@code CyclicBarrier}: an interrupt that
 * comes before the party arrives included (an interrupted thread that would be the last to arrive breaks the round
 * rather than completing it). A party that times out or is interrupted while a stopped or starved process holds the
 * barrier's bookkeeping lock gets its exception on time (after the timeout, and a 50 ms grace for the lock), and the
 * round breaks as soon as the lock is free. A broken barrier stays broken until {@link #reset()}. (A party that dies
 * before it arrives cannot be told from a slow one: give {@code await} a timeout where that matters.) The barrier
 * watches the processes of its first 64 waiting parties; a barrier of more parties works as well, but the death of a
 * waiting party beyond those is seen only through a timeout.
 */
public final class ProcessBarrier extends SharedSync {

    private ProcessBarrier(SharedBlock block, int parties, boolean init) {
        super(block, 'B', SyncLayout.KIND_BARRIER, 0, parties, init);
    }

    /**
     * A barrier for {@code parties} parties.
     *
     * @throws IllegalArgumentException when {@code parties} is less than 1
     */
    public static ProcessBarrier create(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("parties must be >= 1: parties=" + parties);
        }
        return new ProcessBarrier(allocate('B'), parties, true);
    }

    /**
     * Attaches to the barrier {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name a barrier
     */
    public static ProcessBarrier attach(Handle handle) {
        return Events.attaching(handle, () -> new ProcessBarrier(attachBlock(handle, 'B', "ProcessBarrier"), 0, false));
    }

    /**
     * Waits until all parties have arrived; returns this party's arrival index: {@code getParties() - 1} for the
     * first, 0 for the last.
     *
     * @throws BrokenBarrierException when the barrier is or becomes broken
     */
    public int await() throws InterruptedException, BrokenBarrierException {
        try {
            return (int) core.awaitBarrier(Long.MAX_VALUE);
        } catch (TimeoutException e) {
            throw new IllegalStateException("a wait without a timeout timed out", e);
        }
    }

    /**
     * As {@link #await()}, at most {@code timeout}; a timeout breaks the barrier.
     *
     * @throws TimeoutException when not all parties arrived in time
     */
    public int await(Duration timeout) throws InterruptedException, BrokenBarrierException, TimeoutException {
        Events.TimedWait wait = Events.timedWait();
        try {
            return (int) core.awaitBarrier(Timeouts.nanos(timeout));
        } catch (TimeoutException e) {
            wait.timedOut("ProcessBarrier", this::handle);
            throw e;
        }
    }

    /** The number of parties. */
    public int getParties() {
        return (int) core.bound();
    }

    /** The parties waiting now. */
    public int getNumberWaiting() {
        return (int) core.barrierWaiting();
    }

    /** Whether the barrier is broken. */
    public boolean isBroken() {
        return core.isBroken();
    }

    /** Breaks the barrier for those waiting and makes it ready for a new round. */
    public void reset() {
        core.resetBarrier();
    }

    /** Breaks the barrier until it is reset (Python's {@code abort()}). */
    public void abort() {
        core.abortBarrier();
    }

    @Override
    public String toString() {
        return "ProcessBarrier(" + getNumberWaiting() + " of " + getParties() + " waiting" + (isBroken() ? ", broken"
                : "") + ")";
    }
}
