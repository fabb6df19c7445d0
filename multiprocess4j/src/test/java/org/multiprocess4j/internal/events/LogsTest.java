package org.multiprocess4j.internal.events;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.testing.Jvm;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Warnings written aside: a burst neither floods the log nor starts a thread per record. */
class LogsTest {

    /**
     * Logs 1,000 warnings at once, then one more once a second has passed since the first; prints the most
     * writer threads seen alive at once. Its log goes to standard output.
     */
    public static final class Burst {
        public static void main(String[] args) throws InterruptedException {
            System.setErr(System.out); // before the logging framework starts: its console handler writes here
            long start = System.nanoTime();
            int most = 0;
            for (int i = 0; i < 1000; i++) {
                int n = i;
                Logs.warnAside(() -> "burst " + n);
                most = Math.max(most, writers());
            }
            while (System.nanoTime() - start < 1_100_000_000L) {
                most = Math.max(most, writers());
                Thread.onSpinWait();
            }
            Logs.warnAside(() -> "after");
            System.out.println("writers at once: " + most);
        }

        private static int writers() {
            return (int) Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("multiprocess4j-log")).count();
        }
    }

    /** Logs a record whose text cannot be made, then one that can. */
    public static final class Failing {
        public static void main(String[] args) {
            System.setErr(System.out);
            Logs.warnAside(() -> {
                throw new IllegalStateException("no text");
            });
            Logs.warnAside(() -> "after the failure");
        }
    }

    @Test
    void aRecordThatCannotBeMadeLosesOnlyItself() {
        String out = Jvm.run(Failing.class);
        assertTrue(out.contains("WARNING: after the failure"), out);
    }

    @Test
    void aBurstLogsTenASecondAndCountsTheRestInTheNextRecordOnOneThread() {
        String out = Jvm.run(Burst.class);
        List<String> records = Arrays.stream(out.split("\n")).filter(l -> l.startsWith("WARNING: ")).toList();
        assertEquals(Logs.PER_SECOND + 1, records.size(), out);
        assertEquals("WARNING: burst 0", records.get(0));
        assertEquals("WARNING: after (and 990 warning(s) before it not logged: at most 10 a second are)",
                records.get(records.size() - 1));
        assertTrue(out.contains("writers at once: 1") || out.contains("writers at once: 0"), out);
    }
}
