package org.multiprocess4j.zookeeper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.multiprocess4j.sharedctypes.CType;

/**
 * One numeric C type's bytes as C holds them (little-endian here, the byte order of the platforms the library
 * runs on), and as a {@code long}: integers sign- or zero-extended, floating types as their raw bits.
 */
final class CScalar {
    final CType<?, ?> type;
    final int size;
    final boolean floating;
    final boolean unsigned;

    private CScalar(CType<?, ?> type) {
        this.type = type;
        this.size = (int) type.byteSize();
        this.floating = type.typecode() == 'f' || type.typecode() == 'd';
        this.unsigned = "BHILQ".indexOf(type.typecode()) >= 0;
    }

    /**
     * The codec of {@code type}.
     *
     * @throws IllegalArgumentException when the type is not a numeric C type
     */
    static CScalar of(CType<?, ?> type, String parameter) {
        if (type == null || "bBhHiIlLqQfd".indexOf(type.typecode()) < 0) {
            throw new IllegalArgumentException(parameter + " must be a numeric C type (c_byte .. c_ulonglong, "
                    + "c_float, c_double): " + parameter + "=" + type);
        }
        return new CScalar(type);
    }

    /** The type's name for signatures: {@code long} and {@code long long} have one layout on LP64. */
    String signature() {
        return switch (type.typecode()) {
            case 'q' -> "c_long";
            case 'Q' -> "c_ulong";
            default -> type.ctypesName();
        };
    }

    long read(byte[] data, int offset) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        long raw = switch (size) {
            case 1 -> b.get(offset);
            case 2 -> b.getShort(offset);
            case 4 -> b.getInt(offset);
            default -> b.getLong(offset);
        };
        return floating ? (size == 4 ? raw & 0xFFFF_FFFFL : raw) : normalized(raw);
    }

    void write(byte[] data, int offset, long bits) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        switch (size) {
            case 1 -> b.put(offset, (byte) bits);
            case 2 -> b.putShort(offset, (short) bits);
            case 4 -> b.putInt(offset, (int) bits);
            default -> b.putLong(offset, bits);
        }
    }

    byte[] encode(long bits) {
        byte[] data = new byte[size];
        write(data, 0, bits);
        return data;
    }

    /**
     * {@code value}, checked against the type's range.
     *
     * @throws IllegalArgumentException when it is outside
     */
    long inRange(long value) {
        if (size == 8) {
            return value;
        }
        long min = unsigned ? 0 : -(1L << (size * 8 - 1));
        long max = unsigned ? (1L << (size * 8)) - 1 : (1L << (size * 8 - 1)) - 1;
        if (value < min || value > max) {
            throw new IllegalArgumentException("value must be within " + type + "'s range " + min + ".." + max
                    + ": value=" + value);
        }
        return value;
    }

    /** The value wrapped to the type's width, sign- or zero-extended back to a long. */
    long normalized(long v) {
        if (size == 8) {
            return v;
        }
        int shift = 64 - size * 8;
        return unsigned ? (v << shift) >>> shift : (v << shift) >> shift;
    }

    double toDouble(long bits) {
        return size == 4 ? Float.intBitsToFloat((int) bits) : Double.longBitsToDouble(bits);
    }

    long fromDouble(double d) {
        return size == 4 ? Float.floatToRawIntBits((float) d) & 0xFFFF_FFFFL : Double.doubleToRawLongBits(d);
    }

    void requireIntegral(String method, String what) {
        if (floating) {
            throw new UnsupportedOperationException(method + " is for integer types; " + what + " is " + type
                    + ": use " + method + "Double");
        }
    }

    void requireFloating(String method, String what) {
        if (!floating) {
            throw new UnsupportedOperationException(method + " is for c_float and c_double; " + what + " is "
                    + type + ": use " + method.replace("Double", ""));
        }
    }
}
