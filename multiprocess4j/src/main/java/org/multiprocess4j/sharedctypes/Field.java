package org.multiprocess4j.sharedctypes;

/**
 * A named field of a {@link StructType}, at the offset C gives it. Typed subclasses ({@link DoubleField},
 * {@link IntField}, {@link StructField}, {@link ArrayField}, ...) read and write it in place in any structure of
 * that type; get them with {@link StructType#field(String, Class)} and keep them in {@code static final} fields.
 */
public abstract sealed class Field
        permits CharField, ByteField, UByteField, ShortField, UShortField, IntField, UIntField, LongField, ULongField,
        FloatField, DoubleField, WCharField, BoolField, StructField, ArrayField {

    private final StructType<?> owner;
    private final String name;
    private final DataType type;
    /** The offset from the start of the structure, as C's {@code offsetof}. */
    final long offset;

    Field(StructType<?> owner, String name, DataType type, long offset) {
        this.owner = owner;
        this.name = name;
        this.type = type;
        this.offset = offset;
    }

    /** The field's name. */
    public final String name() {
        return name;
    }

    /** The field's C type. */
    public final DataType type() {
        return type;
    }

    /** The offset from the start of the structure, as C's {@code offsetof}. */
    public final long offset() {
        return offset;
    }

    final void check(Struct struct) {
        if (struct.type != owner) {
            throw new IllegalArgumentException("field " + owner + "." + name + " does not belong to struct="
                    + (struct.type == null ? struct.getClass().getSimpleName() + " that is not in shared memory"
                    + " (create structures with SharedCTypes, not new)" : struct.type));
        }
    }

    @Override
    public final String toString() {
        return owner + "." + name + ": " + type + " at offset " + offset;
    }
}
