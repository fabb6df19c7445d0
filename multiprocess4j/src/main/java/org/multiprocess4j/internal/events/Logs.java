package org.multiprocess4j.internal.events;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * Log records that must not cost the thread that makes them. The first record a JVM logs starts the logging
 * framework and its formatter: about 80 ms in a fresh JVM, which a thread that has just taken a lock over from a
 * dead holder would otherwise spend holding that lock (the kill soak's recovery median went from ~8 ms to ~90 ms
 * when the takeover warning came in). Records are written in order by one thread at a time, started when one is
 * made and ending when none is left; it is not a daemon, so a JVM that ends normally writes them before it ends (a
 * {@code System.exit} or a halt right after may lose them). At most {@link #PER_SECOND} are logged a second: what
 * a peer writing dead owners into a lock again and again makes is counted, and the count logged with the next
 * record, rather than flooding the log.
 */
public final class Logs {
    /** The most records logged in one second. */
    static final int PER_SECOND = 10;
    private static final long SECOND = 1_000_000_000L;

    /** Records not yet written; this lock guards every field below. */
    private static final ArrayDeque<Supplier<String>> PENDING = new ArrayDeque<>();
    private static boolean writing;
    private static long windowStart = System.nanoTime() - SECOND;
    private static int inWindow;
    private static long dropped;

    private Logs() {
    }

    /**
     * Logs the text {@code message} gives as a warning of logger {@code org.multiprocess4j}, made and written on a
     * thread of its own (making it costs a cold JVM milliseconds too: a handle is text built from the object).
     */
    public static void warnAside(Supplier<String> message) {
        synchronized (PENDING) {
            long now = System.nanoTime();
            if (now - windowStart >= SECOND) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow == PER_SECOND) {
                dropped++;
                return;
            }
            inWindow++;
            long before = dropped;
            dropped = 0;
            PENDING.add(before == 0 ? message : () -> message.get() + " (and " + before + " warning(s) before it not "
                    + "logged: at most " + PER_SECOND + " a second are)");
            if (writing) {
                return;
            }
            writing = true;
        }
        try {
            Thread.ofPlatform().daemon(false).name("multiprocess4j-log").start(Logs::write);
        } catch (Throwable e) { // no thread to be had now: the next record tries again, and writes this one too
            synchronized (PENDING) {
                writing = false;
            }
        }
    }

    private static void write() {
        System.Logger logger = System.getLogger("org.multiprocess4j");
        while (true) {
            Supplier<String> next;
            synchronized (PENDING) {
                next = PENDING.poll();
                if (next == null) {
                    writing = false;
                    return;
                }
            }
            try {
                logger.log(System.Logger.Level.WARNING, next);
            } catch (Throwable e) {
                // a record that cannot be made or written is lost, not those behind it
            }
        }
    }
}
