package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.Platform;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sleeping in the kernel on behalf of application threads. No application thread, platform or virtual, ever
 * blocks in a futex call: it parks in Java, where an interrupt reaches it at once and a virtual thread frees its
 * carrier. The kernel sleeps are made by helper threads of this class, at most one at a time per futex word and
 * JVM (see {@link LockCore} and {@link ConditionCore}), so that a thousand waiting threads cost one sleeping helper.
 *
 * <p>At JVM exit the helpers still asleep are woken and not put to sleep again: the JVM waits up to 300 ms at exit
 * for threads blocked in native calls.
 */
final class Waiting {
    static final Platform PLATFORM = Platform.current();
    /**
     * How long a helper sleeps at most when the kernel tells of owners' deaths: a safety net only, a wake-up a second
     * per contended word.
     */
    static final long SAFETY_NANOS = 1_000_000_000L;
    /** How long a helper sleeps at most where owners' deaths are learnt by looking: the recovery delay. */
    static final long LIVENESS_PERIOD_NANOS = 50_000_000L;

    /** Words a helper sleeps on now, with how many helpers: woken at exit. */
    private static final Map<Long, Integer> ASLEEP = new ConcurrentHashMap<>();
    private static volatile boolean closing;

    private Waiting() {
    }

    /** Helpers, created on first use. */
    private static final class Helpers {
        static final ExecutorService POOL = Executors.newCachedThreadPool(
                Thread.ofPlatform().daemon().name("multiprocess4j-futex-", 0).factory());
    }

    /**
     * Links the native calls of waiting on a daemon thread, once per JVM, as soon as a lock is contended or a
     * condition awaited here (not before: most children never wait, and linking costs milliseconds of CPU), so
     * that no thread links them while holding a lock; and registers the hook that wakes helpers at exit.
     */
    static void prepare() {
        if (!PREPARED.getAndSet(true)) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(Waiting::close, "multiprocess4j-futex-close"));
            } catch (IllegalStateException exiting) {
                closing = true; // the JVM is exiting already: nothing may sleep in the kernel any more
                return;
            }
            Thread.ofPlatform().daemon().name("multiprocess4j-link").start(PLATFORM::linkWaiting);
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean PREPARED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** The longest a helper sleeps before it looks again, on its own. */
    static long maxSleepNanos() {
        return DeathWatch.available() ? SAFETY_NANOS : LIVENESS_PERIOD_NANOS;
    }

    /** Runs {@code sleep} on a helper; false when the JVM is exiting and nothing more may sleep. */
    static boolean onHelper(Runnable sleep) {
        if (closing) {
            return false;
        }
        Helpers.POOL.execute(sleep);
        return true;
    }

    /**
     * Sleeps, on a helper, while the word at {@code address} holds {@code expected}, at most {@code nanos}.
     *
     * @return one of {@link Platform#WOKEN}, {@link Platform#VALUE_CHANGED}, {@link Platform#TIMED_OUT},
     *         {@link Platform#INTERRUPTED}
     */
    static int sleep(long address, int expected, long nanos) {
        ASLEEP.merge(address, 1, Integer::sum);
        try {
            return closing ? Platform.INTERRUPTED : PLATFORM.futexWait(address, expected, nanos);
        } finally {
            ASLEEP.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
        }
    }

    /**
     * Sleeps in the calling thread, which must be a platform thread, while the word at {@code address} holds
     * {@code expected}, at most {@code nanos}: only for sleeps short enough that an interrupt may wait for them.
     */
    static int sleepHere(long address, int expected, long nanos) {
        return closing ? Platform.INTERRUPTED : PLATFORM.futexWait(address, expected, nanos);
    }

    static int wake(long address, int count) {
        return PLATFORM.futexWake(address, count);
    }

    /** Whether the JVM is exiting: waiters then poll instead of asking for a kernel sleep. */
    static boolean closing() {
        return closing;
    }

    /** Whether DeathWatch's thread runs (so that exiting does not initialize DeathWatch just to close it). */
    static volatile boolean watching;

    private static void close() {
        closing = true;
        if (watching) {
            DeathWatch.close();
        }
        for (long address : ASLEEP.keySet()) {
            wake(address, Integer.MAX_VALUE); // other processes' sleepers wake too, look, and sleep again
        }
    }
}
