package org.multiprocess4j.sharedctypes;

/**
 * A C data type with the size and alignment C gives it on this platform (Linux x86-64, LP64): a primitive
 * {@link CType}, a {@link StructType}, or a fixed-length {@link ArrayType} of either.
 */
public abstract sealed class DataType permits CType, StructType, ArrayType {

    DataType() {
    }

    /** The size in bytes, as C's {@code sizeof}. */
    public abstract long byteSize();

    /** The alignment in bytes, as C's {@code _Alignof}. */
    public abstract long byteAlignment();

    /** The C array type of {@code length} elements of this type, as ctypes writes {@code c_int * 8}. */
    public final ArrayType array(int length) {
        return new ArrayType(this, length);
    }

    /** A string that names the layout exactly; two types with equal signatures have identical layouts. */
    abstract String signature();

    /** Validates {@code value} for storing at {@code offset} and stores it; {@code param} names it in errors. */
    abstract void store(java.lang.foreign.MemorySegment segment, long offset, Object value, String param);

    /** Reads the value at {@code offset} in the boxed form {@link #store} accepts. */
    abstract Object load(java.lang.foreign.MemorySegment segment, long offset);
}
