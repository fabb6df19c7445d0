package org.multiprocess4j;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.sync.SyncLayout;

import java.time.Duration;

/**
 * A flag that processes wait for: Python's {@code multiprocessing.Event}, in shared memory. {@link #set()} wakes
 * every waiter, in every process; {@link #clear()} lowers the flag; {@link #await(Duration)} waits until it is
 * raised. Python's names: {@code set}, {@code clear}, {@code is_set}, {@code wait(timeout)}. As there, a waiter
 * returns the flag as it finds it when woken: a {@code set()} that a {@code clear()} follows at once still wakes
 * every waiter, and {@code await(Duration)} then returns false before its timeout.
 *
 * {@snippet :
 * ProcessEvent ready = ProcessEvent.create();
 * new ChildProcess(Worker::run, ready).start();   // the child calls ready.set() when it is ready
 * if (!ready.await(Duration.ofSeconds(5))) { ... }
 * }
 *
 * <p>Deaths: a process killed while setting or clearing the flag leaves it either set or not (the block's robust
 * lock is taken over); a waiting process that dies leaves nothing behind. Waiting parks the thread (virtual threads
 * without pinning) and ends within a millisecond of an interrupt.
 */
public final class ProcessEvent extends SharedSync {

    private ProcessEvent(org.multiprocess4j.internal.memory.SharedBlock block, boolean init) {
        super(block, 'E', SyncLayout.KIND_EVENT, 0, -1, init);
    }

    /** A new event, not set. */
    public static ProcessEvent create() {
        return new ProcessEvent(allocate('E'), true);
    }

    /**
     * Attaches to the event {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name an event
     */
    public static ProcessEvent attach(Handle handle) {
        return Events.attaching(handle, () -> new ProcessEvent(attachBlock(handle, 'E', "ProcessEvent"), false));
    }

    /** Raises the flag and wakes every waiter. */
    public void set() {
        core.setFlag(true);
    }

    /** Lowers the flag. */
    public void clear() {
        core.setFlag(false);
    }

    /** Whether the flag is raised. */
    public boolean isSet() {
        return core.value() != 0;
    }

    /** Waits until the flag is raised (or raised and lowered again: see the class comment). */
    public void await() throws InterruptedException {
        core.awaitFlag(Long.MAX_VALUE, true);
    }

    /**
     * Waits at most {@code timeout} until the flag is raised; the flag then (false: timed out, or woken by a
     * {@code set()} that a {@code clear()} followed).
     */
    public boolean await(Duration timeout) throws InterruptedException {
        Events.TimedWait wait = Events.timedWait();
        long nanos = Timeouts.nanos(timeout);
        long start = System.nanoTime();
        boolean set = core.awaitFlag(nanos, true);
        if (!set && System.nanoTime() - start >= nanos) {
            wait.timedOut("ProcessEvent", this::handle);
        }
        return set;
    }

    @Override
    public String toString() {
        return "ProcessEvent(" + (isSet() ? "set" : "clear") + ")";
    }
}
