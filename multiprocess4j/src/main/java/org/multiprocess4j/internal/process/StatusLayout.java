package org.multiprocess4j.internal.process;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The block through which a child tells its parent how it ended, beyond what an exit status can say.
 *
 * <pre>
 *   0         4          8                                     SIZE
 *   +---------+----------+-------------------------------------+
 *   | state   | length   | the serialized exception (length    |
 *   | (int)   | (int)    | bytes), when state is THREW         |
 *   +---------+----------+-------------------------------------+
 * </pre>
 *
 * <p>Publication: the child writes the exception bytes and length, then the state with release semantics; the
 * parent reads the state with acquire semantics after the child has exited. A child killed by a signal never
 * writes a state, which is how a parent tells "killed by signal N" from "exited with 128 + N".
 */
public final class StatusLayout {
    public static final long SIZE = 64 * 1024;
    public static final int RUNNING = 0;
    /** The target returned. */
    public static final int RETURNED = 1;
    /** The target threw; the exception follows. */
    public static final int THREW = 2;
    /** The JVM shut down otherwise ({@code System.exit}): its exit status is the code. */
    public static final int EXITED = 3;

    private static final long STATE = 0;
    private static final long LENGTH = 4;
    private static final long DATA = 8;
    private static final VarHandle INT = JAVA_INT.varHandle();

    private StatusLayout() {
    }

    static void publish(MemorySegment status, int state) {
        INT.setRelease(status, STATE, state); // publishes the exception bytes written before
    }

    /** Records a state unless one was recorded already; true if this call recorded it. */
    static boolean publishFirst(MemorySegment status, int state) {
        return INT.compareAndSet(status, STATE, RUNNING, state); // a full fence: publishes what came before
    }

    static boolean writeException(MemorySegment status, byte[] bytes) {
        if (bytes.length > SIZE - DATA) {
            return false;
        }
        MemorySegment.copy(bytes, 0, status, JAVA_BYTE, DATA, bytes.length);
        status.set(JAVA_INT, LENGTH, bytes.length);
        return true;
    }

    public static int state(MemorySegment status) {
        return (int) INT.getAcquire(status, STATE); // pairs with publish()
    }

    public static byte[] exception(MemorySegment status) {
        int length = status.get(JAVA_INT, LENGTH);
        byte[] bytes = new byte[Math.clamp(length, 0, (int) (SIZE - DATA))];
        MemorySegment.copy(status, JAVA_BYTE, DATA, bytes, 0, bytes.length);
        return bytes;
    }
}
