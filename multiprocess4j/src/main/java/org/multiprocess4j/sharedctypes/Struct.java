package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;

/**
 * A C structure in shared memory, seen through a Java class of the user's: the Java form of a ctypes
 * {@code Structure} subclass. The class declares its fields once, in a {@link StructType}, and reads them in
 * place through typed {@link Field}s; accessors read as plain Java.
 *
 * {@snippet :
 * public final class Point extends Struct<Point> {
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
 *
 * @param <S> the subclass itself ({@code Point extends Struct<Point>}), so that {@link #getObj()} and
 *            {@link #structType()} return its own type
 */
public abstract class Struct<S extends Struct<S>> implements SharedObject {
    StructType<S> type;
    SharedBlock block;
    /** The block's whole segment; fields are at {@link #offset} plus their own offset. */
    MemorySegment segment;
    /** Where the structure starts in {@link #segment}: {@code base + index * size}. */
    long offset;
    /**
     * The start of the array the structure is element {@link #index} of (for a structure on its own, its start and
     * 0): field accessors compute the address from these and their own constant sizes, which lets a loop over an
     * array compile to a strided loop over raw memory.
     */
    long base;
    long index;
    /**
     * For a structure that is not an array element, its own bytes, so that a field accessor reads at its constant
     * offset with no arithmetic; null for an element, whose accessors use {@link #base} and {@link #index}.
     */
    MemorySegment alone;
    SharedLock lock;
    boolean ownsLock;
    /**
     * The type when the structure is unsynchronized, else null: a field accessor's fast path checks the type and
     * the absence of a lock with one compare.
     */
    StructType<?> rawType;

    /** For subclasses; instances get their memory from the library. */
    protected Struct() {
    }

    final void bind(StructType<S> type, SharedBlock block, long base, long index, boolean elementOfArray,
                    SharedLock lock, boolean ownsLock) {
        this.type = type;
        this.block = block;
        this.segment = block.segment();
        this.base = base;
        this.index = index;
        this.offset = base + index * type.byteSize();
        this.alone = elementOfArray ? null : segment.asSlice(offset, type.byteSize());
        this.lock = lock;
        this.ownsLock = ownsLock;
        this.rawType = lock == null ? type : null;
    }

    /** The structure's type. */
    public final StructType<S> structType() {
        checkBound();
        return type;
    }

    @Override
    public final Handle handle() {
        checkBound();
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: a closed structure has no handle: " + this);
        }
        if ((block.offset() + offset) % type.byteAlignment() != 0) {
            throw new UnsupportedOperationException("a " + type + " that a packed structure holds below its "
                    + "alignment has no handle of its own: share the enclosing structure");
        }
        Handle lockHandle = lock == null ? null : lock.handle();
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData(type.handleSignature('v'), block.arena(),
                block.offset(), block.generation(), offset, type.byteSize(), 1, 0,
                lockHandle == null ? null : lockHandle.toString(),
                lockHandle == null ? null : HandleCodec.decoded(lockHandle)));
    }

    /**
     * Closes the memory this structure lives in (for a structure taken from an array, the whole array). Any later
     * access throws {@link IllegalStateException}. Idempotent.
     */
    @Override
    public final void close() {
        checkBound();
        if (ownsLock) { // first: a lock that refuses to close (a thread waits on it) leaves the structure whole
            lock.close();
        }
        block.close();
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

    /**
     * The raw structure under a synchronized one (Python's {@code get_obj()}): same memory, no lock, the same
     * class ({@code Point raw = p.getObj();}).
     *
     * @throws UnsupportedOperationException when this structure is raw
     */
    public final S getObj() {
        getLock();
        return type.view(block, offset, null);
    }

    /** The field values in declaration order, boxed (nested structures and arrays as lists). */
    public final List<Object> fieldValues() {
        checkBound();
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            @SuppressWarnings("unchecked")
            List<Object> values = (List<Object>) type.load(segment, offset); // a fresh list of its own
            return values;
        } finally {
            Locks.release(l, took);
        }
    }

    private void checkBound() {
        if (type == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " is not in shared memory: create "
                    + "structures with SharedCTypes, not new");
        }
    }

    /**
     * Checks a field declaration against its structure type (the fields' records call it). A primitive field's
     * {@code layout} must be its type's, in either byte order, aligned or (where packing leaves the field
     * unaligned) byte-aligned; other fields have none.
     */
    static void checkField(StructType<?> owner, String name, DataType type, long offset, long structSize,
                           Kind kind, ValueLayout layout) {
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (kind != null && !(type instanceof CType<?, ?> c && c.kind == kind)) {
            throw new IllegalArgumentException("field " + owner + "." + name + " of type=" + type + " cannot be "
                    + "accessed as a " + kind + " field");
        }
        long alignment = kind == null && layout != null ? layout.byteAlignment() : type.byteAlignment();
        if (kind == null && owner.rules().pack() != 0) {
            alignment = Math.min(alignment, owner.rules().pack());
        }
        if (kind != null) {
            Objects.requireNonNull(layout, "layout");
            ValueLayout canonical = layout.withOrder(kind.layout.order())
                    .withByteAlignment(kind.layout.byteAlignment());
            if (!canonical.equals(kind.layout) || (layout.byteAlignment() != 1
                    && layout.byteAlignment() != kind.layout.byteAlignment())) {
                throw new IllegalArgumentException("field " + owner + "." + name + " must be read with its type's "
                        + "layout (" + kind.layout + " in either byte order, aligned or byte-aligned): layout="
                        + layout);
            }
            alignment = layout.byteAlignment();
        }
        if (structSize != owner.byteSize() || offset < 0 || offset % alignment != 0
                || offset > structSize - type.byteSize()) {
            throw new IllegalArgumentException("field " + owner + "." + name + " does not fit its structure: offset="
                    + offset + ", size " + type.byteSize() + ", structSize=" + structSize + "; structure size is "
                    + owner.byteSize() + " (get fields from StructType.field)");
        }
    }

    /** Throws unless {@code struct} is a bound structure of {@code field}'s type. */
    static void checkOwner(Struct<?> struct, Field field) {
        if (struct.type != field.owner()) {
            throw new IllegalArgumentException("field " + field.owner() + "." + field.name() + " does not belong to "
                    + "struct=" + (struct.type == null ? struct.getClass().getSimpleName() + " that is not in shared "
                    + "memory (create structures with SharedCTypes, not new)" : struct.type));
        }
    }

    /** A field's description: {@code Point.x: c_double at offset 0}. */
    static String describe(Field field) {
        return field.owner() + "." + field.name() + ": " + field.type() + " at offset " + field.offset();
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
