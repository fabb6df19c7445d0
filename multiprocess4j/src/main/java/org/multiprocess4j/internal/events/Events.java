package org.multiprocess4j.internal.events;

import java.util.function.Supplier;

/**
 * Fires the library's events. Each method costs a few instructions when no recording enables its event; none is
 * called on a fast path (an uncontended lock never comes here). Until the JVM's flight recorder has started, no
 * event class is even loaded: the first one would cost a JVM that never records about 100 ms.
 */
public final class Events {
    private Events() {
    }

    /** Whether the flight recorder has started in this JVM: before that, no recording can want an event. */
    public static boolean on() {
        return jdk.jfr.FlightRecorder.isInitialized();
    }

    private static boolean off() {
        return !on();
    }

    /** A lock's identity in events and logs: its arena's id and its offset, as its handle has them. */
    public static String lock(long arenaId, long offset) {
        return Long.toHexString(arenaId) + "+" + offset;
    }

    /** The handle {@code handle} gives, or why there is none (a lock closed meanwhile). */
    public static String handleOrWhy(Supplier<String> handle) {
        try {
            return handle.get();
        } catch (RuntimeException e) {
            return "(no handle: " + e.getMessage() + ")";
        }
    }

    /** A wait for a lock, whose object's handle {@code handle} gives; {@link Wait#end} it. */
    public static Wait lockWait(long arenaId, long offset, long ownerPid, Supplier<String> handle) {
        if (off()) {
            return Wait.NONE;
        }
        LockContendedEvent event = new LockContendedEvent();
        if (!event.isEnabled()) {
            return Wait.NONE;
        }
        event.begin();
        return new Wait(event, arenaId, offset, ownerPid, handle);
    }

    /** A lock wait under way. */
    public static final class Wait {
        static final Wait NONE = new Wait(null, 0, 0, 0, null);
        private final LockContendedEvent event;
        private final long arenaId;
        private final long offset;
        private final long ownerPid;
        private final Supplier<String> handle;

        private Wait(LockContendedEvent event, long arenaId, long offset, long ownerPid, Supplier<String> handle) {
            this.event = event;
            this.arenaId = arenaId;
            this.offset = offset;
            this.ownerPid = ownerPid;
            this.handle = handle;
        }

        /** Ends the wait: recorded when it lasted the threshold the recording sets. */
        public void end(boolean acquired) {
            if (event == null) {
                return;
            }
            event.end();
            if (event.shouldCommit()) {
                event.lock = lock(arenaId, offset);
                event.handle = handleOrWhy(handle);
                event.ownerPid = ownerPid;
                event.acquired = acquired;
                event.commit();
            }
        }
    }

    /** A lock was taken over from its dead owner. */
    public static void lockOwnerDied(long arenaId, long offset, long deadPid, long newOwnerPid,
                                     Supplier<String> handle) {
        if (off()) {
            return;
        }
        LockOwnerDiedEvent event = new LockOwnerDiedEvent();
        if (event.shouldCommit()) {
            event.lock = lock(arenaId, offset);
            event.handle = handleOrWhy(handle);
            event.deadPid = deadPid;
            event.newOwnerPid = newOwnerPid;
            event.commit();
        }
    }

    /** A wait with a timeout, on a condition, event, semaphore or barrier; {@link TimedWait#timedOut} it. */
    public static TimedWait timedWait() {
        if (off()) {
            return TimedWait.NONE;
        }
        ConditionTimedOutEvent event = new ConditionTimedOutEvent();
        if (!event.isEnabled()) {
            return TimedWait.NONE;
        }
        event.begin();
        return new TimedWait(event);
    }

    /** A wait with a timeout, under way. */
    public static final class TimedWait {
        static final TimedWait NONE = new TimedWait(null);
        private final ConditionTimedOutEvent event;

        private TimedWait(ConditionTimedOutEvent event) {
            this.event = event;
        }

        /**
         * The wait on an object of {@code kind} ended by its timeout; {@code handle} is asked for only when the event
         * is recorded (a failed poll without a recording builds no text).
         */
        public void timedOut(String kind, Supplier<?> handle) {
            if (event == null) {
                return;
            }
            event.end();
            if (event.shouldCommit()) {
                event.object = kind + " " + handle.get();
                event.commit();
            }
        }
    }

    /** This process created, grew its heap by, attached or freed an arena. */
    public static void arena(String action, long arenaId, long bytes, String purpose) {
        if (off()) {
            return;
        }
        ArenaEvent event = new ArenaEvent();
        if (event.shouldCommit()) {
            event.action = action;
            event.arenaId = Long.toHexString(arenaId);
            event.bytes = bytes;
            event.purpose = purpose;
            event.commit();
        }
    }

    /** A child process started ({@code exitCode} unused) or ended. */
    public static void childProcess(String action, long pid, String name, String target, String startMethod,
                                    long startNanos, int exitCode) {
        if (off()) {
            return;
        }
        ChildProcessEvent event = new ChildProcessEvent();
        if (event.shouldCommit()) {
            event.action = action;
            event.pid = pid;
            event.name = name;
            event.target = target;
            event.startMethod = startMethod;
            event.startNanos = startNanos;
            event.exitCode = exitCode;
            event.commit();
        }
    }

    /** How deep in attaches each thread is: only the outermost records a refusal. */
    private static final ThreadLocal<int[]> ATTACHING = ThreadLocal.withInitial(() -> new int[1]);

    /**
     * What {@code attach} returns; when it refuses {@code handle} (an IllegalArgumentException or
     * IllegalStateException), an {@code AttachRefused} event with the rule, recorded once by the outermost of
     * nested attaches (a synchronized object's attaches its lock, every object's its block).
     */
    public static <T> T attaching(Object handle, java.util.function.Supplier<T> attach) {
        int[] depth = ATTACHING.get();
        depth[0]++;
        try {
            return attach.get();
        } catch (IllegalArgumentException | IllegalStateException e) {
            if (depth[0] == 1) {
                String text = String.valueOf(handle);
                attachRefused(text.length() > 512 ? text.substring(0, 512) + "..." : text, e.getMessage());
            }
            throw e;
        } finally {
            depth[0]--;
        }
    }

    /** A handle was refused, for {@code rule}. */
    public static void attachRefused(String handle, String rule) {
        if (off()) {
            return;
        }
        AttachRefusedEvent event = new AttachRefusedEvent();
        if (event.shouldCommit()) {
            event.handle = handle;
            event.rule = rule;
            event.commit();
        }
    }
}
