package org.multiprocess4j.internal.sync;

/** Deadlines on {@link System#nanoTime()} for timed waits, with {@code Long.MAX_VALUE} meaning none. */
public final class Deadlines {
    /**
     * How long an operation waits for a lock that guards a few words, whatever its own timeout: such locks are
     * held for microseconds, and a dead holder is taken over within milliseconds.
     */
    public static final long LOCK_GRACE_NANOS = 50_000_000;

    private Deadlines() {
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
