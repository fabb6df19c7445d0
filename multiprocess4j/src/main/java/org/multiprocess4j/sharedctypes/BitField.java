package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A C bit field, such as {@code unsigned int flags : 3}: {@code bitWidth} bits of an integer storage unit of the
 * field's type, read and written in place, in any structure of its type. Declared with
 * {@link StructType#field(String, CType, int)} as ctypes declares {@code ('flags', c_uint, 3)}, and laid out as
 * GCC lays it out on x86-64 and aarch64 Linux: after the previous bit field unless that would cross a boundary of
 * the type's size, in which case at the next one; in a packed structure always right after the previous one, even
 * across storage units (read byte by byte then, {@link #BYTES}). Python's ctypes before 3.12 places some mixed-type
 * and packed bit fields differently from C; this library follows C.
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
 *                   byte order; or {@link #BYTES} in a packed structure, where GCC places a bit field at the next
 *                   free bit even across storage units, and {@code offset} and {@code bitOffset} name its first
 *                   byte and bit
 */
public record BitField(StructType<?> owner, String name, CType<?, ?> type, long offset, long structSize,
                       int bitOffset, int bitWidth, ValueLayout layout) implements Field {
    /** The layout of a bit field of a packed structure: read and written byte by byte, least significant first. */
    public static final ValueLayout BYTES = ValueLayout.JAVA_BYTE.withName("bytes");

    /**
     * Checks the declaration against its structure type.
     *
     * @throws IllegalArgumentException when the type is not an integer type, the bits do not fit the storage unit,
     *                                  or the unit does not fit the structure
     */
    public BitField {
        checkBitType(owner.toString(), name, type);
        if (BYTES.equals(layout)) {
            checkPacked(owner, name, type, offset, structSize, bitOffset, bitWidth);
        } else {
            checkInUnit(owner, name, type, offset, structSize, bitOffset, bitWidth, layout);
        }
    }

    /** A packed structure's bit field: any first bit, across storage units, within the structure. */
    private static void checkPacked(StructType<?> owner, String name, CType<?, ?> type, long offset,
                                    long structSize, int bitOffset, int bitWidth) {
        if (bitWidth < 1 || bitWidth > type.byteSize() * 8 || bitOffset < 0 || bitOffset > 7 || offset < 0
                || structSize != owner.byteSize() || offset > structSize - (bitOffset + bitWidth + 7) / 8) {
            throw new IllegalArgumentException("bit field " + owner + "." + name + " does not fit its packed "
                    + "structure: offset=" + offset + ", bitOffset=" + bitOffset + ", bitWidth=" + bitWidth
                    + ", structSize=" + structSize);
        }
    }

    /** Any other bit field: within one storage unit of its type, read with the type's layout. */
    private static void checkInUnit(StructType<?> owner, String name, CType<?, ?> type, long offset,
                                    long structSize, int bitOffset, int bitWidth, ValueLayout layout) {
        Struct.checkField(owner, name, type, offset, structSize, null, null);
        int unitBits = (int) type.byteSize() * 8;
        if (bitWidth < 1 || bitWidth > unitBits || bitOffset < 0 || bitOffset > unitBits - bitWidth) {
            throw new IllegalArgumentException("bit field " + owner + "." + name + " does not fit its " + type
                    + " storage unit: bitOffset=" + bitOffset + ", bitWidth=" + bitWidth + "; the unit has " + unitBits
                    + " bits");
        }
        ValueLayout own = type.kind.layout;
        if (layout == null || layout.carrier() != own.carrier()
                || !layout.withOrder(own.order()).withByteAlignment(own.byteAlignment()).equals(own)) {
            throw new IllegalArgumentException("bit field " + owner + "." + name + " must be read with its type's "
                    + "layout in either byte order, or BitField.BYTES: layout=" + layout);
        }
    }

    static void checkBitType(String owner, String name, DataType type) {
        if (!(type instanceof CType<?, ?> c) || !c.kind.integral || c.kind == Kind.CHAR || c.kind == Kind.WCHAR) {
            throw new IllegalArgumentException("a bit field's type must be a C integer type (c_byte .. c_ulonglong, "
                    + "signed or unsigned; c_bool bit fields, which C and ctypes allow, are not offered here: a "
                    + "c_ubyte field of 1 bit holds the same): field " + owner + "." + name + " has type=" + type);
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
        if (BYTES.equals(layout)) {
            return loadBytes(segment, structOffset + offset);
        }
        long unit = readUnit(segment, structOffset + offset);
        long bits = unit << (64 - bitOffset - bitWidth); // the field's top bit becomes bit 63
        return signed() ? bits >> (64 - bitWidth) : bits >>> (64 - bitWidth);
    }

    /** Validates a boxed value and stores it (the initializer path). */
    void store(MemorySegment segment, long structOffset, Object value, String param) {
        long v;
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            v = ((Number) value).longValue();
        } else if (value instanceof java.math.BigInteger big) {
            if (signed() ? big.bitLength() > bitWidth - 1 : big.signum() < 0 || big.bitLength() > bitWidth) {
                throw doesNotFit(param, big);
            }
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
            throw doesNotFit(param, value);
        }
    }

    private IllegalArgumentException doesNotFit(String param, Object value) {
        return new IllegalArgumentException(param + " does not fit bit field " + owner + "." + name + " ("
                + bitWidth + " bits of " + type + "): " + param + "=" + value + ", must be in " + range());
    }

    private String range() {
        if (signed()) {
            return bitWidth == 64 ? Kind.LONG.range() : -(1L << (bitWidth - 1)) + ".." + ((1L << (bitWidth - 1)) - 1);
        }
        return bitWidth == 64 ? Kind.ULONG.range() : "0.." + ((1L << bitWidth) - 1);
    }

    /** The value of a packed bit field: its bits gathered from up to 9 bytes, least significant byte first. */
    private long loadBytes(MemorySegment segment, long at) {
        int n = (bitOffset + bitWidth + 7) / 8;
        long low = 0;
        for (int i = 0; i < Math.min(n, 8); i++) {
            low |= (segment.get(ValueLayout.JAVA_BYTE, at + i) & 0xFFL) << (8 * i);
        }
        long high = n == 9 ? segment.get(ValueLayout.JAVA_BYTE, at + 8) & 0xFFL : 0;
        long bits = low >>> bitOffset | (bitOffset == 0 ? 0 : high << (64 - bitOffset));
        bits <<= 64 - bitWidth; // the field's top bit becomes bit 63
        return signed() ? bits >> (64 - bitWidth) : bits >>> (64 - bitWidth);
    }

    /** Writes a packed bit field's bits into its bytes, leaving the other bits of those bytes as they were. */
    private void storeBytes(MemorySegment segment, long at, long value) {
        int n = (bitOffset + bitWidth + 7) / 8;
        long mask = bitWidth == 64 ? -1L : (1L << bitWidth) - 1;
        long v = value & mask;
        for (int i = 0; i < n; i++) {
            int shift = 8 * i - bitOffset; // where byte i starts in the field's bits
            long fieldBits = shift >= 0 ? (shift >= 64 ? 0 : v >>> shift) : v << -shift;
            long fieldMask = shift >= 0 ? (shift >= 64 ? 0 : mask >>> shift) : mask << -shift;
            byte old = segment.get(ValueLayout.JAVA_BYTE, at + i);
            segment.set(ValueLayout.JAVA_BYTE, at + i, (byte) (old & ~fieldMask | fieldBits & fieldMask));
        }
    }

    private void storeChecked(MemorySegment segment, long structOffset, long value) {
        long at = structOffset + offset;
        if (BYTES.equals(layout)) {
            storeBytes(segment, at, value);
            return;
        }
        long mask = (bitWidth == 64 ? -1L : (1L << bitWidth) - 1) << bitOffset;
        long unit = readUnit(segment, at);
        writeUnit(segment, at, (unit & ~mask) | ((value << bitOffset) & mask));
    }

    private long readUnit(MemorySegment segment, long at) {
        if (BYTES.equals(layout)) {
            throw new IllegalStateException("a packed bit field has no storage unit");
        }
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
