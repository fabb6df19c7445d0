package org.multiprocess4j.coordination;

import java.util.concurrent.locks.Lock;

/**
 * A lock shared by processes that recovers when a holder dies, and tells the next holder: what
 * {@code ProcessLock}/{@code ProcessRLock} (shared memory: a holder's process ended) and {@code ClusterLock}
 * (ZooKeeper: a holder's session ended) have in common.
 *
 * <p>Whether it is re-entrant, fair or has conditions depends on the implementation and is documented there.
 */
public interface RobustLock extends Lock {

    /**
     * Acquires the lock and returns a token that releases it when closed: the Java form of Python's
     * {@code with lock:}.
     */
    Hold hold();

    /** Whether the current holder took the lock over from a holder that died holding it. */
    boolean previousOwnerDied();

    /** Whether the current thread holds this lock. */
    boolean isHeldByCurrentThread();

    /** A held lock, released by {@link #close()}. */
    interface Hold extends AutoCloseable {
        /** Whether the previous holder died holding the lock, so that the data it protects may need repair. */
        boolean previousOwnerDied();

        /** Releases the lock. */
        @Override
        void close();
    }
}
