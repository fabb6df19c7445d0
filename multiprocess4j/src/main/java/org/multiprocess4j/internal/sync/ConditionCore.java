package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.Platform;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A process-shared condition variable on a futex sequence word.
 *
 * <pre>
 *   0                         4              8          16
 *   +-------------------------+--------------+----------+----------+
 *   | sequence (int)          | broadcasts   | kind = 3 | reserved |
 *   |  31..1: signal count    | (int)        | (int)    |          |
 *   |  0: SLEEPERS            |              |          |          |
 *   +-------------------------+--------------+----------+----------+
 * </pre>
 */
/* Implementation overview
 *
 * Shared state. Every signal adds 2 to the sequence; signalAll first adds 1 to broadcasts. Bit 0, SLEEPERS, says
 * that some JVM's helper may sleep on the word: a helper sets it (CAS) before it sleeps, with the bit included in
 * the value it expects. A signaller wakes only when the bit was set: signal() wakes one sleeper; when that finds
 * nobody asleep (the bit was left by a helper of a process that died, or set by one not yet asleep), it clears the
 * bit and wakes all, so that a helper that slipped into its sleep in between wakes, finds the bit clear and sets it
 * again. signalAll() clears the bit, then wakes all. So the bit heals after a dead process with one extra pair of
 * calls, and a condition nobody waits on costs a signaller no system call.
 *
 * In each JVM. Waiters queue (FIFO), each with the sequence and broadcasts count it read under the lock, and park
 * in Java: interrupts and timeouts act at once, virtual threads free their carriers. One helper per condition view
 * and JVM (the dispatcher) sleeps on the word for all of them and hands out what it receives:
 *   woken                        release every waiter whose broadcasts count is older (a signalAll came); if none,
 *                                the oldest waiter that read an older sequence (a signal came); if none either and
 *                                the sequence moved during the sleep, pass the wake-up on
 *   the word had changed before it slept (a signal it may have missed)
 *                                release every waiter that read an older sequence (spurious wake-ups, as allowed)
 * signalAll adds to broadcasts before the sequence, so whoever sees its sequence change sees its count too. While
 * the JVM exits (shutdown hooks may still signal), dispatchers no longer sleep in the kernel but look at the word
 * every millisecond, and so does a waiter that has no dispatcher.
 * A signal() wakes one helper of one JVM, which releases one waiter: one signal, one waiter, across processes.
 * Its sleep is bounded by Waiting.SAFETY_NANOS, after which it ends if nobody waits any more. A waiter released
 * and interrupted or timed out at the same moment keeps the release (the state CAS decides), so no signal is lost.
 */
public final class ConditionCore {
    public static final long SIZE = 16;
    public static final long ALIGNMENT = 8;
    private static final long SEQUENCE = 0;
    private static final long BROADCASTS = 4;
    public static final long KIND = 8;
    public static final int KIND_CONDITION = 3;
    private static final int SLEEPERS = 1;
    private static final int STEP = 2;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private static final int WAITING = 0;
    private static final int RELEASED = 1;
    private static final int CANCELLED = 2;

    private final MemorySegment segment;
    private final long sequenceAddress;

    /** This JVM's waiters, guarded by {@link #queueLock}. */
    private final ArrayDeque<Node> queue = new ArrayDeque<>();
    private final ReentrantLock queueLock = new ReentrantLock();
    /** Waiters in the queue still WAITING; guarded by {@link #queueLock}. */
    private int waiting;
    /** Whether the dispatcher runs; guarded by {@link #queueLock}. */
    private boolean dispatching;
    /** Whether this view is being closed (see {@link #retire}): its dispatcher ends at its next wake-up. */
    private volatile boolean retired;

    /** One waiting thread. */
    private static final class Node {
        final Thread thread = Thread.currentThread();
        final int sequence;
        /** The broadcasts count when the waiter began: a different count releases it. */
        final int broadcasts;
        volatile int state = WAITING;

