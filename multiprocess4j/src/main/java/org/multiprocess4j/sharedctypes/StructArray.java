package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.util.Iterator;
import java.util.Objects;

/**
 * A shared array of C structures. {@link #get} returns a view of one element, through which its fields are read
 * and written in place; iterating yields such views.
 *
 * @param <S> the Java class that views the structures
 */
public final class StructArray<S extends Struct<S>> extends SharedArray implements Iterable<S> {
    private final StructType<S> type;

    StructArray(StructType<S> type, SharedBlock block, long base, long length, long stride, SharedLock lock,
                boolean ownsLock) {
        super(type, block, base, length, stride, null, lock, ownsLock);
        this.type = type;
    }

    /**
     * Attaches to the array of {@code type} structures {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle names another kind of object or another layout
     * @throws IllegalStateException when the memory no longer exists
     */
    public static <S extends Struct<S>> StructArray<S> attach(Handle handle, StructType<S> type) {
        return Events.attaching(handle, () -> attachUnrecorded(handle, type));
    }

    @SuppressWarnings("unchecked")
    private static <S extends Struct<S>> StructArray<S> attachUnrecorded(Handle handle, StructType<S> type) {
        StructArray<?> array = SharedCTypes.attachAs(handle, StructArray.class);
        if (array.type != type) {
            String found = String.valueOf(array.type);
            array.close();
            throw new IllegalArgumentException("handle names an array of " + found + ", not of type=" + type);
        }
        return (StructArray<S>) array;
    }

    /** The structure type of the elements. */
    public StructType<S> structType() {
        return type;
    }

    /**
     * A view of the element at {@code index}: its field accesses take this array's lock when it is synchronized.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
     */
    public S get(long index) {
        Objects.checkIndex(index, length);
        if (contiguous()) {
            return type.viewElement(block, base, index, lock);
        }
        return type.view(block, base + index * stride, lock);
    }

    /**
     * Copies {@code value}'s bytes into the element at {@code index}; takes the lock when synchronized.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= index < length()}
     */
    public void set(long index, S value) {
        Objects.checkIndex(index, length);
        setValue(index, value);
    }

    /**
     * A view of the elements {@code from} (inclusive) to {@code to} (exclusive): same memory, lock and lifetime.
     * Unlike Python's {@code a[from:to]}, which copies, writes through the view change this array.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= length()}
     */
    public StructArray<S> slice(long from, long to) {
        return slice(from, to, 1);
    }

    /**
     * A view of every {@code step}-th element from {@code from} (inclusive) up to {@code to} (exclusive), as
     * Python's {@code a[from:to:step]} selects them: same memory, lock and lifetime.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= length()}
     * @throws IllegalArgumentException unless {@code step >= 1}
     */
    public StructArray<S> slice(long from, long to, long step) {
        long n = sliceLength(from, to, step);
        return new StructArray<>(type, block, base + from * stride, n, sliceStride(n, step), lock, false);
    }

    /** Iterates over views of the elements. */
    @Override
    public Iterator<S> iterator() {
        return elements(this::get);
    }

    /** The raw array under a synchronized one: same memory, no lock. */
    @Override
    public StructArray<S> getObj() {
        getLock();
        return withLock(null, false);
    }

    @Override
    StructArray<S> withLock(SharedLock lock, boolean ownsLock) {
        return new StructArray<>(type, block, base, length, stride, lock, ownsLock);
    }
}
