package org.multiprocess4j;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a child's end reads in its parent: exit codes, signals, exceptions that do not travel, threads left. */
class ChildEndingsTest {

    static void halt(Integer status) {
        Runtime.getRuntime().halt(status);
    }

    /** Exits through a shutdown hook that never ends, after saying so in {@code hooked}. */
    static void exitWithAStuckHook(IntValue hooked) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            hooked.set(1);
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                // ends
            }
        }));
        System.exit(0);
    }

    private static Integer run(ChildProcess child) {
        child.start();
        assertTrue(child.join(Duration.ofSeconds(120)), "the child did not end");
        Integer code = child.exitCode();
        child.close();
        return code;
    }

    @Test
    void aStatusNoSignalGivesIsTheChildsAndASignalSentIsReadAsOne() throws Exception {
        assertEquals(200, run(new ChildProcess(ChildEndingsTest::halt, 200)), "past 128 + 64: no signal's");
        assertEquals(255, run(new ChildProcess(ChildEndingsTest::halt, 255)));
        for (boolean kill : new boolean[] {true, false}) {
            try (IntValue hooked = SharedCTypes.rawValue(CType.c_int, 0)) {
                // The child has reported its exit (the library's own hook) when it is killed in its hooks.
                ChildProcess child = new ChildProcess(ChildEndingsTest::exitWithAStuckHook, hooked);
                child.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (hooked.getVolatile() == 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "the hook never ran");
                    Thread.sleep(1);
                }
                if (kill) {
                    child.kill();
                } else {
                    child.terminate();
                }
                child.join();
                assertEquals(kill ? -9 : -15, child.exitCode());
                child.close();
            }
        }
    }

    /** Leaves a thread that sets {@code n} after a while, then throws. */
    static void threadThenThrow(IntValue n) {
        Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            n.set(42);
        });
        throw new IllegalStateException("thrown while a thread still works");
    }

    @Test
    void aTargetThatThrowsEndsOnceItsOtherThreadsHaveAsPythonsChild() throws Exception {
        try (IntValue n = SharedCTypes.rawValue(CType.c_int, 0)) {
            ChildProcess child = new ChildProcess(ChildEndingsTest::threadThenThrow, n);
            assertEquals(1, run(child));
            assertEquals(42, n.get(), "the thread was cut short");
        }
    }

    static final class WriteFails implements Serializable {
        private static final long serialVersionUID = 1L;

        private void writeObject(ObjectOutputStream out) {
            throw new UnsupportedOperationException("not writable");
        }
    }

    static final class ReadFails implements Serializable {
        private static final long serialVersionUID = 1L;

        private void readObject(ObjectInputStream in) {
            throw new UnsupportedOperationException("not readable");
        }
    }

    static final class Carrying extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Serializable payload;

        Carrying(Serializable payload) {
            super("the original text");
            this.payload = payload;
        }
    }

    static void throwUnwritable() {
        throw new Carrying(new WriteFails());
    }

    static void throwUnreadable() {
        throw new Carrying(new ReadFails());
    }

    @Test
    void anExceptionThatCannotTravelArrivesAsARuntimeExceptionWithItsText() {
        for (ChildProcess.Task0 target : new ChildProcess.Task0[] {ChildEndingsTest::throwUnwritable,
                ChildEndingsTest::throwUnreadable}) {
            ChildProcess child = new ChildProcess(target);
            child.start();
            child.join();
            Throwable e = child.exception();
            assertInstanceOf(RuntimeException.class, e);
            assertTrue(e.getMessage().contains("the original text") || e.getMessage().contains("not readable"),
                    e.getMessage());
            assertEquals(1, child.exitCode());
            child.close();
        }
    }

    @Test
    void aStandbyMayBeAwaitedForAsLongAsADurationHolds() throws Exception {
        assertTrue(ChildProcess.prepareStandby(Duration.ofSeconds(Long.MAX_VALUE)));
    }
}
