package org.multiprocess4j.sharedctypes;

/**
 * A named field of a {@link StructType}, at the offset C gives it. Typed records ({@link DoubleField},
 * {@link IntField}, {@link StructField}, {@link ArrayField}, {@link BitField}, ...) read and write it in place in
 * any structure of that type; get them with {@link StructType#field(String, Class)} and keep them in {@code static final} fields.
 */
public sealed interface Field
        permits CharField, ByteField, UByteField, ShortField, UShortField, IntField, UIntField, LongField, ULongField,
        FloatField, DoubleField, WCharField, BoolField, StructField, ArrayField, BitField {

    /** The structure type the field belongs to. */
    StructType<?> owner();

    /** The field's name. */
    String name();

    /** The field's C type. */
    DataType type();

    /** The offset from the start of the structure, as C's {@code offsetof}. */
    long offset();
}
