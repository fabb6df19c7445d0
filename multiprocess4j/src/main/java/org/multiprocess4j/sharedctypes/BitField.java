package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A C bit field, such as {@code unsigned int flags : 3}: {@code bitWidth} bits of an integer storage unit of the
 * field's type, read and written in place, in any structure of its type. Declared with
 * {@link StructType#field(String, CType, int)} as ctypes declares {@code ('flags', c_uint, 3)}, and laid out as
 * GCC lays it out on x86-64 and aarch64 Linux: after the previous bit field unless that would cross a boundary of
 * the type's size, in which case at the next one.
 *
 * <p>Values are {@code long}s: a signed type's field reads sign-extended, an unsigned one's as a non-negative
 * number (a 64-bit unsigned field reads its bits as {@link Long#toUnsignedString(long)} expects). A value that
 * does not fit the width is refused, where C and ctypes silently keep only the low bits.
 *
 * <p>Writing a bit field reads and rewrites its whole storage unit, as in C: two threads or processes writing
 * different bit fields of one unit of a raw structure at the same time can lose one of the writes. A synchronized
 * structure takes its lock for every access, which makes them safe.
 *
 * @param owner      the structure type the field belongs to
 * @param name       the field's name
 * @param type       the declared integer type, whose size is the storage unit's
 * @param offset     the offset of the storage unit from the start of the structure
 * @param structSize the size of the whole structure, as C's {@code sizeof}
 * @param bitOffset  the position of the field's lowest bit in the storage unit read as an integer
 * @param bitWidth   the number of bits
 * @param layout     how the storage unit is read: the type's layout, byte-swapped in a structure of the other
 *                   byte order
 */
public record BitField(StructType<?> owner, String name, CType<?, ?> type, long offset, long structSize,
                       int bitOffset, int bitWidth, ValueLayout layout) implements Field {
    /**
     * Checks the declaration against its structure type.
     *
     * @throws IllegalArgumentException when the type is not an integer type, the bits do not fit the storage unit,
     *                                  or the unit does not fit the structure
     */
    public BitField {
        Struct.checkField(owner, name, type, offset, structSize, null, null);
        checkBitType(owner.toString(), name, type);
        int unitBits = (int) type.byteSize() * 8;
        if (bitWidth < 1 || bitWidth > unitBits || bitOffset < 0 || bitOffset > unitBits - bitWidth) {
            throw new IllegalArgumentException("bit field " + owner + "." + name + " does not fit its " + type
                    + " storage unit: bitOffset=" + bitOffset + ", bitWidth=" + bitWidth + "; the unit has " + unitBits
                    + " bits");
        }
        if (layout == null || layout.carrier() != type.kind.layout.carrier() || !layout.withOrder(
                type.kind.layout.order()).withByteAlignment(type.kind.layout.byteAlignment()).equals(type.kind.layout)) {
            throw new IllegalArgumentException("bit field " + owner + "." + name + " must be read with its type's "
                    + "layout in either byte order: layout=" + layout);
        }
    }

    static void checkBitType(String owner, String name, DataType type) {
        if (!(type instanceof CType<?, ?> c) || !c.kind.integral || c.kind == Kind.CHAR || c.kind == Kind.WCHAR) {
            throw new IllegalArgumentException("a bit field's type must be a C integer type (c_byte .. c_ulonglong, "
                    + "signed or unsigned), as in C and ctypes: field " + owner + "." + name + " has type=" + type);
        }
    }

    /** Whether the declared type is signed, so that the field's value is sign-extended. */
    private boolean signed() {
        return type.kind.min < 0;
    }

    /** The field's value in {@code struct}; takes the structure's lock when it is synchronized. */
    public long get(Struct<?> struct) {
        Struct.checkOwner(struct, this);
        SharedLock l = struct.lock;
        if (l == null || l.isHeldByCurrentThread()) {
            return load(struct.segment, struct.offset);
        }
        l.lock();
        try {
            return load(struct.segment, struct.offset);
        } finally {
            l.unlock();
        }
    }

    /**
     * Sets the field in {@code struct}, leaving the other bits of its storage unit as they are; takes the
     * structure's lock when it is synchronized.
     *
     * @throws IllegalArgumentException when {@code value} does not fit in {@code bitWidth} bits of the type's
     *                                  signedness
     */
    public void set(Struct<?> struct, long value) {
        checkValue(value, "value");
        Struct.checkOwner(struct, this);
        SharedLock l = struct.lock;
        if (l == null || l.isHeldByCurrentThread()) {
            storeChecked(struct.segment, struct.offset, value);
            return;
        }
        l.lock();
        try {
            storeChecked(struct.segment, struct.offset, value);
        } finally {
            l.unlock();
        }
    }

    /** The value in the structure that starts at {@code structOffset} in {@code segment}. */
    long load(MemorySegment segment, long structOffset) {
        long unit = readUnit(segment, structOffset + offset);
        long bits = unit << (64 - bitOffset - bitWidth); // the field's top bit becomes bit 63
        return signed() ? bits >> (64 - bitWidth) : bits >>> (64 - bitWidth);
    }

    /** Validates a boxed value and stores it (the initializer path). */
    void store(MemorySegment segment, long structOffset, Object value, String param) {
        long v;
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            v = ((Number) value).longValue();
        } else if (value instanceof java.math.BigInteger big && big.signum() >= 0 && big.bitLength() <= 64
                && !signed()) {
            v = big.longValue();
        } else {
            throw new IllegalArgumentException(param + " for bit field " + owner + "." + name + " must be an integer "
                    + "(Byte, Short, Integer, Long or BigInteger): " + param + "=" + value + " ("
                    + (value == null ? "null" : value.getClass().getSimpleName()) + ")");
        }
        checkValue(v, param);
        storeChecked(segment, structOffset, v);
    }

    private void checkValue(long value, String param) {
        boolean fits;
        if (signed()) {
            fits = bitWidth == 64 || (value >= -(1L << (bitWidth - 1)) && value < (1L << (bitWidth - 1)));
        } else {
            fits = bitWidth == 64 || (value >= 0 && value < (1L << bitWidth));
        }
        if (!fits) {
            throw new IllegalArgumentException(param + " does not fit bit field " + owner + "." + name + " ("
                    + bitWidth + " bits of " + type + "): " + param + "=" + value + ", must be in " + range());
        }
    }

    private String range() {
        if (signed()) {
            return bitWidth == 64 ? Kind.LONG.range() : -(1L << (bitWidth - 1)) + ".." + ((1L << (bitWidth - 1)) - 1);
        }
        return bitWidth == 64 ? Kind.ULONG.range() : "0.." + ((1L << bitWidth) - 1);
    }

    private void storeChecked(MemorySegment segment, long structOffset, long value) {
        long at = structOffset + offset;
        long mask = (bitWidth == 64 ? -1L : (1L << bitWidth) - 1) << bitOffset;
        long unit = readUnit(segment, at);
        writeUnit(segment, at, (unit & ~mask) | ((value << bitOffset) & mask));
    }

    private long readUnit(MemorySegment segment, long at) {
        return switch (layout) {
            case ValueLayout.OfByte b -> segment.get(b, at);
            case ValueLayout.OfShort s -> segment.get(s, at);
            case ValueLayout.OfInt i -> segment.get(i, at);
            case ValueLayout.OfLong j -> segment.get(j, at);
            default -> throw new IllegalStateException("not an integer layout: " + layout); // the constructor refuses it
        };
    }

    private void writeUnit(MemorySegment segment, long at, long unit) {
        switch (layout) {
            case ValueLayout.OfByte b -> segment.set(b, at, (byte) unit);
            case ValueLayout.OfShort s -> segment.set(s, at, (short) unit);
            case ValueLayout.OfInt i -> segment.set(i, at, (int) unit);
            case ValueLayout.OfLong j -> segment.set(j, at, unit);
            default -> throw new IllegalStateException("not an integer layout: " + layout);
        }
    }

    @Override
    public String toString() {
        return owner + "." + name + ": " + type + " : " + bitWidth + " at offset " + offset + ", bit " + bitOffset;
    }
}
