package org.multiprocess4j.sharedctypes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A fixed-length C array type, for structure fields: {@code CType.c_int.array(8)} is C's {@code int[8]} and
 * ctypes' {@code c_int * 8}.
 */
public final class ArrayType extends DataType {
    /** The most dimensions an array type has: far more than C code uses, and a bound on what a handle may ask. */
    public static final int MAX_DIMENSIONS = 32;

    private final DataType element;
    private final int length;

    ArrayType(DataType element, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("array length must be >= 0: length=" + length);
        }
        int dimensions = 1;
        for (DataType e = element; e instanceof ArrayType inner; e = inner.element) {
            dimensions++;
        }
        if (dimensions > MAX_DIMENSIONS) {
            throw new IllegalArgumentException("an array type may have at most " + MAX_DIMENSIONS
                    + " dimensions: dimensions=" + dimensions);
        }
        if (element.byteSize() != 0 && length > Long.MAX_VALUE / element.byteSize()) {
            throw new IllegalArgumentException("array too large: length=" + length + " of " + element);
        }
        this.element = element;
        this.length = length;
    }

    /** The element type. */
    public DataType element() {
        return element;
    }

    /** The primitive type at the bottom of this array type's dimensions, or null for an array of structures. */
    CType<?, ?> primitive() {
        DataType e = element;
        while (e instanceof ArrayType inner) {
            e = inner.element;
        }
        return e instanceof CType<?, ?> c ? c : null;
    }

    /** The number of elements. */
    public int length() {
        return length;
    }

    @Override
    public long byteSize() {
        return element.byteSize() * length;
    }

    @Override
    public long byteAlignment() {
        return element.byteAlignment();
    }

    @Override
    String signature() {
        return element.signature() + "[" + length + "]";
    }

    @Override
    void store(MemorySegment segment, long offset, Object value, String param) {
        store(segment, offset, value, param, null);
    }

    /** Stores the elements, the primitive ones with {@code layout} when it is given (a packed or swapped field). */
    void store(MemorySegment segment, long offset, Object value, String param, ValueLayout layout) {
        if (value == null) {
            throw new IllegalArgumentException(param + " must be an array or collection for " + this + ": " + param
                    + "=null");
        }
        List<?> values = Initializers.asList(value);
        if (values == null) {
            throw new IllegalArgumentException(param + " must be an array or collection for " + this + ": " + param
                    + "=" + value + " (" + value.getClass().getSimpleName() + ")");
        }
        if (values.size() > length) {
            throw new IllegalArgumentException(param + " has " + values.size() + " elements, more than the "
                    + length + " of " + this + ": " + param + "=" + value);
        }
        for (int i = 0; i < values.size(); i++) {
            long at = offset + i * element.byteSize();
            String name = param + "[" + i + "]";
            switch (element) {
                case CType<?, ?> c when layout != null -> c.store(segment, at, values.get(i), name, layout);
                case ArrayType a -> a.store(segment, at, values.get(i), name, layout);
                default -> element.store(segment, at, values.get(i), name);
            }
        }
    }

    @Override
    Object load(MemorySegment segment, long offset) {
        return load(segment, offset, null);
    }

    /** Loads the elements, the primitive ones with {@code layout} when it is given. */
    Object load(MemorySegment segment, long offset, ValueLayout layout) {
        List<Object> values = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            long at = offset + i * element.byteSize();
            values.add(switch (element) {
                case CType<?, ?> c when layout != null -> c.load(segment, at, layout);
                case ArrayType a -> a.load(segment, at, layout);
                default -> element.load(segment, at);
            });
        }
        return values;
    }

    @Override
    public String toString() {
        return element + "[" + length + "]";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ArrayType that && signature().equals(that.signature());
    }

    @Override
    public int hashCode() {
        return signature().hashCode();
    }


}
