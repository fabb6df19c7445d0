package org.multiprocess4j.sharedctypes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;


/**
 * A C primitive type, named as ctypes names it, with the typecode Python's {@code array} module uses for it.
 * The type parameters are the classes of shared values and arrays of this type, so that
 * {@code SharedCTypes.rawValue(CType.c_int, 7)} is statically an {@link IntValue} with unboxed accessors.
 *
 * <p>The constants keep ctypes' lower-case names on purpose: code ported from Python reads the same, and each
 * name is the C type it stands for. Sizes are C's on Linux x86-64 (LP64):
 *
 * <table class="striped">
 * <caption>Types, typecodes and their Java representation</caption>
 * <thead><tr><th>token</th><th>typecode</th><th>bytes</th><th>Java value</th></tr></thead>
 * <tbody>
 * <tr><td>{@code c_char}</td><td>{@code c}</td><td>1</td><td>{@code byte}</td></tr>
 * <tr><td>{@code c_byte}, {@code c_int8}</td><td>{@code b}</td><td>1</td><td>{@code byte}</td></tr>
 * <tr><td>{@code c_ubyte}, {@code c_uint8}</td><td>{@code B}</td><td>1</td><td>{@code int} 0..255</td></tr>
 * <tr><td>{@code c_short}, {@code c_int16}</td><td>{@code h}</td><td>2</td><td>{@code short}</td></tr>
 * <tr><td>{@code c_ushort}, {@code c_uint16}</td><td>{@code H}</td><td>2</td><td>{@code int} 0..65535</td></tr>
 * <tr><td>{@code c_int}, {@code c_int32}</td><td>{@code i}</td><td>4</td><td>{@code int}</td></tr>
 * <tr><td>{@code c_uint}, {@code c_uint32}</td><td>{@code I}</td><td>4</td><td>{@code long} 0..2<sup>32</sup>-1</td></tr>
 * <tr><td>{@code c_long}, {@code c_int64}, {@code c_ssize_t}</td><td>{@code l}</td><td>8</td><td>{@code long}</td></tr>
 * <tr><td>{@code c_ulong}, {@code c_uint64}, {@code c_size_t}</td><td>{@code L}</td><td>8</td><td>{@code long}, unsigned bits</td></tr>
 * <tr><td>{@code c_longlong}</td><td>{@code q}</td><td>8</td><td>{@code long}</td></tr>
 * <tr><td>{@code c_ulonglong}</td><td>{@code Q}</td><td>8</td><td>{@code long}, unsigned bits</td></tr>
 * <tr><td>{@code c_float}</td><td>{@code f}</td><td>4</td><td>{@code float}</td></tr>
 * <tr><td>{@code c_double}</td><td>{@code d}</td><td>8</td><td>{@code double}</td></tr>
 * <tr><td>{@code c_wchar}</td><td>{@code u}</td><td>4</td><td>{@code int} code point</td></tr>
 * <tr><td>{@code c_bool}</td><td>{@code ?}</td><td>1</td><td>{@code boolean}</td></tr>
 * </tbody>
 * </table>
 *
 * @param <V> the class of a shared value of this type
 * @param <A> the class of a shared array of this type
 */
public final class CType<V extends SharedValue, A extends SharedArray> extends DataType {
    private static final Map<Character, CType<?, ?>> BY_CODE = new TreeMap<>();

