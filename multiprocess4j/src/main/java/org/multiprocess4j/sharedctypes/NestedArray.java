package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.Objects;

/**
 * A shared array whose elements are C arrays: a multi-dimensional array, as C's {@code int grid[2][3]} and ctypes'
 * {@code c_int * 3 * 2}, laid out row after row. {@link #get} returns a typed view of one row, in place
 * ({@link IntArray} for rows of {@code c_int}, another {@code NestedArray} for a third dimension).
 *
 * {@snippet :
 * NestedArray grid = SharedCTypes.rawArray(CType.c_int.array(3), 2);   // c_int * 3 * 2
 * IntArray row = grid.get(1);
 * row.set(2, 7);                                                      // grid[1][2] = 7
 * }
 */
public final class NestedArray extends SharedArray implements Iterable<SharedArray> {
    private final ArrayType rowType;

    NestedArray(ArrayType rowType, SharedBlock block, long base, long length, long stride, ValueLayout layout,
                SharedLock lock, boolean ownsLock) {
        super(rowType, block, base, length, stride, layout, lock, ownsLock);
        this.rowType = rowType;
    }

    /**
     * Attaches to the multi-dimensional array {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle names another kind of object
     * @throws IllegalStateException when the memory no longer exists
     */
    public static NestedArray attach(Handle handle) {
        return SharedCTypes.attachAs(handle, NestedArray.class);
    }

    /** The type of one row. */
    public ArrayType rowType() {
        return rowType;
    }

    /**
     * A view of the row at {@code index}: same memory, lock and lifetime. Its static type is inferred from the
     * assignment ({@code IntArray row = grid.get(0)}); a mismatch is a {@link ClassCastException}.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
     */
    @SuppressWarnings("unchecked")
    public <A extends SharedArray> A get(long index) {
        Objects.checkIndex(index, length);
        return (A) SharedCTypes.arrayView(rowType.element(), block, base + index * stride,
                rowType.length(), layout, lock);
    }

    /**
     * A view of the rows {@code from} (inclusive) to {@code to} (exclusive): same memory, lock and lifetime.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= length()}
     */
    public NestedArray slice(long from, long to) {
        return slice(from, to, 1);
    }

    /**
     * A view of every {@code step}-th row from {@code from} (inclusive) up to {@code to} (exclusive): same memory,
     * lock and lifetime.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= length()}
     * @throws IllegalArgumentException unless {@code step >= 1}
     */
    public NestedArray slice(long from, long to, long step) {
        long n = sliceLength(from, to, step);
        return new NestedArray(rowType, block, base + from * stride, n, sliceStride(n, step), layout, lock,
                false);
    }

    /** Iterates over views of the rows. */
    @Override
    public Iterator<SharedArray> iterator() {
        return elements(this::get);
    }

    /** The raw array under a synchronized one: same memory, no lock. */
    @Override
    public NestedArray getObj() {
        getLock();
        return withLock(null, false);
    }

    @Override
    NestedArray withLock(SharedLock lock, boolean ownsLock) {
        return new NestedArray(rowType, block, base, length, stride, layout, lock, ownsLock);
    }
}
