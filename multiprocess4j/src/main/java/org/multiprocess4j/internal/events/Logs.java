package org.multiprocess4j.internal.events;

import java.util.function.Supplier;

/**
 * Log records that must not cost the thread that makes them. The first record a JVM logs starts the logging
 * framework and its formatter: about 80 ms in a fresh JVM, which a thread that has just taken a lock over from a
 * dead holder would otherwise spend holding that lock (the kill soak's recovery median went from ~8 ms to ~90 ms
 * when the takeover warning came in). Such a record is written by a thread of its own, which is not a daemon: a JVM
 * that ends normally writes it before it ends (a {@code System.exit} or a halt right after may lose it).
 */
public final class Logs {
    private Logs() {
    }

    /**
     * Logs the text {@code message} gives as a warning of logger {@code org.multiprocess4j}, made and written on a
     * thread of its own (making it costs a cold JVM milliseconds too: a handle is text built from the object).
     */
    public static void warnAside(Supplier<String> message) {
        Thread.ofPlatform().daemon(false).name("multiprocess4j-log").start(() ->
                System.getLogger("org.multiprocess4j").log(System.Logger.Level.WARNING, message));
    }
}
