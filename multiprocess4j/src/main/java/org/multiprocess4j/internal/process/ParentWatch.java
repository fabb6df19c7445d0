package org.multiprocess4j.internal.process;

import org.multiprocess4j.internal.os.Platform;

import java.util.concurrent.TimeUnit;

/**
 * Ends a daemon child when its parent ends. The parent is named by the pid and start time it sent in the
 * bootstrap, not asked of the system later: a parent that died before the child looked would otherwise be
 * mistaken for whichever process adopted the child (init, or a subreaper), and watched for ever.
 */
/* Implementation overview
 *
 * The check reads /proc/<pid>/stat: the parent is gone when no process has its pid, when the process with its pid
 * started at another time (the pid was reused), or when it is a zombie (dead, not yet reaped by its own parent).
 * It runs once before the target and then every PERIOD on a daemon thread that sleeps in Java between checks.
 * Sleeping in Java matters: the JVM waits up to 300 ms at exit for threads blocked in native calls, so a thread
 * blocked in poll(2) on a pidfd would add that to every short-lived child; and a pidfd needs the native linker,
 * which costs a child more start-up than all the checks of a typical life together.
 */
public final class ParentWatch {
    /** How often a running daemon child looks at its parent: it ends within this (plus scheduling) of its death. */
    static final long PERIOD_MILLIS = 20;
    private static final Platform PLATFORM = Platform.current();

    private ParentWatch() {
    }

    /** Halts this JVM at once if the parent is already gone, else watches it from a daemon thread. */
    public static void start(long parentPid, long parentStartTime) {
        haltIfGone(parentPid, parentStartTime);
        Thread.ofPlatform().daemon().name("multiprocess4j-parent-watch").start(() -> {
            while (true) {
                try {
                    TimeUnit.MILLISECONDS.sleep(PERIOD_MILLIS);
                } catch (InterruptedException e) {
                    // Nothing interrupts this thread on purpose: look again.
                }
                haltIfGone(parentPid, parentStartTime);
            }
        });
    }

    private static void haltIfGone(long parentPid, long parentStartTime) {
        if (PLATFORM.processStartTime(parentPid) != parentStartTime) {
            Runtime.getRuntime().halt(0); // no shutdown hooks: nobody is left to read this child's report
        }
    }
}
