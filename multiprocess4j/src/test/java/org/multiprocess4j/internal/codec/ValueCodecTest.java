package org.multiprocess4j.internal.codec;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Values round-trip through the compact form, and hostile bytes are an IOException, nothing worse. */
class ValueCodecTest {
    record Pair(int a, String b) implements Serializable {
    }

    private static byte[] encode(Object value) throws IOException {
        ValueCodec.Out out = new ValueCodec.Out(0);
        ValueCodec.write(out, value, o -> null);
        return out.toByteArray();
    }

    private static Object decode(byte[] bytes) throws IOException {
        ValueCodec.In in = new ValueCodec.In(bytes);
        Object value = ValueCodec.read(in, h -> null);
        assertTrue(in.atEnd(), "every byte read");
        return value;
    }

    @Test
    void everyKindRoundTrips() throws IOException {
        List<Object> values = Arrays.asList(null, 0, -1, Integer.MIN_VALUE, Long.MAX_VALUE, Double.NaN, -0.0, true,
                false, "", "h\u00e9llo \uD83D\uDE00", new ArrayList<>(List.of(1, "x", List.of(2L))),
                new Pair(3, "z"));
        for (Object v : values) {
            assertEquals(v, decode(encode(v)), String.valueOf(v));
        }
        assertArrayEquals(new byte[] {1, -2}, (byte[]) decode(encode(new byte[] {1, -2})));
        List<Integer> big = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            big.add(i);
        }
        assertEquals(big, decode(encode(big)));
        assertInstanceOf(ArrayList.class, decode(encode(List.of(1, 2))));
        assertThrows(IOException.class, () -> encode(new Object()), "not serializable");
    }

    @Test
    void hostileBytesAreAnIOExceptionOnly() throws IOException {
        Random random = new Random(7);
        byte[] good = encode(new ArrayList<>(List.of(1, "two", 3.0, List.of(4L, new byte[] {5}), new Pair(6, "7"))));
        for (int round = 0; round < 20_000; round++) {
            byte[] bad = round % 2 == 0 ? good.clone() : new byte[random.nextInt(64)];
            if (round % 2 == 0) {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    bad[random.nextInt(bad.length)] = (byte) random.nextInt();
                }
                bad = Arrays.copyOf(bad, random.nextInt(bad.length + 1));
            } else {
                random.nextBytes(bad);
            }
            try {
                ValueCodec.read(new ValueCodec.In(bad), h -> null);
            } catch (IOException expected) {
                // refused clearly
            }
        }
        byte[] deep = new byte[5 * 100];
        for (int i = 0; i < 100; i++) {
            deep[5 * i] = 8; // LIST of one element, a hundred deep
            deep[5 * i + 1] = 1;
        }
        assertThrows(IOException.class, () -> ValueCodec.read(new ValueCodec.In(deep), h -> null));
    }

    private static Object roundTripList(List<?> list, int from, int to) throws IOException {
        ValueCodec.Out out = new ValueCodec.Out(0);
        ValueCodec.writeList(out, list, from, to, o -> null);
        return decode(out.toByteArray());
    }

    @Test
    void listsOfOneBoxedPrimitiveArePackedAndComeBackAsEqualUnmodifiableLists() throws Exception {
        List<Object> mixed = Arrays.asList(1, 2L, 3.0, null, "x");
        for (List<?> list : List.of(List.of(1, -2, Integer.MAX_VALUE), List.of(1L, Long.MIN_VALUE),
                List.of(0.5, Double.NaN, -0.0), List.of(), mixed, Arrays.asList(1, null, 3), List.of(7))) {
            Object back = roundTripList(list, 0, list.size());
            assertEquals(list, back, "as written: " + list);
            assertEquals(list.hashCode(), back.hashCode());
        }
        List<Integer> ints = java.util.stream.IntStream.range(0, 1000).boxed().toList();
        List<?> range = (List<?>) roundTripList(ints, 100, 300);
        assertEquals(ints.subList(100, 300), range);
        assertThrows(UnsupportedOperationException.class, () -> range.remove(0));
        // Written again (a result passed on to another task), a packed list is a list, not a serialized object.
        assertEquals(range, decode(encode(range)));
        assertInstanceOf(ArrayList.class, decode(encode(List.of(1, 2))), "write() never packs");
        // Serialized, it is an ArrayList of its elements.
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(bytes)) {
            o.writeObject(range);
        }
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            assertEquals(new ArrayList<>(ints.subList(100, 300)), in.readObject());
        }
        // A packed list's count that the bytes cannot hold is refused.
        for (byte tag : new byte[] {10, 11, 12}) {
            byte[] lying = {tag, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 1, 2, 3, 4};
            assertThrows(IOException.class, () -> decode(lying));
            byte[] negative = {tag, 0, 0, 0, (byte) 0x80};
            assertThrows(IOException.class, () -> decode(negative));
        }
    }

    /** A list whose kind changes late (after a packed start) is written again element-wise, whole and in order. */
    @Test
    void aListThatTurnsOutMixedLateComesBackAsWritten() throws Exception {
        List<Object> late = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            late.add(i);
        }
        for (Object odd : Arrays.asList(7L, 7.0, "7", null, List.of(7))) {
            List<Object> list = new ArrayList<>(late);
            list.add(odd);
            list.add(8);
            assertEquals(list, roundTripList(list, 0, list.size()), "ending in " + odd);
            assertInstanceOf(ArrayList.class, roundTripList(list, 0, list.size()), "not packed: " + odd);
            assertEquals(late.subList(10, 20), roundTripList(list, 10, 20), "a range of it, read back");
        }
    }

    /**
     * A mapped list is what writeList writes for the results, each item's function called once, in order: packed
     * while the results are one boxed kind, and element-wise (nothing called again) when a later one is not.
     */
    @Test
    void aMappedListIsTheResultsWithTheFunctionCalledOncePerItem() throws Exception {
        List<Integer> items = java.util.stream.IntStream.range(0, 300).boxed().toList();
        List<java.util.function.Function<Integer, Object>> functions = List.of(
                i -> i * 2, i -> (long) i << 33, i -> i / 4.0, i -> "s" + i,
                i -> i < 200 ? i : (Object) (long) i, // packed first, then a Long
                i -> i < 299 ? (Object) (double) i : null, // the very last one differs
                i -> i == 0 ? "first" : i, // the first one differs
                i -> i % 2 == 0 ? i : List.of(i));
        for (var fn : functions) {
            List<Integer> called = new ArrayList<>();
            ValueCodec.Out out = new ValueCodec.Out(8);
            out.writeByte(42); // a header before the list, as a reply has
            ValueCodec.writeMapped(out, items, (Integer i) -> {
                called.add(i);
                return fn.apply(i);
            }, o -> null);
            assertEquals(items, called, "each item once, in order");
            ValueCodec.In in = new ValueCodec.In(out.toByteArray(), 1);
            assertEquals(items.stream().map(fn).toList(), ValueCodec.read(in, h -> null));
            assertTrue(in.atEnd());
        }
        ValueCodec.Out empty = new ValueCodec.Out(0);
        ValueCodec.writeMapped(empty, List.of(), x -> x, o -> null);
        assertEquals(List.of(), ValueCodec.read(new ValueCodec.In(empty.toByteArray()), h -> null));
        assertThrows(IOException.class, () -> ValueCodec.writeMapped(new ValueCodec.Out(0), List.of(1, 2),
                x -> x == 1 ? (Object) 1 : new Object(), o -> null), "a result that cannot be serialized");
    }

    /** A buffer handed out whole is never written again; a message may be read from an offset within it. */
    @Test
    void aWholeBufferHandedOutStaysAsItWasAndReadsFromAnOffset() throws IOException {
        ValueCodec.Out out = new ValueCodec.Out(16);
        for (int i = 0; i < 4; i++) {
            out.writeInt(i);
        }
        byte[] whole = out.toByteArray();
        byte[] copy = whole.clone();
        out.writeInt(99);
        assertArrayEquals(copy, whole);
        ValueCodec.In in = new ValueCodec.In(whole, 8);
        assertEquals(2, in.readInt());
        assertEquals(3, in.readInt());
        assertTrue(in.atEnd());
        assertTrue(new ValueCodec.In(whole, whole.length).atEnd());
        assertThrows(IndexOutOfBoundsException.class, () -> new ValueCodec.In(whole, whole.length + 1));
        assertThrows(IndexOutOfBoundsException.class, () -> new ValueCodec.In(whole, -1));
    }

    /**
     * A serialized value naming a packed list itself is forged (packed lists serialize as ArrayLists): reading it is
     * an IOException, not a list over no bytes. The stream is written by a twin class whose name differs by one
     * letter, then renamed.
     */
    @Test
    void aStreamNamingAPackedListIsRefused() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream o = new java.io.ObjectOutputStream(bytes)) {
            o.writeObject(new PackedListz.Primitives(0, 3));
        }
        byte[] stream = bytes.toByteArray();
        byte[] twin = PackedListz.class.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] real = PackedLists.class.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int renamed = 0;
        for (int i = 0; i + twin.length <= stream.length; i++) {
            if (Arrays.equals(stream, i, i + twin.length, twin, 0, twin.length)) {
                System.arraycopy(real, 0, stream, i, real.length);
                renamed++;
            }
        }
        assertTrue(renamed >= 2, "class names renamed: " + renamed);
        ValueCodec.Out out = new ValueCodec.Out(0);
        out.writeByte(9).writeBytes(stream); // SERIALIZED
        assertThrows(IOException.class, () -> ValueCodec.read(new ValueCodec.In(out.toByteArray()), h -> null));
    }

    @Test
    void aConcatenationReadsThroughItsPartsWhateverTheirSizes() {
        List<List<Integer>> parts = List.of(List.of(0, 1, 2), List.of(), List.of(3), List.of(), List.of(),
                List.of(4, 5, 6, 7));
        List<Integer> joined = PackedLists.concatenation(parts);
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), joined);
        for (int i = 0; i < 8; i++) {
            assertEquals(i, joined.get(i));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> joined.get(8));
        assertThrows(IndexOutOfBoundsException.class, () -> joined.get(-1));
        List<Integer> even = PackedLists.concatenation(List.of(List.of(0, 1), List.of(2, 3), List.of(4)));
        assertEquals(List.of(0, 1, 2, 3, 4), even);
        assertEquals(4, even.get(4));
        List<Integer> longLast = PackedLists.concatenation(List.of(List.of(0, 1), List.of(2, 3, 4, 5)));
        assertEquals(5, longLast.get(5));
        assertEquals(List.of(), PackedLists.concatenation(List.of()));
        assertEquals(List.of(9), PackedLists.concatenation(List.of(List.of(9))));
    }

    @Test
    void whatUtf8OrTheDepthLimitCannotCarryFallsBackToSerialization() throws IOException {
        assertEquals("a\uD800b\uDC00", decode(encode("a\uD800b\uDC00")), "unpaired surrogates kept");
        List<Object> deep = new ArrayList<>(List.of(0));
        for (int i = 1; i < 100; i++) {
            deep = new ArrayList<>(List.of(deep));
        }
        List<Object> deepest = deep;
        ValueCodec.Out out = new ValueCodec.Out(0);
        ValueCodec.write(out, deepest, o -> null);
        assertEquals(deepest.toString(), String.valueOf(ValueCodec.read(new ValueCodec.In(out.toByteArray()),
                h -> null)), "a list 100 deep is written and read back");
        List<Object> self = new ArrayList<>();
        self.add(self);
        assertEquals(1, ((List<?>) decode(encode(self))).size(), "a list that contains itself");
    }
}

/** A twin of PackedLists' classes, whose name differs by one letter, to write a stream that names them. */
final class PackedListz {
    private PackedListz() {
    }

    abstract static class Packed<E> extends java.util.AbstractList<E> implements Serializable {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
    }

    static final class Primitives extends Packed<Object> {
        @java.io.Serial
        private static final long serialVersionUID = 1L;
        private final int offset;
        private final int size;

        Primitives(int offset, int size) {
            this.offset = offset;
            this.size = size;
        }

        @Override
        public Object get(int index) {
            return offset;
        }

        @Override
        public int size() {
            return size;
        }
    }
}