    /** C {@code char}: one byte, typecode {@code 'c'}. */
    public static final CType<CharValue, CharArray> c_char = new CType<>("c_char", 'c', Kind.CHAR);
    /** C {@code wchar_t}: a UTF-32 code unit, typecode {@code 'u'}. */
    public static final CType<WCharValue, WCharArray> c_wchar = new CType<>("c_wchar", 'u', Kind.WCHAR);
    /** C {@code signed char}, typecode {@code 'b'}. */
    public static final CType<ByteValue, ByteArray> c_byte = new CType<>("c_byte", 'b', Kind.BYTE);
    /** C {@code unsigned char}, typecode {@code 'B'}. */
    public static final CType<UByteValue, UByteArray> c_ubyte = new CType<>("c_ubyte", 'B', Kind.UBYTE);
    /** C {@code short}, typecode {@code 'h'}. */
    public static final CType<ShortValue, ShortArray> c_short = new CType<>("c_short", 'h', Kind.SHORT);
    /** C {@code unsigned short}, typecode {@code 'H'}. */
    public static final CType<UShortValue, UShortArray> c_ushort = new CType<>("c_ushort", 'H', Kind.USHORT);
    /** C {@code int}, typecode {@code 'i'}. */
    public static final CType<IntValue, IntArray> c_int = new CType<>("c_int", 'i', Kind.INT);
    /** C {@code unsigned int}, typecode {@code 'I'}. */
    public static final CType<UIntValue, UIntArray> c_uint = new CType<>("c_uint", 'I', Kind.UINT);
    /** C {@code long} (8 bytes on LP64), typecode {@code 'l'}. */
    public static final CType<LongValue, LongArray> c_long = new CType<>("c_long", 'l', Kind.LONG);
    /** C {@code unsigned long} (8 bytes on LP64), typecode {@code 'L'}. */
    public static final CType<ULongValue, ULongArray> c_ulong = new CType<>("c_ulong", 'L', Kind.ULONG);
    /** C {@code long long}, typecode {@code 'q'}. */
    public static final CType<LongValue, LongArray> c_longlong = new CType<>("c_longlong", 'q', Kind.LONG);
    /** C {@code unsigned long long}, typecode {@code 'Q'}. */
    public static final CType<ULongValue, ULongArray> c_ulonglong = new CType<>("c_ulonglong", 'Q', Kind.ULONG);
    /** C {@code float}, typecode {@code 'f'}. */
    public static final CType<FloatValue, FloatArray> c_float = new CType<>("c_float", 'f', Kind.FLOAT);
    /** C {@code double}, typecode {@code 'd'}. */
    public static final CType<DoubleValue, DoubleArray> c_double = new CType<>("c_double", 'd', Kind.DOUBLE);
    /** C {@code _Bool}, typecode {@code '?'}. */
    public static final CType<BoolValue, BoolArray> c_bool = new CType<>("c_bool", '?', Kind.BOOL);

    /** C {@code int8_t}: the same type as {@link #c_byte}, as in ctypes. */
    public static final CType<ByteValue, ByteArray> c_int8 = c_byte;
    /** C {@code uint8_t}: the same type as {@link #c_ubyte}. */
    public static final CType<UByteValue, UByteArray> c_uint8 = c_ubyte;
    /** C {@code int16_t}: the same type as {@link #c_short}. */
    public static final CType<ShortValue, ShortArray> c_int16 = c_short;
    /** C {@code uint16_t}: the same type as {@link #c_ushort}. */
    public static final CType<UShortValue, UShortArray> c_uint16 = c_ushort;
    /** C {@code int32_t}: the same type as {@link #c_int}. */
    public static final CType<IntValue, IntArray> c_int32 = c_int;
    /** C {@code uint32_t}: the same type as {@link #c_uint}. */
    public static final CType<UIntValue, UIntArray> c_uint32 = c_uint;
    /** C {@code int64_t}: the same type as {@link #c_long} on LP64, as in ctypes. */
    public static final CType<LongValue, LongArray> c_int64 = c_long;
    /** C {@code uint64_t}: the same type as {@link #c_ulong} on LP64. */
    public static final CType<ULongValue, ULongArray> c_uint64 = c_ulong;
    /** C {@code size_t}: the same type as {@link #c_ulong} on LP64. */
    public static final CType<ULongValue, ULongArray> c_size_t = c_ulong;
    /** C {@code ssize_t}: the same type as {@link #c_long} on LP64. */
    public static final CType<LongValue, LongArray> c_ssize_t = c_long;

    /** Every typecode, in the order of the error messages. */
    static final String TYPECODES = "cbBhHiIlLqQfdu?";

    private final String name;
    private final char typecode;
    final Kind kind;

    private CType(String name, char typecode, Kind kind) {
        this.name = name;
        this.typecode = typecode;
        this.kind = kind;
        BY_CODE.put(typecode, this);
    }

