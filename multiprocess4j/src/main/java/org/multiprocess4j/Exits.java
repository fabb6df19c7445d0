package org.multiprocess4j;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Waiting for an operating-system process to end, as {@link ChildProcess} and {@link PythonProcess} do. */
final class Exits {
    private Exits() {
    }

    /** Waits for {@code p} to end, through interrupts (the interrupt status is kept). */
    static void await(Process p) {
        boolean interrupted = false;
        while (true) {
            try {
                p.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits at most {@code timeout} for {@code p} to end; true when it has (an interrupt ends the wait). */
    static boolean await(Process p, Duration timeout) {
        try {
            long nanos = Timeouts.nanos(timeout);
            if (nanos == Long.MAX_VALUE) {
                p.waitFor();
                return true;
            }
            return p.waitFor(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }
}
