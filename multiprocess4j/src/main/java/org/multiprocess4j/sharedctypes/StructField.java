package org.multiprocess4j.sharedctypes;

/**
 * A field that is itself a structure: {@link #get} returns a view of it in place.
 *
 * @param <T> the class of the nested structure
 */
public final class StructField<T extends Struct> extends Field {
    private final StructType<T> nested;

    @SuppressWarnings("unchecked")
    StructField(StructType<?> owner, String name, DataType type, long offset) {
        super(owner, name, type, offset);
        this.nested = (StructType<T>) type;
    }

    /** The nested structure inside {@code struct}: same memory, same lock, same lifetime. */
    public T get(Struct struct) {
        check(struct);
        return nested.view(struct.block, struct.offset + offset, struct.lock);
    }

    /** Copies {@code value}'s bytes into the nested structure inside {@code struct}; takes the lock when synchronized. */
    public void set(Struct struct, T value) {
        check(struct);
        nested.copyInto(value, struct, offset);
    }
}
