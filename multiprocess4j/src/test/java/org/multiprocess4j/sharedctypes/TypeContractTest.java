package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.multiprocess4j.SharedObject;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One contract, checked for every C type and typecode. */
class TypeContractTest {

    /** A C type with values it must hold exactly and values it must refuse. */
    record Case(CType<?, ?> type, long size, Class<?> valueClass, Class<?> arrayClass, List<Object> valid,
                List<Object> invalid) {
        @Override
        public String toString() {
            return type + " '" + type.typecode() + "'";
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(CType.c_char, 1, CharValue.class, CharArray.class,
                        List.of((byte) 0, (byte) 'A', (byte) -1, Byte.MIN_VALUE, Byte.MAX_VALUE),
                        List.of(256, -1, 1.5, "ab", true)),
                new Case(CType.c_byte, 1, ByteValue.class, ByteArray.class,
                        List.of((byte) 0, Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) -1),
                        List.of(300, -129, 128L, 1.0, "1", BigInteger.TWO.pow(70))),
                new Case(CType.c_ubyte, 1, UByteValue.class, UByteArray.class,
                        List.of(0, 255, 128, 1),
                        List.of(256, -1, 1.0f, true)),
                new Case(CType.c_short, 2, ShortValue.class, ShortArray.class,
                        List.of((short) 0, Short.MIN_VALUE, Short.MAX_VALUE),
                        List.of(32768, -32769, 2.0)),
                new Case(CType.c_ushort, 2, UShortValue.class, UShortArray.class,
                        List.of(0, 65535, 32768),
                        List.of(65536, -1, 'x')),
                new Case(CType.c_int, 4, IntValue.class, IntArray.class,
                        List.of(0, Integer.MIN_VALUE, Integer.MAX_VALUE, -7),
                        List.of(1L << 31, -(1L << 31) - 1, 0.5, "7")),
                new Case(CType.c_uint, 4, UIntValue.class, UIntArray.class,
                        List.of(0L, 0xFFFF_FFFFL, 1L << 31),
                        List.of(1L << 32, -1, 3.0)),
                new Case(CType.c_long, 8, LongValue.class, LongArray.class,
                        List.of(0L, Long.MIN_VALUE, Long.MAX_VALUE),
                        List.of(BigInteger.ONE.shiftLeft(63), 1.0, new Object())),
                new Case(CType.c_ulong, 8, ULongValue.class, ULongArray.class,
                        List.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE),
                        List.of(BigInteger.ONE.shiftLeft(64), BigInteger.valueOf(-1), -1, 1.0)),
                new Case(CType.c_longlong, 8, LongValue.class, LongArray.class,
                        List.of(0L, Long.MIN_VALUE, Long.MAX_VALUE),
                        List.of(2.5, "x")),
                new Case(CType.c_ulonglong, 8, ULongValue.class, ULongArray.class,
                        List.of(0L, -1L, 42L),
                        List.of(BigInteger.ONE.shiftLeft(64), -5)),
                new Case(CType.c_float, 4, FloatValue.class, FloatArray.class,
                        List.of(0f, -0f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN, Float.NEGATIVE_INFINITY, 1.5f),
                        List.of(1e300, "1.0", true)),
                new Case(CType.c_double, 8, DoubleValue.class, DoubleArray.class,
                        List.of(0d, Double.MAX_VALUE, Double.MIN_VALUE, Double.NaN, 1.0 / 3.0, -0.0),
                        List.of("1.0", false, BigInteger.TEN)),
                new Case(CType.c_wchar, 4, WCharValue.class, WCharArray.class,
                        List.of(0, (int) 'a', 0x10FFFF, 0x1F600),
                        List.of(0x110000, -1, "ab", 1.0)),
                new Case(CType.c_bool, 1, BoolValue.class, BoolArray.class,
                        List.of(false, true),
                        List.of(1, "true", 0.0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldHaveTheSizeAndAlignmentOfC(Case c) {
        assertEquals(c.size(), c.type().byteSize());
        assertEquals(c.size(), c.type().byteAlignment());
        assertEquals(c.type(), CType.of(c.type().typecode()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldStartZeroedAndRoundTripEveryValidValue(Case c) {
        try (SharedValue v = SharedCTypes.rawValue(c.type())) {
            assertInstanceOf(c.valueClass(), v);
            assertEquals(c.valid().getFirst(), v.getValue());
            for (Object value : c.valid()) {
                v.setValue(value);
                assertEquals(value, v.getValue(), "round trip of " + value);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldRefuseValuesOutOfRangeOrOfTheWrongType(Case c) {
        try (SharedValue v = SharedCTypes.rawValue(c.type(), c.valid().get(1))) {
            for (Object bad : c.invalid()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.setValue(bad),
                        "setValue(" + bad + ")");
                assertTrue(e.getMessage().contains("value"), e.getMessage());
                assertEquals(c.valid().get(1), v.getValue(), "a refused value must not change the old one");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldBuildArraysFromInitializersAndSizes(Case c) {
        try (SharedArray zeroed = SharedCTypes.rawArray(c.type(), 5);
             SharedArray filled = SharedCTypes.rawArray(c.type(), c.valid());
             SharedArray fromStream = SharedCTypes.rawArray(c.type(), c.valid().stream())) {
            assertInstanceOf(c.arrayClass(), zeroed);
            assertEquals(5, zeroed.length());
            for (long i = 0; i < 5; i++) {
                assertEquals(c.valid().getFirst(), zeroed.getValue(i));
            }
            assertEquals(c.valid(), filled.toList());
            assertEquals(c.valid(), fromStream.toList());
            for (int i = 0; i < c.valid().size(); i++) {
                zeroed.setValue(i % 5, c.valid().get(i));
                assertEquals(c.valid().get(i), zeroed.getValue(i % 5));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldRefuseAnInitializerWithABadElementAndNameIt(Case c) {
        List<Object> init = new ArrayList<>(c.valid());
        init.add(c.invalid().getFirst());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawArray(c.type(), init));
        assertTrue(e.getMessage().contains("initializer[" + c.valid().size() + "]"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldCheckIndices(Case c) {
        try (SharedArray a = SharedCTypes.rawArray(c.type(), 3)) {
            assertThrows(IndexOutOfBoundsException.class, () -> a.getValue(3));
            assertThrows(IndexOutOfBoundsException.class, () -> a.getValue(-1));
            assertThrows(IndexOutOfBoundsException.class, () -> a.setValue(3, c.valid().getFirst()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldAttachThroughHandlesToTheSameMemory(Case c) {
        try (SharedValue v = SharedCTypes.rawValue(c.type()); SharedArray a = SharedCTypes.rawArray(c.type(), 4)) {
            SharedObject sameV = SharedCTypes.attach(v.handle());
            SharedObject sameA = SharedCTypes.attach(a.handle());
            Object last = c.valid().getLast();
            ((SharedValue) sameV).setValue(last);
            ((SharedArray) sameA).setValue(3, last);
            assertEquals(last, v.getValue());
            assertEquals(last, a.getValue(3));
            assertEquals(v.type(), ((SharedValue) sameV).type());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldCopyIntoNewMemoryAndSynchronizeOverTheSameMemory(Case c) {
        Object last = c.valid().getLast();
        try (SharedValue v = SharedCTypes.rawValue(c.type(), last); SharedValue copy = SharedCTypes.copy(v);
             SharedValue sync = SharedCTypes.synchronize(v)) {
            assertEquals(last, copy.getValue());
            copy.setValue(c.valid().getFirst());
            assertEquals(last, v.getValue(), "a copy has memory of its own");
            assertTrue(sync.isSynchronized());
            assertFalse(copy.isSynchronized());
            sync.setValue(c.valid().getFirst());
            assertEquals(c.valid().getFirst(), v.getValue(), "a synchronized wrapper shares the memory");
            assertThrows(IllegalArgumentException.class, () -> SharedCTypes.synchronize(sync));
            assertThrows(UnsupportedOperationException.class, copy::getLock);
            assertFalse(sync.getObj().isSynchronized());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldThrowIllegalStateAfterClose(Case c) {
        SharedValue v = SharedCTypes.rawValue(c.type());
        SharedArray a = SharedCTypes.rawArray(c.type(), 2);
        v.close();
        a.close();
        v.close();
        assertThrows(IllegalStateException.class, v::getValue);
        assertThrows(IllegalStateException.class, () -> a.getValue(0));
        assertTrue(v.toString().contains("closed"));
    }
}
