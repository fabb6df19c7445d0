package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.testing.Python;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Structures of every layout rule ({@link LayoutRulesTest}'s), attached in Python from their signatures alone:
 * read there as Java wrote them, written there as Java then reads them; and a layout that the local ctypes places
 * differently from C is refused rather than misread.
 */
class PythonLayoutsTest {
    private static final Path SCRIPT = Path.of("src", "test", "python", "layouts.py");

    @BeforeAll
    static void needsPython() throws InterruptedException {
        Python.required();
    }

    private static void python(String function, Object... args) {
        Python.run(SCRIPT, function, args);
    }

    @Test
    void unionsPackedSwappedBitFieldAndNestedStructuresCrossBothWays() {
        try (LayoutRulesTest.Un un = SharedCTypes.rawValue(LayoutRulesTest.Un.TYPE);
             LayoutRulesTest.Wire wire = SharedCTypes.rawValue(LayoutRulesTest.Wire.TYPE, 0x7F, 0xA1B2C3D4L, -2L,
                     8080);
             LayoutRulesTest.Bits bits = SharedCTypes.rawValue(LayoutRulesTest.Bits.TYPE, 5, 17, -3, 0xBEEF,
                     0x2345678, 6, -123456789, -46, -200);
             LayoutRulesTest.BigArrays big = SharedCTypes.rawValue(LayoutRulesTest.BigArrays.TYPE,
                     new byte[]{'c'}, List.of(-1, 2, 0x01020304), List.of(1.5, -2.0));
             LayoutRulesTest.PackedNest nest = SharedCTypes.rawValue(LayoutRulesTest.PackedNest.TYPE);
             LayoutRulesTest.Big swapped = SharedCTypes.rawValue(LayoutRulesTest.Big.TYPE, 0x1234, -2, 1.5, 5, 0xABC,
                     -3, List.of((byte) 'x', (byte) 'y'), 0x0102030405060708L)) {
            LayoutRulesTest.Un.TYPE.field("d", DoubleField.class).set(un, 1.5);
            Point p = LayoutRulesTest.PackedNest.TYPE.structField("p", Point.TYPE).get(nest);
            p.x(1.5);
            Segment seg = LayoutRulesTest.PackedNest.TYPE.structField("s", Segment.TYPE).get(nest);
            seg.ids().set(2, 7);
            seg.path().get(1).x(0.25);
            python("layouts", un, wire, bits, big, nest, swapped);
            assertEquals(7, LayoutRulesTest.Un.TYPE.field("i", IntField.class).get(un));
            assertEquals(443, wire.fieldValues().get(3));
            assertEquals(-5L, bits.fieldValues().get(2));
            assertEquals(List.of(9, 2, 0x01020304), big.fieldValues().get(1));
            StructArray<Point> pts = LayoutRulesTest.PackedNest.TYPE.field("pts", ArrayField.class).get(nest);
            assertEquals(3.5, pts.get(1).y());
            assertEquals(0x123L, swapped.fieldValues().get(4), "a big-endian bit field written in Python");
        }
    }

    @Test
    void aLayoutThatTheLocalCtypesPlacesOtherwiseIsRefusedNotMisread() {
        try (LayoutRulesTest.PackedBits packed = SharedCTypes.rawValue(LayoutRulesTest.PackedBits.TYPE, 5L,
                0x2ABCDEF1L, 0x77, -1000L, -0x123456789ABCDEFL, 17L);
             LayoutRulesTest.Straddle straddle = SharedCTypes.rawValue(LayoutRulesTest.Straddle.TYPE, 0xABCDE, 0x2A,
                     0xFED, -5L, 0x77, -2, 5, 0xCAFE)) {
            python("refused_or_equal", packed.handle().toString(), packed.fieldValues());
            python("refused_or_equal", straddle.handle().toString(), straddle.fieldValues());
        }
    }
}
