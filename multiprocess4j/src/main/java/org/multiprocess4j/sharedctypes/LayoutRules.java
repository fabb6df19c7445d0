package org.multiprocess4j.sharedctypes;

import java.nio.ByteOrder;
import java.util.Objects;

/**
 * How a {@link StructType} lays out its fields: as a C {@code struct} or {@code union}, with its natural alignment
 * or packed ({@code #pragma pack(n)}, ctypes' {@code _pack_}), in the platform's byte order or a declared one
 * (ctypes' {@code BigEndianStructure} and {@code LittleEndianStructure}).
 *
 * {@snippet :
 * // #pragma pack(1)  struct wire_header { uint8_t kind; uint32_t length; };  sent big-endian
 * public static final StructType<WireHeader> TYPE = StructType.define(WireHeader::new,
 *         LayoutRules.STRUCTURE.packed(1).bigEndian(),
 *         StructType.field("kind", CType.c_uint8), StructType.field("length", CType.c_uint32));
 * }
 *
 * <p>Fields that packing leaves unaligned, and fields in the other byte order, are read and written in place:
 * primitives, arrays of them, nested structures and arrays of structures at any offset, as ctypes does. Arrays
 * among them have no atomic access (an unaligned or byte-swapped word has none), and such an array, or a structure
 * that packing misaligns, is shared through the enclosing structure's handle, not one of its own. Bit fields in a
 * packed structure follow one another bit by bit across storage units, as GCC places them under
 * {@code #pragma pack}; only bit fields in a packed structure of the other byte order are refused.
 *
 * @param union     whether every field starts at offset 0, as in a C {@code union}
 * @param pack      the largest alignment a field keeps (1, 2, 4, 8 or 16), or 0 for C's natural alignment
 * @param byteOrder the byte order of the fields' values
 */
public record LayoutRules(boolean union, int pack, ByteOrder byteOrder) {
    /** A C {@code struct} with natural alignment in the platform's byte order: ctypes' {@code Structure}. */
    public static final LayoutRules STRUCTURE = new LayoutRules(false, 0, ByteOrder.nativeOrder());
    /** A C {@code union} in the platform's byte order: ctypes' {@code Union}. */
    public static final LayoutRules UNION = new LayoutRules(true, 0, ByteOrder.nativeOrder());

    /**
     * Checks the rules.
     *
     * @throws IllegalArgumentException unless {@code pack} is 0, 1, 2, 4, 8 or 16
     */
    public LayoutRules {
        Objects.requireNonNull(byteOrder, "byteOrder");
        if (pack != 0 && (pack < 0 || pack > 16 || Integer.bitCount(pack) != 1)) {
            throw new IllegalArgumentException("pack must be 0 (natural alignment) or 1, 2, 4, 8 or 16: pack="
                    + pack);
        }
    }

    /** These rules, with no field aligned beyond {@code pack} bytes ({@code #pragma pack(pack)}). */
    public LayoutRules packed(int pack) {
        if (pack == 0) {
            throw new IllegalArgumentException("pack must be 1, 2, 4, 8 or 16: pack=0 (STRUCTURE and UNION have "
                    + "natural alignment already)");
        }
        return new LayoutRules(union, pack, byteOrder);
    }

    /** These rules, with values stored most significant byte first (ctypes' {@code BigEndianStructure}). */
    public LayoutRules bigEndian() {
        return new LayoutRules(union, pack, ByteOrder.BIG_ENDIAN);
    }

    /** These rules, with values stored least significant byte first (ctypes' {@code LittleEndianStructure}). */
    public LayoutRules littleEndian() {
        return new LayoutRules(union, pack, ByteOrder.LITTLE_ENDIAN);
    }

    /** Whether values are stored in the other byte order than this platform's. */
    boolean swapped() {
        return byteOrder != ByteOrder.nativeOrder();
    }

    /** The part of a structure signature that names these rules; empty for {@link #STRUCTURE}. */
    String signature() {
        StringBuilder s = new StringBuilder();
        if (union) {
            s.append('U');
        }
        if (pack != 0) {
            s.append('P').append(pack);
        }
        if (swapped()) {
            s.append(byteOrder == ByteOrder.BIG_ENDIAN ? '>' : '<');
        }
        return s.isEmpty() ? "" : "|" + s;
    }

    @Override
    public String toString() {
        return (union ? "union" : "structure") + (pack != 0 ? ", packed(" + pack + ")" : "")
                + (swapped() ? ", " + byteOrder : "");
    }
}
