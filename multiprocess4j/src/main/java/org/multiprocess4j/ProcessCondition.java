package org.multiprocess4j;

import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.sync.ConditionCore;

import java.time.Duration;
import java.util.Date;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.Condition;

/**
 * A {@link Condition} shared between processes, bound to a {@link SharedLock}: from {@link SharedLock#newCondition()}.
 * Python's {@code multiprocessing.Condition}, with Java's names: {@code wait(timeout)} is {@link #await(long, TimeUnit)},
 * {@code wait_for} is {@link #awaitFor(BooleanSupplier, Duration)}, {@code notify()} and {@code notify(n)} are
 * {@link #signal()} and {@link #signal(int)}, {@code notify_all()} is {@link #signalAll()}.
 *
 * <p>Guarantees: a signal wakes at least one thread that was waiting when it was sent, in any process; no signal
 * is lost between a waiter's release of the lock and its sleep. Spurious wake-ups can happen, as {@code Condition}
 * allows: wait in a loop on the state you need. A waiter killed while waiting, SIGKILL included, breaks nothing
 * for the others. {@code await} and {@code signal} require the current thread to hold the lock.
 */
public final class ProcessCondition implements Condition, SharedObject {
    /** The {@code n} from which {@link #signal(int)} wakes all: a wake-everyone {@code n} costs no more than that. */
    private static final int SIGNAL_ALL_FROM = 1024;
    private final SharedLock lock;
    private final SharedBlock block;
    private final ConditionCore core;

    private ProcessCondition(SharedLock lock, SharedBlock block, boolean init) {
        this.lock = lock;
        this.block = block;
        this.core = new ConditionCore(block.segment(), init);
    }

    static ProcessCondition create(SharedLock lock) {
        return new ProcessCondition(lock, SharedBlock.allocate(ConditionCore.SIZE, ConditionCore.ALIGNMENT,
                "1\nC\n" + lock.handle()), true);
    }

    /**
     * Attaches to the condition {@code handle} names (with its lock), in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name a condition
     * @throws IllegalStateException when the memory no longer exists
     */
    public static ProcessCondition attach(Handle handle) {
        return Events.attaching(handle, () -> attachUnrecorded(handle));
    }

    private static ProcessCondition attachUnrecorded(Handle handle) {
        HandleCodec.HandleData data = HandleCodec.decoded(handle);
        if (!data.signature().equals("C") || data.lock() == null || data.bytes() != ConditionCore.SIZE
                || data.view() != 0 || data.count() != 1 || data.stride() != 0) {
            throw new IllegalArgumentException("handle does not name a ProcessCondition: handle=" + handle);
        }
        if (data.block() % ConditionCore.ALIGNMENT != 0) {
            throw new IllegalArgumentException("handle's condition is not aligned: offset " + data.block()
                    + " is not a multiple of " + ConditionCore.ALIGNMENT + ", handle=" + handle);
        }
        SharedLock lock = SharedLock.attach((Handle) HandleCodec.handle(data.lock(), data.lockData()));
        SharedBlock block = null;
        try {
            block = SharedBlock.attach(data.arena(), data.block(), data.generation());
            if (block.segment().byteSize() != ConditionCore.SIZE) {
                throw new IllegalArgumentException("handle's block is not a condition's: it holds "
                        + block.segment().byteSize() + " bytes, a condition " + ConditionCore.SIZE + ", handle="
                        + handle);
            }
            return new ProcessCondition(lock, block, false);
        } catch (RuntimeException e) {
            if (block != null) {
                block.close();
            }
            lock.close();
            throw e;
        }
    }

    /** Whether the shared word says a JVM may be asleep on this condition: for tests of its healing. */
    boolean sleepersAnnounced() {
        return core.sleepersAnnounced();
    }

    /** The lock this condition is bound to. */
    public SharedLock lock() {
        return lock;
    }

    @Override
    public void await() throws InterruptedException {
        core.await(lock.core, Long.MAX_VALUE, true);
    }

