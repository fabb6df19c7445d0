package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;

/**
 * The lock an accessor takes around a compound read or write of a synchronized object: none when there is none, or
 * when the calling thread holds it already (a compound update inside {@code getLock().hold()}), so that a plain,
 * non-reentrant {@code ProcessLock} works as an {@code RLock} does.
 */
final class Locks {
    private Locks() {
    }

    /** Takes {@code lock} unless it is null or held by this thread; whether it was taken here. */
    static boolean take(SharedLock lock) {
        if (lock == null || lock.isHeldByCurrentThread()) {
            return false;
        }
        lock.lock();
        return true;
    }

    /** Releases {@code lock} when {@link #take} took it. */
    static void release(SharedLock lock, boolean taken) {
        if (taken) {
            lock.unlock();
        }
    }
}
