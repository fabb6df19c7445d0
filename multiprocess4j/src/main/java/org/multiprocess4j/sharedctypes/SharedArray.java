package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.ValueLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A C array in shared memory, of a primitive type (one subclass each, with unboxed accessors), of a
 * {@linkplain StructArray structure}, or of arrays ({@linkplain NestedArray multi-dimensional}). Lengths and indices are {@code long}: arrays over 2 GiB work; copies to
 * Java arrays are limited to what a Java array holds.
 */
public abstract sealed class SharedArray extends SharedData
        permits CharArray, ByteArray, UByteArray, ShortArray, UShortArray, IntArray, UIntArray, LongArray, ULongArray,
        FloatArray, DoubleArray, WCharArray, BoolArray, StructArray, NestedArray {

    private final DataType elementType;
    /** The number of elements. */
    final long length;
    /**
     * The distance between elements in bytes: the element size, or a multiple of it in a view with a step
     * ({@link #slice}).
     */
    final long stride;
    /**
     * How the elements are read when not with their type's own layout: byte-swapped or byte-aligned, for an array
     * field of a structure declared with another byte order or packed below the elements' alignment; else null.
     */
    final ValueLayout layout;

    SharedArray(DataType elementType, SharedBlock block, long base, long length, long stride, ValueLayout layout,
                SharedLock lock, boolean ownsLock) {
        super(block, base, span(elementType, length, stride), lock, ownsLock);
        this.elementType = elementType;
        this.length = length;
        this.stride = stride;
        this.layout = layout;
    }

    /** The element at offset {@code at}, boxed, read with {@link #layout} where there is one. */
    private Object loadAt(long at) {
        return switch (elementType) {
            case CType<?, ?> c when layout != null -> c.load(segment, at, layout);
            case ArrayType a when layout != null -> a.load(segment, at, layout);
            default -> elementType.load(segment, at);
        };
    }

    /** Stores a boxed element at offset {@code at}, written with {@link #layout} where there is one. */
    private void storeAt(long at, Object value, String param) {
        switch (elementType) {
            case CType<?, ?> c when layout != null -> c.store(segment, at, value, param, layout);
            case ArrayType a when layout != null -> a.store(segment, at, value, param, layout);
            default -> elementType.store(segment, at, value, param);
        }
    }

    /** Throws unless the elements can be accessed atomically: in the platform's byte order, at their alignment. */
    final void checkAtomic() {
        if (layout != null) {
            throw new UnsupportedOperationException("atomic access needs elements in the platform's byte order at "
                    + "their alignment; this array is a field of a packed or byte-swapped structure (" + layout
                    + "): use get and set, under the structure's lock where threads or processes share it");
        }
    }

    @Override
    final void checkHandle() {
        if ((block.offset() + base) % elementType.byteAlignment() != 0) {
            throw new UnsupportedOperationException("an array that a packed structure holds below its alignment has "
                    + "no handle of its own: share the enclosing structure");
        }
        if (layout != null) {
            throw new UnsupportedOperationException("an array field of a packed or byte-swapped structure (" + layout
                    + ") has no handle of its own: share the structure, whose handle records its layout");
        }
    }

    /** The bytes from the first element's start to the last one's end. */
    static long span(DataType elementType, long length, long stride) {
        return length == 0 ? 0 : Math.addExact(Math.multiplyExact(length - 1, stride), elementType.byteSize());
    }

    /** Checks a slice's bounds and step and returns its length. */
    final long sliceLength(long from, long to, long step) {
        Objects.checkFromToIndex(from, to, length);
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1 (Java's index rules: no negative steps): step="
                    + step);
        }
        return to == from ? 0 : (to - from - 1) / step + 1; // no overflow, whatever the step
    }

    /** The stride of a slice of {@code n} elements taking every {@code step}-th one. */
    final long sliceStride(long n, long step) {
        return n <= 1 ? elementType.byteSize() : Math.multiplyExact(stride, step);
    }

    /** Whether the elements lie next to each other, as in a C array (every array but a view with a step). */
    final boolean contiguous() {
        return stride == elementType.byteSize();
    }

    /** Iterates over the elements {@code element} gives for indices 0 to {@code length()}, each when reached. */
    final <E> java.util.Iterator<E> elements(java.util.function.LongFunction<E> element) {
        return new java.util.Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < length;
            }

            @Override
            public E next() {
                if (next >= length) {
                    throw new java.util.NoSuchElementException();
                }
                return element.apply(next++);
            }
        };
    }

    /** The element type under every array dimension of {@code type}. */
    private static DataType innermost(DataType type) {
        return type instanceof ArrayType a ? innermost(a.element()) : type;
    }

    /** The number of elements. */
    public final long length() {
        return length;
    }

    /**
     * The distance in bytes from one element to the next: the element size, or a multiple of it in a view with a
     * step (numpy's {@code strides}).
     */
    public final long strideBytes() {
        return stride;
    }

    /** The element type. */
    public final DataType elementType() {
        return elementType;
    }

    /**
     * The element at {@code index}, boxed as the typed {@code get} returns it (a structure element is returned as
     * a {@link java.util.List} of its field values); takes the lock when synchronized.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
     */
    public final Object getValue(long index) {
        Objects.checkIndex(index, length);
        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {
            return loadAt(index * stride);
        }
        l.lock();
        try {
            return loadAt(index * stride);
        } finally {
            l.unlock();
        }
    }

    /**
     * Sets the element at {@code index} from its boxed form; takes the lock when synchronized.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
     * @throws IllegalArgumentException when {@code value} has the wrong type or is out of range
     */
    public final void setValue(long index, Object value) {
        Objects.checkIndex(index, length);
        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {
            storeAt(index * stride, value, "value");
            return;
        }
        l.lock();
        try {
            storeAt(index * stride, value, "value");
        } finally {
            l.unlock();
        }
    }

    /** Every element, boxed, in a new list; the lock is held once for the whole copy. */
    public final List<Object> toList() {
        int n = javaLength(length);
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            List<Object> values = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                values.add(loadAt(i * stride));
            }
            return values;
        } finally {
            Locks.release(l, took);
        }
    }

    /**
     * The raw array under a synchronized wrapper (Python's {@code get_obj()}): same memory, no lock.
     *
     * @throws UnsupportedOperationException when this array is already raw
     */
    public SharedArray getObj() {
        getLock();
        return withLock(null, false);
    }

    @Override
    abstract SharedArray withLock(SharedLock lock, boolean ownsLock);

    @Override
    final String signature() {
        return signatureOf(elementType);
    }

    /** The handle signature of an array of {@code element}s. */
    static String signatureOf(DataType element) {
        return "a" + element.signature() + (innermost(element) instanceof StructType<?> struct
                ? "@" + struct.javaClass().getName() : "");
    }

    @Override
    final long count() {
        return length;
    }

    @Override
    final long handleStride() {
        return contiguous() ? 0 : stride;
    }

    final void checkRange(String param, long from, int count) {
        if (count < 0 || from < 0 || from > length - count) {
            throw new IndexOutOfBoundsException("range [" + param + ", " + param + " + count) out of bounds for length "
                    + length + ": " + param + "=" + from + ", count=" + count);
        }
    }

    static int javaLength(long n) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("range too long for a Java array: length=" + n + ", at most "
                    + (Integer.MAX_VALUE - 8) + "; copy it in parts with copyTo");
        }
        return (int) n;
    }

    /** The element type and length, and for short arrays the elements: {@code c_int[3] [9, 2, 8]}. */
    @Override
    public final String toString() {
        String head = elementType + "[" + length + "]";
        if (!block.isAlive()) {
            return describe(head + " (closed)");
        }
        if (length > 16) {
            return describe(head);
        }
        List<String> shown = new ArrayList<>();
        for (long i = 0; i < length; i++) {
            Object v = loadAt(i * stride);
            shown.add(elementType instanceof CType<?, ?> c ? c.format(v) : String.valueOf(v));
        }
        return describe(head + " " + shown);
    }
}
