package org.multiprocess4j.internal.sync;

/** Deadlines on {@link System#nanoTime()} for timed waits, with {@code Long.MAX_VALUE} meaning none. */
public final class Deadlines {
    /**
     * How long an operation waits for a lock that guards a few words, whatever its own timeout: such locks are
     * held for microseconds, and a dead holder is taken over within milliseconds.
     */
    public static final long LOCK_GRACE_NANOS = 50_000_000;

    /**
     * The first slice of a wait on a condition that a dead process may have kept from being signalled (a signal
     * that went to a waiter which died, a change whose maker died before it signalled): the state is looked at
     * again after it. Each slice nobody ended doubles the next ({@link #nextSlice}), up to
     * {@link #MAX_SLICE_NANOS}: a long wait costs a few wake-ups a second, not fifty.
     */
    public static final long FIRST_SLICE_NANOS = 20_000_000;
    /** The longest slice: whatever a death kept from a waiter reaches it within this time, however long it waits. */
    public static final long MAX_SLICE_NANOS = 320_000_000;

    private Deadlines() {
    }

    /** The slice after {@code slice}: twice as long, up to {@link #MAX_SLICE_NANOS}. */
    public static long nextSlice(long slice) {
        return Math.min(2 * slice, MAX_SLICE_NANOS);
    }

    /** The deadline {@code timeoutNanos} from now (negative: now), or {@code Long.MAX_VALUE} when beyond reach. */
    public static long after(long timeoutNanos) {
        long now = System.nanoTime();
        return timeoutNanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + Math.max(0, timeoutNanos);
    }

    /** The nanoseconds left until {@code deadline}: {@code Long.MAX_VALUE} for none, 0 or less once passed. */
    public static long left(long deadline) {
        return deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
    }
}
