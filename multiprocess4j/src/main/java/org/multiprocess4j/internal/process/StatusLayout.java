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
 * <p>Publication: the child writes the exception bytes and length, then the state, through a file channel on the
 * arena (see {@link StatusWriter}: no mapping, so a child that shares nothing never loads the FFM machinery); the
 * parent reads them through its mapping after the child has exited, which orders them. A child killed by a
 * signal never writes a state, which is how a parent tells "killed by signal N" from "exited with 128 + N". A
 * standby writes {@link #READY} before that, which is no report of an end.
 */
public final class StatusLayout {
    public static final long SIZE = 64 * 1024;
    public static final int RUNNING = 0;
    /** A standby child has booted and waits for its bootstrap (see {@link Standby}); once it has it, it runs. */
    public static final int READY = 1;
    /** The target threw; the exception follows. */
    public static final int THREW = 2;
    /** The JVM shut down (the target returned, or {@code System.exit} was called): its exit status is the code. */
    public static final int EXITED = 3;

    static final long STATE = 0;
    static final long LENGTH = 4;
    static final long DATA = 8;
    /** The most bytes of a serialized exception that a report holds. */
    public static final long EXCEPTION_ROOM = SIZE - DATA;
    private static final VarHandle INT = JAVA_INT.varHandle();

    private StatusLayout() {
    }

    public static int state(MemorySegment status) {
        return (int) INT.getAcquire(status, STATE); // pairs with publish()
    }

    /** Whether the child reported how it ended: false while it runs, and after a signal killed it. */
    public static boolean reported(int state) {
        return state == THREW || state == EXITED;
    }

    public static byte[] exception(MemorySegment status) {
        int length = status.get(JAVA_INT, LENGTH);
        byte[] bytes = new byte[Math.clamp(length, 0, (int) (SIZE - DATA))];
        MemorySegment.copy(status, JAVA_BYTE, DATA, bytes, 0, bytes.length);
        return bytes;
    }
}
