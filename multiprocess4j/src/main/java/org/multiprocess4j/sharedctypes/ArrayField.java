package org.multiprocess4j.sharedctypes;

/**
 * A fixed-length array field, such as C's {@code double samples[8]}: {@link #get} returns a typed array view of it
 * in place ({@link DoubleArray} for {@code c_double.array(8)}, {@link StructArray} for an array of structures).
 */
public final class ArrayField extends Field {
    ArrayField(StructType<?> owner, String name, DataType type, long offset) {
        super(owner, name, type, offset);
    }

    /**
     * The array inside {@code struct}: same memory, same lock, same lifetime. The static type is inferred from the
     * assignment ({@code DoubleArray samples = SAMPLES.get(s)}); a mismatch is a {@link ClassCastException}.
     */
    @SuppressWarnings("unchecked")
    public <A extends SharedArray> A get(Struct struct) {
        check(struct);
        ArrayType array = (ArrayType) type();
        return (A) SharedCTypes.arrayView(array.element(), struct.block, struct.offset + offset,
                array.length(), struct.lock);
    }
}
