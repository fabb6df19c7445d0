package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.CType.c_float;
import static org.multiprocess4j.sharedctypes.CType.c_int;
import static org.multiprocess4j.sharedctypes.CType.c_long;
import static org.multiprocess4j.sharedctypes.StructType.field;

/** Arguments at the far edges of their types: each a clear exception or Python's answer, never a wrong value. */
class CTypesEdgesTest {

    /** A structure too large for any memory: its definition alone is refused. */
    static final class Huge extends Struct<Huge> {
    }

    @Test
    void edgesOfSlicesNullsSizesAndNumbers() {
        try (IntArray a = SharedCTypes.rawArray(c_int, new int[] {0, 1, 2, 3, 4})) {
            assertEquals(List.of(0), a.slice(0, 5, Long.MAX_VALUE).toList(), "as Python's a[0:5:2**63-1]");
            assertEquals(List.of(0), a.slice(0, 5, Long.MAX_VALUE - 2).toList());
            assertEquals(List.of(0, 3), a.slice(0, 5, 3).toList());
            assertEquals(List.of(), a.slice(2, 2, Long.MAX_VALUE).toList());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawArray(c_int.array(2), new int[][] {{1, 2}, null}));
        assertTrue(e.getMessage().contains("=null"), e.getMessage());
        try (NestedArray rows = SharedCTypes.rawArray(c_int.array(2), 2)) {
            assertThrows(IllegalArgumentException.class, () -> rows.setValue(0, null));
        }
        e = assertThrows(IllegalArgumentException.class, () -> StructType.define(Huge::new,
                field("a", c_long.array(Integer.MAX_VALUE).array(1 << 29))));
        assertTrue(e.getMessage().contains("field a"), e.getMessage());
        for (CType<?, ?> type : List.of(c_float, c_double)) {
            e = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(type,
                    new BigDecimal("1e400")), type + " from a BigDecimal past a double");
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        }
        try (DoubleValue inf = SharedCTypes.rawValue(c_double, Double.POSITIVE_INFINITY)) {
            assertEquals(Double.POSITIVE_INFINITY, inf.get(), "an infinity asked for is stored, as ctypes does");
        }
    }

    /** {@code struct { int s : 5; unsigned u : 32; }}. */
    static final class Bits extends Struct<Bits> {
        static final StructType<Bits> TYPE = StructType.define(Bits::new, field("s", c_int, 5),
                field("u", CType.c_uint, 32));

        private Bits() {
        }
    }

    @Test
    void aBigIntegerFitsASignedBitFieldAsItFitsAValueAndAMissIsShownAsGiven() {
        try (Bits b = SharedCTypes.rawValue(Bits.TYPE, BigInteger.ONE.negate(), BigInteger.TWO.pow(32).subtract(
                BigInteger.ONE))) {
            assertEquals("[-1, 4294967295]", b.fieldValues().toString());
        }
        BigInteger huge = BigInteger.TWO.pow(64).subtract(BigInteger.ONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawValue(Bits.TYPE, 0, huge));
        assertTrue(e.getMessage().contains("=" + huge) && e.getMessage().contains("0..4294967295"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Bits.TYPE, BigInteger.valueOf(16)));
        assertTrue(e.getMessage().contains("=16") && e.getMessage().contains("-16..15"), e.getMessage());
    }

    /** C rounds a double to the nearest float: one that rounds to FLT_MAX fits, one that would round past it does not. */
    @Test
    void aDoubleFitsAFloatWhenItRoundsToAFiniteOne() {
        try (FloatValue f = SharedCTypes.rawValue(c_float, 3.4028235e38)) {
            assertEquals(Float.MAX_VALUE, f.get());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawValue(c_float, 3.4028236e38));
        assertTrue(e.getMessage().contains("3.4028236E38"), e.getMessage());
        assertTrue(!e.getMessage().contains("+-3.4028235E38"), "the bound reads as the value refused: " + e.getMessage());
    }

    /** A wchar_t holding no code point (C's WEOF, or another process's bytes) reads as its number, never throws from toString. */
    @Test
    void aWcharHoldingNoCodePointIsANumberAndClearlyNoText() {
        try (WCharValue w = SharedCTypes.rawValue(CType.c_wchar);
             WCharArray a = SharedCTypes.rawArray(CType.c_wchar, 3)) {
            w.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, -1);
            a.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 0, 'A');
            a.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, 4, 0x110000);
            assertEquals(-1, w.get());
            assertTrue(w.toString().contains("0xffffffff"), w.toString());
            assertTrue(a.toString().contains("0x110000"), a.toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, a::value);
            assertTrue(e.getMessage().contains("index 1") && e.getMessage().contains("0x110000")
                    && e.getMessage().contains("0x10ffff"), e.getMessage());
        }
    }

    /** Only an array's handle names an array type: a value's handle with one is refused, not attached as an array. */
    @Test
    void aValueHandleNamingAnArrayTypeIsRefused() {
        try (IntArray rows = SharedCTypes.rawArray(c_int, new int[] {42})) {
            String[] f = rows.handle().toString().split(":");
            f[11] = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    "vi[1]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            org.multiprocess4j.Handle forged = org.multiprocess4j.Handle.parse(String.join(":", f));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SharedCTypes.attach(forged));
            assertTrue(e.getMessage().contains("array type"), e.getMessage());
        }
    }

    @Test
    void aNullTextIsRefusedNamingItsParameter() {
        try (CharArray chars = SharedCTypes.rawArray(CType.c_char, 4);
             WCharArray wide = SharedCTypes.rawArray(CType.c_wchar, 4)) {
            for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> chars.value((byte[]) null), () -> chars.rawValue(null),
                    () -> chars.value(null, java.nio.charset.StandardCharsets.US_ASCII), () -> wide.value(null))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
                assertTrue(e.getMessage().contains("=null"), e.getMessage());
            }
        }
    }

    /** After close, the object's handle is refused as every other access is: data, synchronizers and queues alike. */
    @Test
    void aClosedObjectHasNoHandle() {
        org.multiprocess4j.ProcessLock guard = org.multiprocess4j.ProcessLock.create();
        org.multiprocess4j.ProcessRLock reentrant = org.multiprocess4j.ProcessRLock.create();
        List<org.multiprocess4j.SharedObject> objects = List.of(SharedCTypes.rawValue(c_int, 1),
                SharedCTypes.rawValue(Bits.TYPE), org.multiprocess4j.ProcessLock.create(), reentrant.newCondition(),
                org.multiprocess4j.ProcessSemaphore.create(1), org.multiprocess4j.ProcessEvent.create(),
                org.multiprocess4j.ProcessBarrier.create(2), org.multiprocess4j.ProcessQueue.create(1024));
        for (org.multiprocess4j.SharedObject o : objects) {
            o.handle();
            o.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, o::handle, o.getClass().getName());
            assertTrue(e.getMessage().startsWith("closed"), e.getMessage());
        }
        IntValue guarded = SharedCTypes.value(c_int, 5, guard);
        guard.close();
        assertThrows(IllegalStateException.class, guarded::handle, "a synchronized value whose lock was closed");
        reentrant.close();
    }
}
