package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
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
}
