package org.multiprocess4j;

import org.multiprocess4j.internal.memory.SharedBlock;

/**
 * A non-re-entrant process-shared lock: Python's {@code multiprocessing.Lock}. A thread that acquires it twice
 * waits for itself (with a timeout, the second acquire returns false). As in Python, any thread of any process
 * may release it while it is held; releasing it when it is free throws {@link IllegalMonitorStateException}.
 * A release by another thread of this process ends the holder's hold at once ({@link #isHeldByCurrentThread()}
 * turns false, and the accessors of objects it guards take it again); a release by another process is not seen
 * by the holder's process, whose thread goes on as if it held the lock until it releases it.
 * See {@link SharedLock} for the guarantees and for what happens when a holder dies.
 */
public final class ProcessLock extends SharedLock {

    ProcessLock(SharedBlock block, boolean init) {
        super(block, false, init);
    }

    /** A new lock in shared memory, free. */
    public static ProcessLock create() {
        SharedBlock block = allocate('L');
        return new ProcessLock(block, true);
    }

    @Override
    public String toString() {
        return "ProcessLock[" + (isLocked() ? "locked" : "unlocked") + "]";
    }
}
