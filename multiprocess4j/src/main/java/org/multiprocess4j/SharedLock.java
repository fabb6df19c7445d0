package org.multiprocess4j;

import org.multiprocess4j.coordination.RobustLock;
import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.sync.LockCore;
import org.multiprocess4j.internal.sync.LockLayout;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A lock in shared memory that excludes threads of every process that attaches to it, virtual threads included:
 * either a {@link ProcessLock} (Python's {@code multiprocessing.Lock}) or a re-entrant {@link ProcessRLock}
 * (Python's {@code RLock}). It is a {@link java.util.concurrent.locks.Lock}, so it drops into existing Java code,
 * {@link #newCondition()} included.
 *
 * <p>Guarantees: mutual exclusion across threads and processes; acquiring and releasing publish every write made
 * under the lock to the next holder, in any process (they are full fences). Waiting costs no CPU: a short spin,
 * a few short futex sleeps (a platform thread's, at most 0.2 ms each), then the thread parks in Java while one
 * helper thread per lock and JVM sleeps in the kernel for all of this JVM's waiters; so an interrupt or a timeout
 * ends a wait within a millisecond, virtual threads never pin their carriers, and a thousand waiters cost one
 * sleeping thread. Not fair: a thread arriving as the lock is released may take it ahead of sleepers. An
 * uncontended acquire and release are two atomic instructions and make no system call.
 *
 * <p>Robustness: when a process dies holding the lock, SIGKILL included, the kernel tells its waiters (through a
 * process file descriptor, on Linux 5.3 and later; elsewhere they look every 50 ms) and one of them takes the
 * lock within milliseconds; that new holder is told: {@link #previousOwnerDied()} is true until it releases,
 * and {@link #hold()} reports it. The protected data may be half-updated, so repair it then. The owner is
 * identified by pid and process start time, so a reused pid does not fool the check. A thread that ends without
 * releasing, in a process that lives on, is not detected (as with {@code java.util.concurrent} locks).
 *
 * {@snippet :
 * ProcessLock lock = ProcessLock.create();
 * try (var held = lock.hold()) {
 *     if (held.previousOwnerDied()) {
 *         repair();                 // a process died inside this block
 *     }
 *     update();
 * }
 * }
 */
public abstract sealed class SharedLock implements RobustLock, SharedObject permits ProcessLock, ProcessRLock {
    private final SharedBlock block;
    final LockCore core;
    private final Held held = new Held(this);

    SharedLock(SharedBlock block, boolean reentrant, boolean init) {
        this.block = block;
        this.core = new LockCore(block.segment(), block.arena().arenaId(), block.offset(), block.generation(),
                reentrant, init, () -> encoded().toString());
    }

    /** A block for a new lock of {@code signature} ('L' or 'R'). */
    static SharedBlock allocate(char signature) {
        return SharedBlock.allocate(LockLayout.SIZE, LockLayout.ALIGNMENT, "1\n" + signature);
    }

    /**
     * Attaches to the lock {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name a lock
     * @throws IllegalStateException when the memory no longer exists
     */
    public static SharedLock attach(Handle handle) {
        return Events.attaching(handle, () -> attachUnrecorded(handle));
    }

    private static SharedLock attachUnrecorded(Handle handle) {
        HandleCodec.HandleData data = HandleCodec.decoded(handle);
        String sig = data.signature();
        if (!sig.equals("L") && !sig.equals("R") || data.bytes() != LockLayout.SIZE || data.view() != 0
                || data.count() != 1 || data.stride() != 0 || data.lock() != null) {
            throw new IllegalArgumentException("handle does not name a ProcessLock or ProcessRLock: handle=" + handle);
        }
        if (data.block() % LockLayout.ALIGNMENT != 0) {
            throw new IllegalArgumentException("handle's lock is not aligned: offset " + data.block()
                    + " is not a multiple of " + LockLayout.ALIGNMENT + ", handle=" + handle);
        }
        SharedBlock block = SharedBlock.attach(data.arena(), data.block(), data.generation());
        try {
            if (block.segment().byteSize() != LockLayout.SIZE) {
                throw new IllegalArgumentException("handle's block is not a lock's: size=" + block.segment().byteSize()
                        + ", handle=" + handle);
            }
            return sig.equals("L") ? new ProcessLock(block, false) : new ProcessRLock(block, false);
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
    }

    /** The pid of the process holding this lock, 0 when it is free: for tests that kill holders. */
    long ownerPid() {
        return core.ownerPid();
    }

    /** Acquires the lock, waiting as long as it takes (Python's {@code acquire()}). */
    @Override
    public final void lock() {
        if (!core.tryAcquire()) {
            try {
                core.acquire(Long.MAX_VALUE, false);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** Acquires the lock unless the thread is interrupted while waiting. */
    @Override
    public final void lockInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) { // as Lock says: an interrupt before the call ends it, the lock free or not
            throw new InterruptedException();
        }
        if (!core.tryAcquire()) {
            core.acquire(Long.MAX_VALUE, true);
        }
    }

    /**
     * Acquires the lock if it is free now, or held by a process that no longer runs (then taken over, and
     * {@link #previousOwnerDied()} says so): Python's {@code acquire(False)}, which would never recover it.
     */
    @Override
    public final boolean tryLock() {
        return core.tryAcquireOrRecover();
    }

    /**
     * Acquires the lock, waiting at most {@code time}; false when it timed out.
     *
     * @throws InterruptedException when the thread is interrupted before the call (the lock free or not) or while
     *                              it waits
     */
    @Override
    public final boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return core.tryAcquire() || core.acquire(unit.toNanos(time), true);
    }

    /** Acquires the lock, waiting as long as it takes: the same as {@link #lock()}. */
    public final void acquire() {
        lock();
    }

    /**
     * Acquires the lock, waiting at most {@code timeout} (Python's {@code acquire(timeout=...)}); an interrupt
     * while waiting ends the wait with false and keeps the thread's interrupt status.
     *
     * @return true when acquired
     */
    public final boolean acquire(Duration timeout) {
        long nanos = Timeouts.nanos(timeout);
        try {
            return core.tryAcquire() || core.acquire(nanos, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Releases the lock (Python's {@code release()}).
     *
     * @throws IllegalMonitorStateException when it is not held (or, for a {@link ProcessRLock}, not held by this
     *                                      thread)
     */
    @Override
    public final void unlock() {
        core.release();
    }

    /** Releases the lock: the same as {@link #unlock()}. */
    public final void release() {
        core.release();
    }

    /**
     * Acquires the lock and returns a token that releases it when closed: the Java form of Python's
     * {@code with lock:}.
     */
    @Override
    public final Held hold() {
        lock();
        return held;
    }

    /** Whether the current holder took the lock over from a process that died holding it (glibc's EOWNERDEAD). */
    @Override
    public final boolean previousOwnerDied() {
        return core.previousOwnerDied();
    }

    /** Whether the current thread holds this lock. */
    @Override
    public final boolean isHeldByCurrentThread() {
        return core.isHeldByCurrentThread();
    }

    /** Whether any thread of any process holds this lock now; a snapshot, for monitoring. */
    public final boolean isLocked() {
        return core.isLocked();
    }

    /**
     * A new process-shared condition bound to this lock, in shared memory of its own, with a handle. A waiter
     * killed while waiting breaks nothing for the others.
     */
    @Override
    public final ProcessCondition newCondition() {
        if (!block.isAlive()) {
            throw new IllegalStateException("a " + getClass().getSimpleName() + " closed in this process has no new "
                    + "condition: it cannot be used after close()");
        }
        return ProcessCondition.create(this);
    }

    @Override
    public final Handle handle() {
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: " + getClass().getSimpleName() + " " + encoded() + " was closed in this process: it has no "
                    + "handle to give");
        }
        core.share(); // a view attached in this JVM must find this view's holder and count
        return encoded();
    }

    /** The handle, closed or not: what messages about this lock name it by. */
    private Handle encoded() {
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData(this instanceof ProcessRLock ? "R" : "L",
                block.arena(), block.offset(), block.generation(), 0, LockLayout.SIZE, 1));
    }

    /**
     * Ends this process's access to the lock; in the creating process its memory is freed.
     *
     * @throws IllegalStateException when threads of this process wait for the lock, or on a condition bound to it
     *                               (they take the lock again before they return): they would otherwise wait on
     *                               memory that no longer exists
     */
    @Override
    public final void close() {
        int waiters = core.localWaiters() + core.conditionWaiters();
        if (waiters > 0 && block.isAlive()) {
            throw new IllegalStateException("cannot close a " + getClass().getSimpleName() + " while " + waiters
                    + " thread(s) of this process wait for it: let them acquire it, or interrupt them, first");
        }
        block.close();
    }

    /**
     * A held lock, released by {@link #close()}: {@code try (var held = lock.hold()) { ... }}. One token per lock
     * object serves every holder in turn, so holding allocates nothing; use it only inside the block that holds
     * the lock.
     */
    public static final class Held implements RobustLock.Hold {
        private final SharedLock lock;

        private Held(SharedLock lock) {
            this.lock = lock;
        }

        /** The lock held. */
        public SharedLock lock() {
            return lock;
        }

        /**
         * Whether the previous owner died holding the lock, so that the data it protects may need repair; true
         * until the lock is released.
         */
        @Override
        public boolean previousOwnerDied() {
            return lock.core.ownerDiedFlag();
        }

        /** Releases the lock. */
        @Override
        public void close() {
            lock.unlock();
        }
    }
}