        Node(int sequence, int broadcasts) {
            this.sequence = sequence;
            this.broadcasts = broadcasts;
        }

        boolean release() {
            return STATE.compareAndSet(this, WAITING, RELEASED);
        }

        boolean cancel() {
            return STATE.compareAndSet(this, WAITING, CANCELLED);
        }

        private static final VarHandle STATE;

        static {
            try {
                STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Node.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    public ConditionCore(MemorySegment segment, boolean init) {
        this.segment = segment;
        this.sequenceAddress = segment.address() + SEQUENCE;
        if (init) {
            INT.setRelease(segment, KIND, KIND_CONDITION); // publishes the zeroed condition
        } else if ((int) INT.getAcquire(segment, KIND) != KIND_CONDITION) { // pairs with the release above
            throw new IllegalArgumentException("handle's memory does not hold a condition: kind expected="
                    + KIND_CONDITION + " found=" + INT.getAcquire(segment, KIND));
        }
    }

    /**
     * Releases {@code lock} fully, waits for a signal or {@code nanos} ({@code Long.MAX_VALUE}: for ever), and
     * re-acquires it.
     *
     * @return the nanoseconds left of {@code nanos} (0 or less: timed out)
     */
    public long await(LockCore lock, long nanos, boolean interruptible) throws InterruptedException {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("await on a condition whose lock the current thread does not hold");
        }
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        long start = System.nanoTime();
        // Read under the lock: a signal, made under the lock too, comes after it and changes it.
        int broadcasts = (int) INT.getVolatile(segment, BROADCASTS); // pairs with signalAll's add
        Node node = new Node((int) INT.getVolatile(segment, SEQUENCE) & ~SLEEPERS, broadcasts); // and signal's
        enqueue(node);
        lock.enterConditionWait(); // it will take the lock again: a close of the lock must wait for it
        int holds = lock.releaseAll();
        boolean interrupted = false;
        boolean cancelled = false;
        try {
            while (node.state == WAITING) {
                long left = nanos == Long.MAX_VALUE ? Long.MAX_VALUE : nanos - (System.nanoTime() - start);
                if (left <= 0) {
                    cancelled = cancel(node);
                    break;
                }
                if (Waiting.closing()) {
                    // The JVM is exiting and dispatchers no longer sleep: look for a change every millisecond.
                    if (((int) INT.getVolatile(segment, SEQUENCE) & ~SLEEPERS) != node.sequence && node.release()) {
                        released(node);
                        break;
                    }
                    LockSupport.parkNanos(this, Math.min(left, 1_000_000L));
                } else if (left == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible) {
                        cancelled = cancel(node);
                        break;
                    }
                }
            }
        } finally {
            lock.reacquire(holds);
            lock.leaveConditionWait();
        }
        if (interrupted) {
            if (interruptible && cancelled) {
                throw new InterruptedException();
            }
            Thread.currentThread().interrupt(); // released as it was interrupted: the signal is kept
        }
        if (nanos == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        long left = nanos - (System.nanoTime() - start);
        return cancelled ? Math.min(0, left) : Math.max(1, left); // released: not a timeout, however late
    }

    private void enqueue(Node node) {
        Waiting.prepare(); // before any signal needs a wake call: a signaller holds the lock while it makes one
        queueLock.lock();
        try {
            queue.addLast(node);
            waiting++;
            if (!dispatching) {
                dispatching = Waiting.onHelper(this::dispatch);
            }
        } catch (RuntimeException | Error e) {
            queue.removeLast();
            waiting--;
            throw e;
        } finally {
            queueLock.unlock();
        }
    }

    /**
     * For a view about to be closed, with no waiter left in this JVM: its dispatcher, still asleep for waiters
     * that timed out, wakes now and ends, rather than keep its thread up to {@link Waiting#SAFETY_NANOS} longer.
     * The wake-up goes to every sleeper on the word; the other views' and processes' find nothing changed and sleep
     * again.
     */
    public void retire() {
        boolean asleep;
        queueLock.lock();
        try {
            retired = true;
            asleep = dispatching;
        } finally {
            queueLock.unlock();
        }
        if (asleep) {
            Waiting.wake(sequenceAddress, Integer.MAX_VALUE);
        }
    }

    /** Counts out a node that its own waiter released. */
    private void released(Node node) {
        queueLock.lock();
        try {
            waiting--; // the node leaves the queue when it reaches its head
        } finally {
            queueLock.unlock();
        }
    }

    /** How many threads of this JVM wait on this view of the condition: a snapshot. */
    public int localWaiters() {
        queueLock.lock();
        try {
            return waiting;
        } finally {
            queueLock.unlock();
        }
    }

    /** True when the node was still waiting and is now cancelled; false when a release came first. */
    private boolean cancel(Node node) {
        if (!node.cancel()) {
            return false;
        }
        queueLock.lock();
        try {
            waiting--; // the node leaves the queue when it reaches its head
        } finally {
            queueLock.unlock();
        }
        return true;
    }

    /** The dispatcher: sleeps on the word for this JVM's waiters while there are any; see the overview. */
    private void dispatch() {
        boolean served = false;
        try {
            serve(); // returns only after it cleared 'dispatching' with the queue empty, under queueLock
            served = true;
        } catch (IllegalStateException e) {
            if (segment.scope().isAlive()) {
                throw e;
            } // else this view was closed as the helper looked: nobody in this JVM waits on it (see serve)
        } finally {
            if (!served) {
                // An exception: let every waiter go (a spurious wake-up, as allowed) rather than leave them with
                // nobody sleeping for them; one that waits again starts another dispatcher.
                stopDispatching();
            }
        }
    }

    /** Ends this dispatcher, letting every waiter of this JVM go (a spurious wake-up, as allowed). */
    private void stopDispatching() {
        queueLock.lock();
        try {
            dispatching = false;
        } finally {
            queueLock.unlock();
        }
        releaseOldest(Integer.MAX_VALUE, node -> true);
    }

    private void serve() {
        // The sequence up to which this JVM's waiters have been served. Odd, no sequence is: the first look releases
        // the waiters that a signal passed while no dispatcher ran.
        int base = SLEEPERS;
        while (true) {
            queueLock.lock();
            try {
                if (waiting == 0) {
                    // In the same critical section as the check: a waiter that enqueues after it finds no
                    // dispatcher and starts one (were the flag cleared later, it could see 'dispatching' still
                    // set, start none, and be left with nobody asleep on the word for it).
                    dispatching = false;
                    return;
                }
            } finally {
                queueLock.unlock();
            }
            int word = (int) INT.getVolatile(segment, SEQUENCE); // pairs with the signallers' adds
            int current = word & ~SLEEPERS;
            if (current != base) {
                // Changes this JVM may not have been woken for. Read after the sequence, the broadcasts count
                // includes every signalAll whose sequence change was seen (it adds to broadcasts first).
                releaseBroadcast((int) INT.getVolatile(segment, BROADCASTS));
                releaseOlderThan(current, Integer.MAX_VALUE);
                base = current;
                continue;
            }
            if ((word & SLEEPERS) == 0) {
                if (!INT.compareAndSet(segment, SEQUENCE, word, word | SLEEPERS)) { // announces a sleeper
                    continue;
                }
                word |= SLEEPERS;
            }
            if (Waiting.closing()) {
                LockSupport.parkNanos(1_000_000L); // the JVM is exiting: no more kernel sleeps, look every ms
                continue;
            }
            int result = Waiting.sleep(sequenceAddress, word, Waiting.SAFETY_NANOS);
            if (retired || !segment.scope().isAlive()) {
                // This view is closed, or being closed, while its helper slept (its last waiter had timed out): a
                // wake-up other than the closer's was meant for another view's waiter, in this process or another,
                // so hand it on (a spurious one at worst) and end.
                if (result == Platform.WOKEN) {
                    Waiting.wake(sequenceAddress, 1);
                }
                stopDispatching();
                return;
            }
            if (result == Platform.WOKEN) {
                current = (int) INT.getVolatile(segment, SEQUENCE) & ~SLEEPERS;
                int broadcasts = (int) INT.getVolatile(segment, BROADCASTS); // after the sequence: see above
                if (releaseBroadcast(broadcasts) == 0 && releaseOlderThan(current, 1) == 0
                        && current != (word & ~SLEEPERS)) {
                    // A signal's wake-up meant for a waiter that is gone: hand it on. (With the sequence unchanged
                    // since this sleep began, it is an older one handed on already, which no sleeper can use.)
                    Waiting.wake(sequenceAddress, 1);
                }
                // One signal served; more since then are served as changes this JVM may have missed. A wake-up
                // with the sequence unchanged (a heal's or a handed-on wake-up) served none: a signal after it must
                // still be seen as a change.
                base = current == (word & ~SLEEPERS) ? current : (word & ~SLEEPERS) + STEP;
            }
        }
    }

    /** Releases every waiter that began before the latest signalAll ({@code broadcasts} is the count now). */
    private int releaseBroadcast(int broadcasts) {
        return releaseOldest(Integer.MAX_VALUE, node -> node.broadcasts != broadcasts);
    }

    /** Releases at most {@code count} of the oldest waiters that read a sequence other than {@code current}. */
    private int releaseOlderThan(int current, int count) {
        return releaseOldest(count, node -> node.sequence != current);
    }

    /**
     * Releases at most {@code count} waiters from the head of the queue while {@code began} holds for them: the
     * queue is in the order the waiters read the shared words, so those it holds for come first.
     */
    private int releaseOldest(int count, java.util.function.Predicate<Node> began) {
        int released = 0;
        queueLock.lock();
        try {
            while (released < count && !queue.isEmpty()) {
                Node head = queue.peekFirst();
                if (head.state == CANCELLED) {
                    queue.pollFirst();
                    continue;
                }
                if (!began.test(head)) {
                    break; // it and all behind it came after
                }
                queue.pollFirst();
                if (head.release()) {
                    waiting--;
                    released++;
                    LockSupport.unpark(head.thread);
                }
            }
        } finally {
            queueLock.unlock();
        }
        return released;
    }

    /** Wakes one waiter (or, rarely, more), of any process. */
    public void signal(LockCore lock) {
        checkHeld(lock);
        int old = (int) INT.getAndAdd(segment, SEQUENCE, STEP); // a helper about to sleep sees the change
        if ((old & SLEEPERS) != 0 && Waiting.wake(sequenceAddress, 1) == 0) {
            heal();
        }
    }

    /** Wakes every waiter, of any process. */
    public void signalAll(LockCore lock) {
        checkHeld(lock);
        INT.getAndAdd(segment, BROADCASTS, 1); // read by the woken helpers: before the sequence changes
        int old = (int) INT.getAndAdd(segment, SEQUENCE, STEP);
        if ((old & SLEEPERS) != 0) {
            heal();
        }
    }

    /** Clears SLEEPERS and wakes every sleeper: those that still wait set it again. */
    private void heal() {
        INT.getAndBitwiseAnd(segment, SEQUENCE, ~SLEEPERS); // before the wake: a helper woken sees it clear
        Waiting.wake(sequenceAddress, Integer.MAX_VALUE);
    }

    /** Whether the SLEEPERS bit is set: some JVM may sleep on the word (what a signaller looks at). */
    public boolean sleepersAnnounced() {
        return ((int) INT.getVolatile(segment, SEQUENCE) & SLEEPERS) != 0; // a snapshot
    }

    private static void checkHeld(LockCore lock) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalMonitorStateException("signal on a condition whose lock the current thread does not "
                    + "hold");
        }
    }
}
