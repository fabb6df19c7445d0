package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

/**
 * A single C value in shared memory. Each C type has its own subclass with unboxed accessors ({@link IntValue},
 * {@link DoubleValue}, ...); this class adds what they share, including boxed access for code that handles
 * every type alike.
 */
public abstract sealed class SharedValue extends SharedData
        permits CharValue, ByteValue, UByteValue, ShortValue, UShortValue, IntValue, UIntValue, LongValue, ULongValue,
        FloatValue, DoubleValue, WCharValue, BoolValue {

    private final CType<?, ?> type;

    SharedValue(CType<?, ?> type, SharedBlock block, long base, SharedLock lock, boolean ownsLock) {
        super(block, base, type.byteSize(), lock, ownsLock);
        this.type = type;
    }

    /** The C type. */
    public final CType<?, ?> type() {
        return type;
    }

    /** The value, boxed as the typed {@code get()} returns it; takes the lock when synchronized. */
    public final Object getValue() {
        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {
            return type.load(segment, 0);
        }
        l.lock();
        try {
            return type.load(segment, 0);
        } finally {
            l.unlock();
        }
    }

    /**
     * Sets the value from a boxed number (or Boolean, Character...); takes the lock when synchronized.
     *
     * @throws IllegalArgumentException when {@code value} has the wrong type or is out of range
     */
    public final void setValue(Object value) {
        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {
            type.store(segment, 0, value, "value");
            return;
        }
        l.lock();
        try {
            type.store(segment, 0, value, "value");
        } finally {
            l.unlock();
        }
    }

    /**
     * The raw object under a synchronized wrapper (Python's {@code get_obj()}): same memory, no lock.
     *
     * @throws UnsupportedOperationException when this object is already raw
     */
    public SharedValue getObj() {
        getLock();
        return withLock(null, false);
    }

    @Override
    abstract SharedValue withLock(SharedLock lock, boolean ownsLock);

    @Override
    final String signature() {
        return "v" + type.signature();
    }

    @Override
    final long count() {
        return 1;
    }

    /** The type and value, as ctypes writes them: {@code c_int(7)}. */
    @Override
    public final String toString() {
        if (!block.isAlive()) {
            return describe(type + "(closed)");
        }
        return describe(type + "(" + type.format(type.load(segment, 0)) + ")");
    }
}
