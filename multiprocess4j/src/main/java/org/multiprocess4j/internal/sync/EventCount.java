package org.multiprocess4j.internal.sync;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * An event count on a futex word in shared memory, by which a platform thread sleeps until another process changes
 * some state, woken by that process itself with no helper thread in between (as two C processes wake each other).
 * Bits 31..1 count the changes, bit 0 says that someone may sleep on the word. A sleeper looks at the state, sets
 * the bit, looks again, and sleeps only while the word still holds what it set; a changer publishes its change,
 * then (after a full fence: the release of the lock it changed the state under) looks at the word, and only when
 * the bit is set adds 2, clears it and wakes every sleeper. So a change nobody waits for costs one read, not an
 * atomic operation or a system call, and a bit left set by a dead sleeper costs one extra wake. That read suffices:
 * a sleeper sets the bit with a full fence before its second look, so one whose bit the changer did not see yet
 * sees the change on that look. Used by a queue's put and take counts and
 * a semaphore's release count (see {@code docs/FORMAT.md}).
 */
public final class EventCount {
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final int SLEEPERS = 1;
    /** The longest single sleep: an interrupt, and a changer that does not count, are seen within it. */
    private static final long SLICE_NANOS = 2_000_000;
    /** Whether {@link #prepare} has started linking. */
    private static final AtomicBoolean PREPARED = new AtomicBoolean();

    private EventCount() {
    }

    /**
     * Sleeps on the word at {@code offset} of {@code segment} until {@code ready} holds or {@code deadline} passes
     * (returning either way: the caller looks at the state under its lock). Only for platform threads: a virtual
     * thread must not hold its carrier in the kernel.
     *
     * @throws InterruptedException when {@code interruptible} and the thread is interrupted
     */
    public static void sleepUntil(MemorySegment segment, long offset, BooleanSupplier ready, long deadline,
                                  boolean interruptible) throws InterruptedException {
        while (!ready.getAsBoolean()) { // looked at first: a bit set needlessly costs the changer a system call
            int seen = (int) INT.getAcquire(segment, offset);
            if ((seen & SLEEPERS) == 0 && !INT.compareAndSet(segment, offset, seen, seen | SLEEPERS)) {
                continue; // it moved: look again
            }
            long left = Deadlines.left(deadline);
            if (ready.getAsBoolean() || left <= 0) {
                return;
            }
            if (interruptible && Thread.interrupted()) {
                throw new InterruptedException();
            }
            Waiting.sleepHere(segment.address() + offset, seen | SLEEPERS, Math.min(left, SLICE_NANOS));
        }
    }

    /**
     * Links the native calls of sleeping and waking now, on a daemon thread (once per JVM): for a process that will
     * soon sleep on an event count or wake another, so that no thread of it links them on its way. Only those two:
     * what a contended lock links beside them (watching processes' exits) would cost a cold process as much again.
     */
    public static void prepare() {
        if (!PREPARED.getAndSet(true)) {
            Thread.ofPlatform().daemon().name("multiprocess4j-link").start(Waiting.PLATFORM::linkFutexCalls);
        }
    }

    /**
     * Counts a change, once it is published and a full fence has followed (a lock's release), waking the sleepers
     * when the word says there may be some.
     */
    public static void advance(MemorySegment segment, long offset) {
        if (((int) INT.getVolatile(segment, offset) & SLEEPERS) == 0) {
            return; // no sleeper announced: any that comes will see the change on its second look
        }
        int before = (int) INT.getAndAdd(segment, offset, 2);
        if ((before & SLEEPERS) != 0) {
            INT.getAndBitwiseAnd(segment, offset, ~SLEEPERS);
            Waiting.wake(segment.address() + offset, Integer.MAX_VALUE);
        }
    }
}
