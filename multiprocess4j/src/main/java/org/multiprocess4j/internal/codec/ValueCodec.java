package org.multiprocess4j.internal.codec;

import org.multiprocess4j.internal.process.Bootstrap;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Values in a compact tagged form, for messages between processes: what a pool's tasks take and give most often
 * (null, boxed primitives, strings, byte arrays, and lists of them, as {@code map} passes) without the cost of Java
 * serialization, which everything else falls back to. A list comes back as an {@link ArrayList}; one written by
 * {@link #writeList} whose elements are all {@code Integer}s, {@code Long}s or {@code Double}s is packed as an
 * array and comes back as an unmodifiable list over it ({@link PackedLists}).
 *
 * <pre>
 *   NULL | INT i32 | LONG i64 | DOUBLE f64 | TRUE | FALSE | STRING n:i32 utf-8[n] | BYTES n:i32 [n]
 *   | LIST n:i32 value[n] | SERIALIZED n:i32 [n] (Java serialization; shared objects as their handles)
 *   | INTS n:i32 i32[n] | LONGS n:i32 i64[n] | DOUBLES n:i32 f64[n]
 * </pre>
 *
 * <p>Little-endian. Reading treats the bytes as hostile: every length is checked against what is left, and a
 * malformed message is an {@link IOException}, never an out-of-bounds error.
 */
public final class ValueCodec {
    private static final byte NULL = 0;
    private static final byte INT = 1;
    private static final byte LONG = 2;
    private static final byte DOUBLE = 3;
    private static final byte TRUE = 4;
    private static final byte FALSE = 5;
    private static final byte STRING = 6;
    private static final byte BYTES = 7;
    private static final byte LIST = 8;
    private static final byte SERIALIZED = 9;
    private static final byte INTS = 10;
    private static final byte LONGS = 11;
    private static final byte DOUBLES = 12;
    /** How deep lists may nest in a message read. */
    private static final int MAX_DEPTH = 64;

    private static final VarHandle INTS_VIEW = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONGS_VIEW = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private ValueCodec() {
    }

    /** A growable byte buffer that values are written to. */
    public static final class Out {
        private byte[] bytes;
        private int size;

        public Out(int capacity) {
            bytes = new byte[Math.max(16, capacity)];
        }

        private int reserve(int count) {
            if (bytes.length - size < count) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + count));
            }
            int at = size;
            size += count;
            return at;
        }

        // Each reserves first and only then reads the field: reserving may replace the array.

        public Out writeByte(int b) {
            int at = reserve(1);
            bytes[at] = (byte) b;
            return this;
        }

        public Out writeInt(int v) {
            int at = reserve(4);
            INTS_VIEW.set(bytes, at, v);
            return this;
        }

        public Out writeLong(long v) {
            int at = reserve(8);
            LONGS_VIEW.set(bytes, at, v);
            return this;
        }

        public Out writeBytes(byte[] b) {
            writeInt(b.length);
            int at = reserve(b.length);
            System.arraycopy(b, 0, bytes, at, b.length);
            return this;
        }

        /** Writes {@code b} as it is, without its length. */
        public Out writeRaw(byte[] b) {
            int at = reserve(b.length);
            System.arraycopy(b, 0, bytes, at, b.length);
            return this;
        }

        /**
         * The bytes written so far: the buffer itself when they fill it (a later write moves to a new one, so the
         * array returned never changes), else a copy.
         */
        public byte[] toByteArray() {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }

    }

    /** A message being read, refusing to read past its end. */
    public static final class In {
        private final byte[] bytes;
        private int at;

        public In(byte[] bytes) {
            this.bytes = bytes;
        }

        /**
         * A message that starts {@code from} bytes into {@code bytes}.
         *
         * @throws IndexOutOfBoundsException when {@code from} is not within {@code bytes}
         */
        public In(byte[] bytes, int from) {
            this.bytes = bytes;
            this.at = Objects.checkIndex(from, bytes.length + 1);
        }

        private int take(long count) throws IOException {
            if (count < 0 || count > bytes.length - at) {
                throw new IOException("malformed message: " + count + " bytes wanted at " + at + " of "
                        + bytes.length);
            }
            int from = at;
            at += (int) count;
            return from;
        }

        public byte readByte() throws IOException {
            return bytes[take(1)];
        }

        public int readInt() throws IOException {
            return (int) INTS_VIEW.get(bytes, take(4));
        }

        public long readLong() throws IOException {
            return (long) LONGS_VIEW.get(bytes, take(8));
        }

        public byte[] readBytes() throws IOException {
            int n = readInt();
            int from = take(n);
            return Arrays.copyOfRange(bytes, from, from + n);
        }

        /** Whether every byte has been read. */
        public boolean atEnd() {
            return at == bytes.length;
        }
    }

    /**
     * Writes {@code value}; a value of another type than those with a tag of their own is serialized, with every
     * object nested in it for which {@code handleOf} gives a handle written as that handle.
     *
     * @throws IOException when it must be serialized and cannot be
     */
    public static void write(Out out, Object value, Function<Object, String> handleOf) throws IOException {
        write(out, value, handleOf, 0);
    }

    /**
     * Lists nested deeper than {@link #MAX_DEPTH} are serialized whole at that depth, as reading refuses deeper
     * lists: so every value written can be read, and a list that contains itself is serialized (Java serialization
     * keeps the cycle) instead of recursing for ever. A string with an unpaired surrogate is serialized too: UTF-8
     * would replace it.
     */
    private static void write(Out out, Object value, Function<Object, String> handleOf, int depth)
            throws IOException {
        // instanceof, not a pattern switch: a cold worker's first result would pay the switch's bootstrap
        if (value == null) {
            out.writeByte(NULL);
        } else if (value instanceof Integer i) {
            out.writeByte(INT).writeInt(i);
        } else if (value instanceof Long l) {
            out.writeByte(LONG).writeLong(l);
        } else if (value instanceof Double d) {
            out.writeByte(DOUBLE).writeLong(Double.doubleToRawLongBits(d));
        } else if (value instanceof Boolean b) {
            out.writeByte(b ? TRUE : FALSE);
        } else if (value instanceof String s && !hasUnpairedSurrogate(s)) {
            out.writeByte(STRING).writeBytes(s.getBytes(StandardCharsets.UTF_8));
        } else if (value instanceof byte[] b) {
            out.writeByte(BYTES).writeBytes(b);
        } else if (value instanceof List<?> list && plainList(list) && depth < MAX_DEPTH - 1) {
            out.writeByte(LIST).writeInt(list.size());
            for (Object element : list) {
                write(out, element, handleOf, depth + 1);
            }
        } else {
            out.writeByte(SERIALIZED).writeBytes(Bootstrap.serialize(value, handleOf));
        }
    }

    /** A packed list of {@code kind}, {@code size} bytes an element, read where it lies in the message. */
    private static List<Object> packed(In in, Class<?> kind, int size) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > (in.bytes.length - in.at) / size) {
            throw new IOException("malformed message: a packed list of " + n + " elements of " + size + " bytes, "
                    + (in.bytes.length - in.at) + " bytes left");
        }
        return new PackedLists.Primitives(kind, in.bytes, in.take((long) n * size), n);
    }

    /** A Long's value, or a Double's bits. */
    private static long bits(Object longOrDouble) {
        return longOrDouble instanceof Long l ? l : Double.doubleToRawLongBits((Double) longOrDouble);
    }

    /**
     * Whether {@code s} holds a surrogate that is not half of a pair: UTF-8 cannot carry it (an encoder writes
     * {@code ?} in its place), so such a string travels by Java serialization instead.
     */
    public static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** A list whose elements may go one by one: one of the JDK's, or ArrayList (a user's subclass is serialized). */
    private static boolean plainList(List<?> list) {
        Class<?> c = list.getClass();
        return c == ArrayList.class || PackedLists.isPacked(list) || c.getName().startsWith("java.util.ImmutableCollections$")
                || c.getName().equals("java.util.Arrays$ArrayList");
    }

    /**
     * Writes elements {@code from} (inclusive) to {@code to} of {@code list} as one list: packed, when they are all
     * {@code Integer}s, all {@code Long}s or all {@code Double}s; else element by element, as {@link #write} writes a
     * list. Read back, it is a list of those elements (unmodifiable, when packed).
     *
     * @throws IOException when an element must be serialized and cannot be
     */
    public static void writeList(Out out, List<?> list, int from, int to, Function<Object, String> handleOf)
            throws IOException {
        int n = to - from;
        int start = out.size; // a list that turns out mixed is written again from here
        Object first = n == 0 ? null : list.get(from);
        if (first instanceof Integer || first instanceof Long || first instanceof Double) {
            boolean ints = first instanceof Integer;
            out.writeByte(ints ? INTS : first instanceof Long ? LONGS : DOUBLES).writeInt(n);
            int at = out.reserve(Math.multiplyExact(n, ints ? 4 : 8));
            // One pass, the kind checked as it goes: a list that turns out mixed is written again, element-wise.
            int i = 0;
            if (first instanceof Integer) {
                for (; i < n && list.get(from + i) instanceof Integer e; i++) {
                    INTS_VIEW.set(out.bytes, at + 4 * i, (int) e);
                }
            } else if (first instanceof Long) {
                for (; i < n && list.get(from + i) instanceof Long e; i++) {
                    LONGS_VIEW.set(out.bytes, at + 8 * i, (long) e);
                }
            } else {
                for (; i < n && list.get(from + i) instanceof Double e; i++) {
                    LONGS_VIEW.set(out.bytes, at + 8 * i, Double.doubleToRawLongBits(e));
                }
            }
            if (i == n) {
                return;
            }
            out.size = start;
        }
        out.writeByte(LIST).writeInt(n);
        for (int i = from; i < to; i++) {
            write(out, list.get(i), handleOf, 1);
        }
    }

    /**
     * Writes {@code fn} applied to each of {@code items}, as {@link #writeList} writes a list of the results, calling
     * {@code fn} once per item in order. Results of one boxed primitive kind go straight into the packed form, boxed
     * only as long as {@code fn} keeps them (what a pool's worker does with a chunk).
     *
     * @throws IOException when a result must be serialized and cannot be
     */
    public static <T> void writeMapped(Out out, List<? extends T> items, Function<? super T, ?> fn,
                                       Function<Object, String> handleOf) throws IOException {
        int n = items.size();
        int start = out.size; // a list that turns out mixed is written again from here
        Object first = n == 0 ? null : fn.apply(items.get(0));
        int i = 1;
        List<Object> results = new ArrayList<>();
        if (first instanceof Integer || first instanceof Long || first instanceof Double) {
            boolean ints = first instanceof Integer;
            out.writeByte(ints ? INTS : first instanceof Long ? LONGS : DOUBLES).writeInt(n);
            int at = out.reserve(Math.multiplyExact(n, ints ? 4 : 8));
            // A result of another kind leaves its loop through the branch that keeps it, alone: a box that goes
            // into the packed form does not escape, and the JIT may then not make it at all.
            Object e = null;
            if (ints) {
                INTS_VIEW.set(out.bytes, at, (int) (Integer) first);
                for (; i < n; i++) {
                    Object r = fn.apply(items.get(i));
                    if (!(r instanceof Integer x)) {
                        e = r;
                        break;
                    }
                    INTS_VIEW.set(out.bytes, at + 4 * i, (int) x);
                }
            } else { // Longs or Doubles, eight bytes each
                Class<?> kind = first.getClass();
                LONGS_VIEW.set(out.bytes, at, bits(first));
                for (; i < n; i++) {
                    Object r = fn.apply(items.get(i));
                    if (r == null || r.getClass() != kind) {
                        e = r;
                        break;
                    }
                    LONGS_VIEW.set(out.bytes, at + 8 * i, bits(r));
                }
            }
            if (i == n) {
                return;
            }
            // Result i is of another kind: the ones before it are read back from the packed form, the rest computed.
            results.addAll(new PackedLists.Primitives(first.getClass(), out.bytes, at, i));
            results.add(e);
            i++;
            out.size = start;
        } else if (n > 0) {
            results.add(first);
        }
        for (; i < n; i++) {
            results.add(fn.apply(items.get(i)));
        }
        out.writeByte(LIST).writeInt(n);
        for (Object result : results) {
            write(out, result, handleOf, 1);
        }
    }

    /**
     * Reads a value written by {@link #write}; a serialized one's handles are attached with {@code attach}.
     *
     * @throws IOException when the message is malformed or a serialized value cannot be read
     */
    public static Object read(In in, Function<String, Object> attach) throws IOException {
        return read(in, attach, 0);
    }

    private static Object read(In in, Function<String, Object> attach, int depth) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case NULL -> null;
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case DOUBLE -> Double.longBitsToDouble(in.readLong());
            case TRUE -> Boolean.TRUE;
            case FALSE -> Boolean.FALSE;
            case STRING -> new String(in.readBytes(), StandardCharsets.UTF_8);
            case BYTES -> in.readBytes();
            case LIST -> {
                int n = in.readInt();
                if (n < 0 || n > in.bytes.length - in.at || depth >= MAX_DEPTH) {
                    throw new IOException("malformed message: a list of " + n + " elements at depth " + depth);
                }
                List<Object> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(read(in, attach, depth + 1));
                }
                yield list;
            }
            case INTS -> packed(in, Integer.class, 4);
            case LONGS -> packed(in, Long.class, 8);
            case DOUBLES -> packed(in, Double.class, 8);
            case SERIALIZED -> {
                try {
                    yield Bootstrap.deserialize(in.readBytes(), attach);
                } catch (ClassNotFoundException e) {
                    throw new IOException("a value's class is not here: " + e.getMessage(), e);
                }
            }
            default -> throw new IOException("malformed message: unknown value tag " + tag);
        };
    }
}
