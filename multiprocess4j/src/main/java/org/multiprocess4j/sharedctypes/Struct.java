package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A C structure in shared memory, seen through a Java class of the user's: the Java form of a ctypes
 * {@code Structure} subclass. The class declares its fields once, in a {@link StructType}, and reads them in
 * place through typed {@link Field}s; accessors read as plain Java.
 *
 * {@snippet :
 * public final class Point extends Struct {
 *     public static final StructType<Point> TYPE = StructType.define(Point::new,
 *             StructType.field("x", CType.c_double), StructType.field("y", CType.c_double));
 *     private static final DoubleField X = TYPE.field("x", DoubleField.class);
 *     private static final DoubleField Y = TYPE.field("y", DoubleField.class);
 *
 *     public double x() { return X.get(this); }
 *     public void x(double x) { X.set(this, x); }
 *     public double y() { return Y.get(this); }
 *     public void y(double y) { Y.set(this, y); }
 * }
 *
 * StructArray<Point> points = SharedCTypes.rawArray(Point.TYPE, 3);
 * for (Point p : points) {
 *     p.x(p.x() * p.x());                          // Python: p.x **= 2
 * }
 * }
 *
 * <p>A structure is a view: one made by {@link SharedCTypes#rawValue(StructType, Object...)} owns its memory; one
 * taken from a {@link StructArray} or a {@link StructField} shares the memory, lock and lifetime of what it came
 * from, and closing it closes that. Each field access of a synchronized structure takes the lock once; a
 * multi-field update holds it explicitly. Subclasses need a no-argument constructor and must not be created with
 * {@code new} for use: only the library binds them to memory.
 */
public abstract class Struct implements SharedObject {
    StructType<?> type;
    SharedBlock block;
    /** The block's whole segment; fields are at {@link #offset} plus their own offset. */
    MemorySegment segment;
    long offset;
    SharedLock lock;
    boolean ownsLock;

    /** For subclasses; instances get their memory from the library. */
    protected Struct() {
    }

    final void bind(StructType<?> type, SharedBlock block, long offset, SharedLock lock, boolean ownsLock) {
        this.type = type;
        this.block = block;
        this.segment = block.segment();
        this.offset = offset;
        this.lock = lock;
        this.ownsLock = ownsLock;
    }

    /** The structure's type. */
    public final StructType<?> structType() {
        checkBound();
        return type;
    }

    @Override
    public final Handle handle() {
        checkBound();
        return Handle.parse(HandleCodec.encode(new HandleCodec.HandleData(type.handleSignature('v'), block.arena(),
                block.offset(), block.generation(), offset, type.byteSize(), 1, lock == null ? null : lock.handle().toString())));
    }

    /**
     * Closes the memory this structure lives in (for a structure taken from an array, the whole array). Any later
     * access throws {@link IllegalStateException}. Idempotent.
     */
    @Override
    public final void close() {
        checkBound();
        block.close();
        if (ownsLock) {
            lock.close();
        }
    }

    /** Whether field accesses take a lock. */
    public final boolean isSynchronized() {
        return lock != null;
    }

    /**
     * The lock of a synchronized structure.
     *
     * @throws UnsupportedOperationException when this structure is raw
     */
    public final SharedLock getLock() {
        if (lock == null) {
            throw new UnsupportedOperationException("a raw " + type + " has no lock: create it with value() or "
                    + "array(), or wrap it with synchronize()");
        }
        return lock;
    }

    /** The raw structure under a synchronized one: same memory, no lock. */
    public final Struct getObj() {
        getLock();
        return type.view(block, offset, null);
    }

    /** The field values in declaration order, boxed (nested structures and arrays as lists). */
    public final List<Object> fieldValues() {
        checkBound();
        SharedLock l = lock;
        if (l != null) {
            l.lock();
        }
        try {
            @SuppressWarnings("unchecked")
            List<Object> values = (List<Object>) type.load(segment, offset); // a fresh list of its own
            return values;
        } finally {
            if (l != null) {
                l.unlock();
            }
        }
    }

    private void checkBound() {
        if (type == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " is not in shared memory: create "
                    + "structures with SharedCTypes, not new");
        }
    }

    /** The type's name and fields: {@code Point(x=1.875, y=-6.25)}. */
    @Override
    public String toString() {
        if (type == null) {
            return getClass().getSimpleName() + "(unbound)";
        }
        if (!block.isAlive()) {
            return type + "(closed)";
        }
        return type.format(segment, offset);
    }
}
