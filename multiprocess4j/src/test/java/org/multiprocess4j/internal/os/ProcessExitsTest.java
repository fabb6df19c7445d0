package org.multiprocess4j.internal.os;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's notice of process exits, which lock waiters rely on to recover from a dead owner quickly. */
class ProcessExitsTest {

    @Test
    void aWatchedProcessIsReportedWhenItEndsAndAnEndedOneCannotBeWatched() throws Exception {
        assertNotNull(Platform.current().processExits(), "Linux 5.3 and later have pidfd_open");
        ProcessExits exits = LinuxProcessExits.open(); // not the JVM's own, which the lock waiters' watcher reads
        Process child = new ProcessBuilder("sleep", "600").start();
        assertTrue(exits.watch(child.pid(), 42));
        long killed = System.nanoTime();
        child.destroyForcibly();
        long[] ended = exits.await();
        System.out.printf("a killed process was reported %.2f ms after SIGKILL%n", (System.nanoTime() - killed) / 1e6);
        assertArrayEquals(new long[] {42}, ended);
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        assertFalse(exits.watch(child.pid(), 43), "a reaped process cannot be watched");
        exits.interrupt();
        assertArrayEquals(new long[0], exits.await(), "an interrupt ends a wait with nothing");
    }
}
