package org.multiprocess4j;

import java.time.Duration;

/** Durations as the nanosecond counts the waiting code takes, saturated: 300 years is as good as for ever. */
final class Timeouts {
    private Timeouts() {
    }

    /** {@code timeout} in nanoseconds, {@code Long.MAX_VALUE} (for ever) when longer, 0 when negative. */
    static long nanos(Duration timeout) {
        if (timeout.isNegative()) {
            return 0;
        }
        return timeout.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : timeout.toNanos();
    }
}
