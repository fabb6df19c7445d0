package org.multiprocess4j.sharedctypes;

/**
 * A field that is itself a structure: {@link #get} returns a view of it in place.
 *
 * @param owner      the structure type the field belongs to
 * @param name       the field's name
 * @param type       the nested structure's type
 * @param offset     the offset from the start of the structure, as C's {@code offsetof}
 * @param structSize the size of the whole (outer) structure, as C's {@code sizeof}
 * @param <T>        the class of the nested structure
 */
public record StructField<T extends Struct<T>>(StructType<?> owner, String name, StructType<T> type, long offset,
                                            long structSize) implements Field {
    /**
     * Checks the declaration against its structure type.
     *
     * @throws IllegalArgumentException when the offset or size do not fit
     */
    public StructField {
        Struct.checkField(owner, name, type, offset, structSize, null, null);
    }

    /** The nested structure inside {@code struct}: same memory, same lock, same lifetime. */
    public T get(Struct<?> struct) {
        Struct.checkOwner(struct, this);
        return type.view(struct.block, struct.offset + offset, struct.lock);
    }

    /** Copies {@code value}'s bytes into the nested structure inside {@code struct}; takes the lock when synchronized. */
    public void set(Struct<?> struct, T value) {
        Struct.checkOwner(struct, this);
        type.copyInto(value, struct, offset);
    }

    @Override
    public String toString() {
        return Struct.describe(this);
    }
}