    @Override
    public void awaitUninterruptibly() {
        try {
            core.await(lock.core, Long.MAX_VALUE, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        Events.TimedWait wait = Events.timedWait();
        long left = core.await(lock.core, Math.max(0, nanosTimeout), true);
        if (left <= 0) {
            wait.timedOut("ProcessCondition", this::handle);
        }
        return left;
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        return awaitNanos(unit.toNanos(time)) > 0;
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        long now = System.currentTimeMillis();
        long millis = deadline.getTime() < now ? 0 : deadline.getTime() - now; // no overflow at Long.MIN_VALUE
        return awaitNanos(TimeUnit.MILLISECONDS.toNanos(millis)) > 0;
    }

    /**
     * Waits until {@code predicate} holds, at most {@code timeout}: Python's {@code wait_for(predicate, timeout)}.
     * The predicate is evaluated holding the lock, at once and after each wake-up (spurious ones included), and its
     * last value is returned: false when the timeout passed first.
     *
     * @throws IllegalMonitorStateException when the current thread does not hold the lock
     * @throws InterruptedException when the thread is interrupted while waiting
     */
    public boolean awaitFor(BooleanSupplier predicate, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(predicate, "predicate");
        long nanos = Timeouts.nanos(Objects.requireNonNull(timeout, "timeout"));
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("awaitFor on a condition whose lock the current thread does "
                    + "not hold");
        }
        long start = System.nanoTime();
        boolean result = predicate.getAsBoolean();
        while (!result) {
            long left = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos - (System.nanoTime() - start);
            if (left <= 0) {
                break;
            }
            awaitNanos(left);
            result = predicate.getAsBoolean();
        }
        return result;
    }

    /** Waits as long as it takes until {@code predicate} holds: Python's {@code wait_for(predicate)}. */
    public void awaitFor(BooleanSupplier predicate) throws InterruptedException {
        awaitFor(predicate, Duration.ofNanos(Long.MAX_VALUE));
    }

    @Override
    public void signal() {
        core.signal(lock.core);
    }

    /**
     * Wakes {@code n} waiters, of any process, or all when fewer wait: Python's {@code notify(n)}. As {@code n}
     * calls of {@link #signal()} (each an atomic addition, and a wake-up call where a JVM sleeps on the condition),
     * made holding the lock; from 1,024 on, as {@link #signalAll()}, one call (waking more than
     * {@code n} is a spurious wake-up, which {@code Condition} allows). Zero wakes none.
     *
     * @throws IllegalArgumentException when {@code n} is negative
     * @throws IllegalMonitorStateException when the current thread does not hold the lock
     */
    public void signal(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative: n=" + n);
        }
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("signal on a condition whose lock the current thread does not "
                    + "hold");
        }
        if (n >= SIGNAL_ALL_FROM) {
            core.signalAll(lock.core);
            return;
        }
        for (int i = 0; i < n; i++) {
            core.signal(lock.core);
        }
    }

    @Override
    public void signalAll() {
        core.signalAll(lock.core);
    }

    @Override
    public Handle handle() {
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: a ProcessCondition closed in this process has no handle to "
                    + "give");
        }
        Handle lockHandle = lock.handle();
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData("C", block.arena(), block.offset(),
                block.generation(), 0, ConditionCore.SIZE, 1, 0, lockHandle.toString(),
                HandleCodec.decoded(lockHandle)));
    }

    /**
     * Ends this process's access to the condition (not to its lock).
     *
     * @throws IllegalStateException when threads of this process wait on this condition object
     */
    @Override
    public void close() {
        int waiters = core.localWaiters();
        if (waiters > 0 && block.isAlive()) {
            throw new IllegalStateException("cannot close a ProcessCondition while " + waiters + " thread(s) of this "
                    + "process wait on it: signal them, or interrupt them, first");
        }
        core.retire();
        block.close();
    }
}
