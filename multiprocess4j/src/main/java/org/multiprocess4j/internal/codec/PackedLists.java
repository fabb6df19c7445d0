package org.multiprocess4j.internal.codec;

import java.io.Serial;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.io.Serializable;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * Unmodifiable lists of boxed primitives packed in a message's bytes, and a list that joins lists end to end: what
 * a pool's {@code map} hands back. A million results are then a few byte arrays, not a million boxes that live as
 * long as the list and that every collection of the young generation copies again; an element is boxed when it is
 * read, and dies young. Each serializes as an {@link ArrayList} of its elements.
 */
public final class PackedLists {
    private PackedLists() {
    }

    /** The elements of {@code parts}, end to end, read through; the parts must not change. */
    public static <E> List<E> concatenation(List<? extends List<? extends E>> parts) {
        return parts.size() == 1 ? java.util.Collections.unmodifiableList(parts.getFirst()) : new Joined<>(parts);
    }

    /** Whether {@code list} is one of these (its elements may be written one by one). */
    static boolean isPacked(List<?> list) {
        return list instanceof Packed<?>;
    }

    /** The common base: unmodifiable, random access, serialized as an ArrayList. */
    private abstract static class Packed<E> extends AbstractList<E> implements RandomAccess, Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        @Serial
        Object writeReplace() {
            return new ArrayList<>(this);
        }

        /** Never one of these from a stream (it is written as an ArrayList): a stream naming one is forged. */
        @Serial
        private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
            throw new java.io.InvalidObjectException("a packed list is never serialized as itself: " + getClass());
        }
    }

    /**
     * Boxed primitives packed little-endian in a message's bytes, read where they lie: {@code size} elements of
     * {@code kind} ({@code Integer}, {@code Long} or {@code Double}) from {@code offset}. The bytes must not change.
     */
    static final class Primitives extends Packed<Object> {
        @Serial
        private static final long serialVersionUID = 1L;
        private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class,
                ByteOrder.LITTLE_ENDIAN);
        private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
                ByteOrder.LITTLE_ENDIAN);
        private final transient Class<?> kind; // serialized by writeReplace, as an ArrayList
        private final transient byte[] bytes;
        private final int offset;
        private final int size;

        Primitives(Class<?> kind, byte[] bytes, int offset, int size) {
            this.kind = kind;
            this.bytes = bytes;
            this.offset = offset;
            this.size = size;
        }

        @Override
        public Object get(int index) {
            java.util.Objects.checkIndex(index, size);
            if (kind == Integer.class) {
                return (int) INT.get(bytes, offset + 4 * index);
            }
            long bits = (long) LONG.get(bytes, offset + 8 * index);
            return kind == Long.class ? (Object) bits : (Object) Double.longBitsToDouble(bits);
        }

        @Override
        public int size() {
            return size;
        }
    }

    /** Lists end to end: an element is found by the parts' start offsets (directly when all but the last are alike). */
    private static final class Joined<E> extends Packed<E> {
        @Serial
        private static final long serialVersionUID = 1L;
        private final transient List<? extends E>[] parts; // serialized by writeReplace, as an ArrayList
        /** Where each part starts; one more entry: the size. */
        private final int[] starts;
        /** The size of every part but the last, when they are all alike; 0 otherwise. */
        private final int stride;

        @SuppressWarnings("unchecked")
        Joined(List<? extends List<? extends E>> parts) {
            this.parts = (List<? extends E>[]) parts.toArray(new List<?>[0]);
            this.starts = new int[this.parts.length + 1];
            boolean alike = this.parts.length > 0;
            for (int i = 0; i < this.parts.length; i++) {
                starts[i + 1] = Math.addExact(starts[i], this.parts[i].size());
                alike &= i == this.parts.length - 1 || this.parts[i].size() == this.parts[0].size();
            }
            this.stride = alike ? this.parts[0].size() : 0;
        }

        @Override
        public E get(int index) {
            if (index < 0 || index >= size()) {
                throw new IndexOutOfBoundsException("index " + index + " of a list of " + size());
            }
            int part;
            if (stride > 0) {
                part = Math.min(index / stride, parts.length - 1);
            } else {
                part = Arrays.binarySearch(starts, index);
                part = part >= 0 ? part : -part - 2;
                while (parts[part].isEmpty()) {
                    part++; // empty parts share their start with the next
                }
            }
            return parts[part].get(index - starts[part]);
        }

        @Override
        public int size() {
            return starts[parts.length];
        }
    }
}
