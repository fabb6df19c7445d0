package org.multiprocess4j.sharedctypes;

import java.lang.foreign.ValueLayout;

/**
 * A fixed-length array field, such as C's {@code double samples[8]}: {@link #get} returns a typed array view of it
 * in place ({@link DoubleArray} for {@code c_double.array(8)}, {@link StructArray} for an array of structures).
 *
 * @param owner      the structure type the field belongs to
 * @param name       the field's name
 * @param type       the array's type
 * @param offset     the offset from the start of the structure, as C's {@code offsetof}
 * @param structSize the size of the whole structure, as C's {@code sizeof}
 * @param layout     how the primitive elements are read when not with their type's own layout (byte-swapped in a
 *                   structure of the other byte order, byte-aligned where packing misaligns them), else null
 */
public record ArrayField(StructType<?> owner, String name, ArrayType type, long offset, long structSize,
                         ValueLayout layout) implements Field {
    /**
     * Checks the declaration against its structure type.
     *
     * @throws IllegalArgumentException when the offset or size do not fit, or a layout is given for an array that
     *                                  is not of a primitive type or not the layout of that type
     */
    public ArrayField {
        Struct.checkField(owner, name, type, offset, structSize, null, layout);
        if (layout != null && (type.primitive() == null
                || !layout.withOrder(type.primitive().kind.layout.order()).withByteAlignment(
                        type.primitive().kind.layout.byteAlignment()).equals(type.primitive().kind.layout))) {
            throw new IllegalArgumentException("array field " + owner + "." + name + " of " + type
                    + " cannot be read with layout=" + layout);
        }
    }

    /**
     * The array inside {@code struct}: same memory, same lock, same lifetime. The static type is inferred from the
     * assignment ({@code DoubleArray samples = SAMPLES.get(s)}); a mismatch is a {@link ClassCastException}.
     */
    @SuppressWarnings("unchecked")
    public <A extends SharedArray> A get(Struct<?> struct) {
        Struct.checkOwner(struct, this);
        long at = struct.offset + offset;
        ValueLayout elements = layout;
        CType<?, ?> primitive = type.primitive();
        if (elements == null && primitive != null
                && (struct.segment.address() + at) % primitive.byteAlignment() != 0) {
            elements = primitive.kind.layout.withByteAlignment(1); // in a structure that a packed one misaligns
        }
        return (A) SharedCTypes.arrayView(type.element(), struct.block, at, type.length(), elements, struct.lock);
    }

    @Override
    public String toString() {
        return Struct.describe(this);
    }
}