    /**
     * The type of a typecode.
     *
     * @throws IllegalArgumentException unless {@code typecode} is one of {@code cbBhHiIlLqQfdu?}
     */
    public static CType<?, ?> of(char typecode) {
        CType<?, ?> type = BY_CODE.get(typecode);
        if (type == null) {
            String why = switch (typecode) {
                case 'P', 'z', 'Z' -> " (a pointer means nothing in another process's address space: share the "
                        + "data itself, as an array, or an offset into one)";
                case 'g' -> " (C's long double has no Java type: use 'd', a double)";
                case 'O' -> " (Python objects do not live in shared memory: share their data, or send them through a "
                        + "ChildProcess argument)";
                default -> "";
            };
            throw new IllegalArgumentException("typecode must be one of " + TYPECODES + ": typecode='" + typecode
                    + "'" + why);
        }
        return type;
    }

    /** The typecode, as Python's {@code array} module writes it. */
    public char typecode() {
        return typecode;
    }

    /** The ctypes name, such as {@code c_double}. */
    public String ctypesName() {
        return name;
    }

    @Override
    public long byteSize() {
        return kind.layout.byteSize();
    }

    @Override
    public long byteAlignment() {
        return kind.layout.byteSize();
    }

    @Override
    String signature() {
        return String.valueOf(typecode);
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    void store(MemorySegment segment, long offset, Object value, String param) {
        store(segment, offset, value, param, kind.layout);
    }

    /** Validates {@code value} and stores it with {@code layout}: this type's, possibly byte-swapped or unaligned. */
    void store(MemorySegment segment, long offset, Object value, String param, ValueLayout layout) {
        switch (kind) {
            case CHAR -> segment.set((ValueLayout.OfByte) layout, offset, charByte(value, param));
            case BYTE, UBYTE -> segment.set((ValueLayout.OfByte) layout, offset, (byte) integral(value, param));
            case SHORT, USHORT -> segment.set((ValueLayout.OfShort) layout, offset, (short) integral(value, param));
            case INT, UINT -> segment.set((ValueLayout.OfInt) layout, offset, (int) integral(value, param));
            case LONG -> segment.set((ValueLayout.OfLong) layout, offset, integral(value, param));
            case ULONG -> segment.set((ValueLayout.OfLong) layout, offset, unsignedLong(value, param));
            case FLOAT -> segment.set((ValueLayout.OfFloat) layout, offset, toFloat(value, param));
            case DOUBLE -> segment.set((ValueLayout.OfDouble) layout, offset, floating(value, param));
            case WCHAR -> segment.set((ValueLayout.OfInt) layout, offset, codePoint(value, param));
            case BOOL -> segment.set((ValueLayout.OfBoolean) layout, offset, bool(value, param));
        }
    }

    @Override
    Object load(MemorySegment segment, long offset) {
        return load(segment, offset, kind.layout);
    }

    /** Reads the value at {@code offset} with {@code layout}, in the boxed form {@link #store} accepts. */
    Object load(MemorySegment segment, long offset, ValueLayout layout) {
        return switch (kind) {
            case CHAR, BYTE -> segment.get((ValueLayout.OfByte) layout, offset);
            case UBYTE -> Byte.toUnsignedInt(segment.get((ValueLayout.OfByte) layout, offset));
            case SHORT -> segment.get((ValueLayout.OfShort) layout, offset);
            case USHORT -> Short.toUnsignedInt(segment.get((ValueLayout.OfShort) layout, offset));
            case INT, WCHAR -> segment.get((ValueLayout.OfInt) layout, offset);
            case UINT -> Integer.toUnsignedLong(segment.get((ValueLayout.OfInt) layout, offset));
            case LONG, ULONG -> segment.get((ValueLayout.OfLong) layout, offset);
            case FLOAT -> segment.get((ValueLayout.OfFloat) layout, offset);
            case DOUBLE -> segment.get((ValueLayout.OfDouble) layout, offset);
            case BOOL -> segment.get((ValueLayout.OfBoolean) layout, offset);
        };
    }

    /** How a loaded value reads in {@code toString()}, as ctypes' repr would write it. */
    String format(Object value) {
        return switch (kind) {
            case CHAR -> "b'" + escape((Byte) value) + "'";
            case ULONG -> Long.toUnsignedString((Long) value);
            case WCHAR -> Character.isValidCodePoint((Integer) value) ? "'" + Character.toString((Integer) value) + "'"
                    : "<not a code point: 0x" + Integer.toHexString((Integer) value) + ">";
            case BOOL -> ((Boolean) value) ? "True" : "False";
            default -> String.valueOf(value);
        };
    }

    private static String escape(byte b) {
        int u = Byte.toUnsignedInt(b);
        return u >= 0x20 && u < 0x7F && u != '\'' && u != '\\' ? String.valueOf((char) u) : String.format("\\x%02x", u);
    }

    private IllegalArgumentException wrongType(Object value, String param, String expected) {
        return new IllegalArgumentException(param + " has the wrong type for " + name + ", which takes " + expected
                + ": " + param + "=" + value + " (" + (value == null ? "null" : value.getClass().getSimpleName())
                + ")");
    }

    /** An integer value of this (integer) type, checked against the type's range from the generated table. */
    private long integral(Object value, String param) {
        return integral(value, param, kind);
    }

    /** An integer value checked against {@code range}'s bounds. */
    private long integral(Object value, String param, Kind range) {
        long v;
        if (value instanceof Byte || value instanceof Short || value instanceof Integer || value instanceof Long) {
            v = ((Number) value).longValue();
        } else if (value instanceof BigInteger big && big.bitLength() < 64) {
            v = big.longValue();
        } else if (value instanceof BigInteger) {
            throw range.outOfRange(param, value);
        } else {
            throw wrongType(value, param, "an integer (Byte, Short, Integer, Long or BigInteger)");
        }
        if (!range.inRange(v)) {
            throw range.outOfRange(param, v);
        }
        return v;
    }

    private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

    private long unsignedLong(Object value, String param) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof BigInteger big) {
            if (big.signum() < 0 || big.compareTo(TWO_TO_64) >= 0) {
                throw kind.outOfRange(param, value);
            }
            return big.longValue();
        }
        long v = integral(value, param, Kind.LONG);
        if (v < 0) {
            throw new IllegalArgumentException(kind.outOfRange(param, v).getMessage() + " (a Long holds the upper "
                    + "half as negative longs; a BigInteger or a non-negative number holds any of it)");
        }
        return v;
    }

    private double floating(Object value, String param) {
        if (value instanceof Number n && !(value instanceof BigInteger)) {
            double d = n.doubleValue();
            if (Double.isInfinite(d) && !(value instanceof Double || value instanceof Float)) {
                // a BigDecimal past a double's range: an infinity the caller never asked for
                throw new IllegalArgumentException(param + " out of range for " + name + ": " + param + "=" + value
                        + ", must be within +-" + Double.MAX_VALUE);
            }
            return d;
        }
        throw wrongType(value, param, "a number");
    }

    private float toFloat(Object value, String param) {
        double d = floating(value, param);
        float f = (float) d; // C's conversion: to the nearest float
        if (Double.isFinite(d) && Float.isInfinite(f)) {
            throw new IllegalArgumentException(param + " out of range for c_float: " + param + "=" + d
                    + ", must round to a finite float, as any number within +-" + new java.math.BigDecimal(Float.MAX_VALUE)
                    + " (FLT_MAX) does");
        }
        return f;
    }

    private byte charByte(Object value, String param) {
        if (value instanceof Byte b) {
            return b;
        }
        if (value instanceof byte[] bytes && bytes.length == 1) {
            return bytes[0]; // what Python 3's c_char takes: bytes of length 1
        }
        if (value instanceof Character c && c <= 0xFF) {
            return (byte) c.charValue();
        }
        if (value instanceof Integer || value instanceof Short) {
            return (byte) integral(value, param, Kind.CHAR);
        }
        if (value instanceof String) {
            throw new IllegalArgumentException(param + " for c_char must be one byte, not a String (as in Python 3, "
                    + "where c_char takes bytes, not str): encode it with a charset and pass the byte: " + param + "=\""
                    + value + "\"");
        }
        throw wrongType(value, param, "one byte (a byte[] of length 1, a Byte, an int 0..255, or a char up to "
                + "\\u00ff)");
    }

    private int codePoint(Object value, String param) {
        if (value instanceof Character c) {
            return c;
        }
        if (value instanceof String s && s.codePointCount(0, s.length()) == 1) {
            return s.codePointAt(0);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte || value instanceof Long) {
            return (int) integral(value, param);
        }
        throw wrongType(value, param, "one code point (Character, a 1-code-point String, or an int 0..0x10FFFF)");
    }

    private boolean bool(Object value, String param) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw wrongType(value, param, "a Boolean");
    }
}
