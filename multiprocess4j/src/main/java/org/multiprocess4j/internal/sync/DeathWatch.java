package org.multiprocess4j.internal.sync;

import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;
import org.multiprocess4j.internal.os.ProcessExits;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Learns from the kernel when the owner of a lock that this JVM waits for dies, and wakes the sleepers on the
 * lock's word at once, so that one of them takes the lock over. An owner is named as in the lock word: its pid in
 * the high half, the low 32 bits of its start time in the low half.
 *
 * <p>Where the kernel offers no such notice ({@link #available} false), waiters look at {@code /proc} every
 * {@link Waiting#LIVENESS_PERIOD_NANOS} instead.
 */
/* Implementation overview
 *
 * One Entry per owner process this JVM has waited for, holding the waiters to tell when it dies (each with a
 * count). watch() opens the owner's pidfd on first use and only then compares the start time of
 * the process now holding the pid with the owner's: the pidfd names the process that held the pid when it was
 * opened, and an owner that still runs after that moment held it then (it started before it took the lock), so a
 * match proves the pidfd is the owner's. One daemon thread waits in epoll for the pidfds; when one becomes
 * readable it marks the entry dead, remembers the owner among the recently dead, wakes every waiter's word and
 * tells every waiter (which unparks its thread: that thread's helper may not be asleep yet, and would then sleep
 * through the wake-up). A waiter that registers after the death finds the entry dead, or opens no pidfd (ESRCH), or finds another
 * start time: each says dead.
 */
final class DeathWatch {
    private static final Platform PLATFORM = Platform.current();

    /**
     * The kernel's notices of deaths, linked on first use: {@link #isKnownDead} and {@link #looksDead}, which a
     * lock's first collision with a live holder may call, need none of it (linking its calls costs a cold JVM
     * tens of milliseconds).
     */
    private static final class Kernel {
        static final ProcessExits EXITS = PLATFORM.processExits();
    }

    /** Whether the kernel tells this JVM of deaths. */
    static boolean available() {
        return Kernel.EXITS != null;
    }
    /** Owner processes watched at most at once; past that, waiters fall back to looking. */
    private static final int MAX_WATCHED = 4096;
    private static final int RECENTLY_DEAD = 1024;

    private static final Map<Long, Entry> ENTRIES = new ConcurrentHashMap<>();
    private static final Map<Long, Boolean> RECENTLY_DEAD_OWNERS = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Boolean> eldest) {
            return size() > RECENTLY_DEAD;
        }
    };
    private static volatile boolean closed;
    private static Thread watcher; // guarded by DeathWatch.class

    private DeathWatch() {
    }

    /**
     * One who waits for an owner: the futex word to wake when the owner dies, and what to tell this JVM's parked
     * thread, which may not sleep on the word yet (its helper may not be in the kernel when the wake-up comes).
     */
    interface Waiter {
        /** The futex word's address. */
        long address();

        /** Called on the watcher thread once the owner is known dead. */
        void ownerDied();
    }

    private static final class Entry {
        /** Who to tell when the owner dies, each with the number of times it asked. */
        final Map<Waiter, Integer> waiters = new ConcurrentHashMap<>();
        volatile boolean dead;
    }

    /** {@link #watch}: the owner is watched; the waiter is told when it dies. */
    static final int WATCHED = 0;
    /** {@link #watch}: the owner cannot be watched (no kernel notice, too many owners, no descriptor left, this
     *  process): the waiter must look at {@code /proc} from time to time. */
    static final int UNWATCHED = 1;
    /** {@link #watch}: the owner is dead. */
    static final int DEAD = 2;

    /**
     * Asks that the sleepers on {@code waiter}'s word be woken, and {@code waiter} told, when {@code owner} dies.
     * Only a {@link #WATCHED} result needs an {@link #unwatch}.
     *
     * @return {@link #WATCHED}, {@link #UNWATCHED} or {@link #DEAD}
     */
    static int watch(long owner, Waiter waiter) {
        if (owner >>> 32 == CurrentProcess.PID) {
            return looksDead(owner) ? DEAD : UNWATCHED; // this process, or a dead one that had its pid
        }
        if (!available() || closed) {
            return UNWATCHED;
        }
        if (isKnownDead(owner)) {
            return DEAD;
        }
        Entry entry = ENTRIES.get(owner);
        if (entry == null) {
            if (ENTRIES.size() >= MAX_WATCHED) {
                return UNWATCHED;
            }
            entry = open(owner);
            if (entry == null) {
                return isKnownDead(owner) ? DEAD : UNWATCHED;
            }
        }
        entry.waiters.merge(waiter, 1, Integer::sum);
        return entry.dead ? DEAD : WATCHED;
    }

    /** Withdraws one {@link #watch} of {@code owner} by {@code waiter}. */
    static void unwatch(long owner, Waiter waiter) {
        Entry entry = ENTRIES.get(owner);
        if (entry != null) {
            entry.waiters.computeIfPresent(waiter, (a, n) -> n == 1 ? null : n - 1);
        }
    }

    /** Whether {@code owner} is known to be dead, by the kernel's notice. */
    static boolean isKnownDead(long owner) {
        Entry entry = ENTRIES.get(owner);
        if (entry != null && entry.dead) {
            return true;
        }
        synchronized (RECENTLY_DEAD_OWNERS) {
            return RECENTLY_DEAD_OWNERS.containsKey(owner);
        }
    }

    /** Whether {@code owner} no longer runs, looked up in {@code /proc}: the way without kernel notice. */
    static boolean looksDead(long owner) {
        if (owner >>> 32 == CurrentProcess.PID && (owner & 0xFFFF_FFFFL) == (CurrentProcess.START_TIME & 0xFFFF_FFFFL)) {
            return false;
        }
        long startTime = PLATFORM.processStartTime(owner >>> 32);
        return startTime < 0 || (startTime & 0xFFFF_FFFFL) != (owner & 0xFFFF_FFFFL);
    }

    private static Entry open(long owner) {
        long pid = owner >>> 32;
        Entry fresh = new Entry();
        Entry existing = ENTRIES.putIfAbsent(owner, fresh);
        if (existing != null) {
            return existing;
        }
        boolean watched;
        try {
            watched = Kernel.EXITS.watch(pid, owner);
        } catch (IllegalStateException e) {
            ENTRIES.remove(owner, fresh); // out of descriptors, say: this waiter looks instead
            return null;
        }
        if (!watched || looksDead(owner)) { // checked after the pidfd exists: see the overview
            Kernel.EXITS.unwatch(owner);
            died(owner);
            return null;
        }
        startWatcher();
        return fresh;
    }

    private static synchronized void startWatcher() {
        if (watcher == null && !closed) {
            watcher = Thread.ofPlatform().daemon().name("multiprocess4j-death-watch").start(DeathWatch::run);
            Waiting.watching = true;
        }
    }

    private static void run() {
        while (!closed) {
            for (long owner : Kernel.EXITS.await()) {
                died(owner);
            }
        }
    }

    private static void died(long owner) {
        synchronized (RECENTLY_DEAD_OWNERS) {
            RECENTLY_DEAD_OWNERS.put(owner, Boolean.TRUE);
        }
        Entry entry = ENTRIES.remove(owner);
        if (entry != null) {
            entry.dead = true; // before the wake-ups: the woken check isKnownDead
            for (Waiter waiter : entry.waiters.keySet()) {
                Waiting.wake(waiter.address(), Integer.MAX_VALUE); // other JVMs' sleepers too
                waiter.ownerDied();
            }
        }
    }

    /** Ends the watcher thread, at JVM exit. */
    static void close() {
        closed = true;
        if (available()) {
            Kernel.EXITS.interrupt();
        }
    }
}
