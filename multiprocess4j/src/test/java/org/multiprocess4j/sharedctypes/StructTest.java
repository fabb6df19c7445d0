package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StructTest {

    @Test
    void shouldLayOutFieldsWithCPadding() {
        assertEquals(16, Point.TYPE.byteSize());
        // char tag @0; Point a @8; short n @24; Point path[2] @32; int ids[3] @64; _Bool ok @76; size 80
        assertEquals(List.of(0L, 8L, 24L, 32L, 64L, 76L),
                Segment.TYPE.fields().stream().map(Field::offset).toList());
        assertEquals(80, Segment.TYPE.byteSize());
        assertEquals(8, Segment.TYPE.byteAlignment());
    }

    @Test
    void shouldInitializeFromFieldValuesAndReadThemInPlace() {
        Segment s = SharedCTypes.rawValue(Segment.TYPE, (byte) 'S', new double[] {1.5, 2.5}, (short) 7,
                List.of(List.of(1.0, 2.0), new Object[] {3.0, 4.0}), new int[] {9, 8, 7}, true);
        assertEquals('S', Segment.TAG.get(s));
        assertEquals(1.5, s.a().x());
        assertEquals(7, Segment.N.get(s));
        assertEquals(4.0, s.path().get(1).y());
        assertArrayEquals(new int[] {9, 8, 7}, s.ids().toArray());
        assertTrue(Segment.OK.get(s));
        s.a().x(-1);
        s.ids().set(2, 70);
        s.path().get(0).y(0.25);
        assertEquals(List.of((byte) 'S', List.of(-1.0, 2.5), (short) 7, List.of(List.of(1.0, 0.25), List.of(3.0, 4.0)),
                List.of(9, 8, 70), true), s.fieldValues());
        assertEquals("Point(x=-1.0, y=2.5)", s.a().toString());
    }

    @Test
    void shouldSquareEveryPointInPlaceAsTheSeedDoes() {
        StructArray<Point> points = SharedCTypes.rawArray(Point.TYPE,
                new double[][] {{1.875, -6.25}, {-5.75, 2.0}, {2.375, 9.5}});
        for (Point p : points) {
            p.x(p.x() * p.x());
            p.y(p.y() * p.y());
        }
        assertEquals("[[3.515625, 39.0625], [33.0625, 4.0], [5.640625, 90.25]]", points.toList().toString());
    }

    @Test
    void shouldRefuseFieldsOfAnotherStructureAndUnboundStructures() {
        Segment s = SharedCTypes.rawValue(Segment.TYPE);
        Point p = SharedCTypes.rawValue(Point.TYPE, 1.0, 2.0);
        DoubleField x = Point.TYPE.field("x", DoubleField.class);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.get(s));
        assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Point.TYPE.field("x", IntField.class));
        assertThrows(IllegalArgumentException.class, () -> Point.TYPE.field("z", DoubleField.class));
        assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Point.TYPE, 1.0, 2.0, 3.0));
        assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Point.TYPE, "one"));
        assertEquals(1.0, p.x());
    }

    @Test
    void shouldCheckEveryFieldRecordAgainstItsStructure() {
        DoubleField x = Point.TYPE.field("x", DoubleField.class);
        assertEquals(x, new DoubleField(Point.TYPE, "x", CType.c_double, 0, 16,
                ValueLayout.JAVA_DOUBLE.withByteAlignment(1)));
        assertEquals("Point.x: c_double at offset 0", x.toString());
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        assertThrows(IllegalArgumentException.class, () -> new DoubleField(Point.TYPE, "x", CType.c_int, 0, 16, d),
                "an int is not read as a double");
        assertThrows(IllegalArgumentException.class, () -> new DoubleField(Point.TYPE, "x", CType.c_double, 12, 16,
                d), "misaligned and past the end");
        assertThrows(IllegalArgumentException.class, () -> new DoubleField(Point.TYPE, "x", CType.c_double, 8, 24,
                d), "not the structure's size");
        assertThrows(IllegalArgumentException.class, () -> new DoubleField(Point.TYPE, "x", CType.c_double, 0, 16,
                d.withByteAlignment(2)), "a layout that is neither aligned nor byte-aligned");
        assertThrows(NullPointerException.class, () -> new DoubleField(null, "x", CType.c_double, 0, 16, d));
    }

    @Test
    void shouldReadAndWriteEveryElementOfAStructArrayThroughItsFields() {
        StructArray<Segment> segments = SharedCTypes.rawArray(Segment.TYPE, 5);
        for (int i = 0; i < segments.length(); i++) {
            Segment.N.set(segments.get(i), (short) (100 + i));
            segments.get(i).path().get(1).x(i + 0.5);
        }
        for (int i = 0; i < segments.length(); i++) {
            assertEquals(100 + i, Segment.N.get(segments.get(i)));
            assertEquals(100 + i, Segment.N.get(segments.slice(i, i + 1).get(0)), "a slice's element is the same memory");
            assertEquals(i + 0.5, segments.get(i).path().get(1).x());
            assertEquals(i + 0.5, segments.get(i).path().slice(1, 2).get(0).x());
        }
        assertEquals(0.0, segments.get(4).path().get(0).x(), "nothing written past its own element");
    }

    @Test
    void shouldRefuseFieldAccessToEveryKindOfStructureViewOnceClosed() {
        Point alone = SharedCTypes.rawValue(Point.TYPE, 1.0, 2.0);
        Segment outer = SharedCTypes.rawValue(Segment.TYPE);
        Point nested = outer.a();
        StructArray<Point> points = SharedCTypes.rawArray(Point.TYPE, 3);
        Point element = points.get(2);
        nested.x(4.5);
        element.y(6.5);
        assertEquals(4.5, outer.a().x());
        assertEquals(6.5, points.get(2).y());
        alone.close();
        outer.close();
        points.close();
        for (Point p : List.of(alone, nested, element)) {
            assertThrows(IllegalStateException.class, p::x, p.getClass().getSimpleName());
            assertThrows(IllegalStateException.class, () -> p.y(1.0));
        }
    }

    @Test
    void shouldAttachStructuresAndArraysOfThemByHandle() {
        StructArray<Segment> segments = SharedCTypes.rawArray(Segment.TYPE, 2);
        StructArray<Segment> same = StructArray.attach(segments.handle(), Segment.TYPE);
        same.get(1).ids().set(0, 42);
        assertEquals(42, segments.get(1).ids().get(0));
        assertThrows(IllegalArgumentException.class, () -> StructArray.attach(segments.handle(), Point.TYPE));
        Point p = SharedCTypes.rawValue(Point.TYPE, 1.0, 2.0);
        Point q = (Point) SharedCTypes.attach(p.handle());
        q.y(5);
        assertEquals(5.0, p.y());
    }

    @Test
    void shouldTakeTheLockOfASynchronizedArrayForEachFieldAccess() {
        StructArray<Point> points = SharedCTypes.array(Point.TYPE, List.of(List.of(1.0, 2.0)));
        Point p = points.get(0);
        assertTrue(p.isSynchronized());
        try (var _ = p.getLock().hold()) {
            p.x(p.x() + 1);
            assertTrue(points.getLock().isHeldByCurrentThread());
        }
        assertEquals(2.0, points.getObj().get(0).x());
    }

    @Test
    void getObjOfASynchronizedStructureIsItsOwnTypeWithoutACast() {
        try (Point p = SharedCTypes.value(Point.TYPE, List.of(1.0, 2.0))) {
            Point raw = p.getObj(); // compiles without a cast: Point extends Struct<Point>
            assertFalse(raw.isSynchronized());
            raw.x(7.0);
            assertEquals(7.0, p.x());
            StructType<Point> type = raw.structType();
            assertEquals(Point.TYPE, type);
            assertThrows(UnsupportedOperationException.class, raw::getObj);
        }
    }

    @Test
    void aSharedArrayInitializesAnotherByCopyOrElementByElement() {
        DoubleArray doubles = SharedCTypes.rawArray(CType.c_double, new double[] {1.5, 2.5, 3.5});
        DoubleArray copy = SharedCTypes.array(CType.c_double, doubles);
        assertEquals(List.of(1.5, 2.5, 3.5), copy.toList());
        doubles.set(0, 9.0);
        assertEquals(1.5, copy.get(0), "a copy, not a view");
        IntArray ints = SharedCTypes.rawArray(CType.c_int, new int[] {1, 2, 3});
        assertEquals(List.of(1.0, 2.0, 3.0), SharedCTypes.rawArray(CType.c_double, ints).toList());
        StructArray<Point> points = SharedCTypes.rawArray(Point.TYPE, new double[][] {{1, 2}, {3, 4}});
        StructArray<Point> pointsCopy = SharedCTypes.rawArray(Point.TYPE, points);
        assertEquals(2, pointsCopy.length());
        assertEquals(4.0, pointsCopy.get(1).y());
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SharedCTypes.rawArray(CType.c_ubyte, SharedCTypes.rawArray(CType.c_int, new int[] {300})));
        assertTrue(e.getMessage().contains("initializer[0]"), e.getMessage());
    }

    @Test
    void multiDimensionalArraysAreRowsOfRowsAtTopLevelAndAsFields() {
        NestedArray grid = SharedCTypes.rawArray(CType.c_int.array(3), 2); // c_int * 3 * 2
        assertEquals(2, grid.length());
        IntArray row = grid.get(1);
        row.set(2, 7);
        assertEquals(7, ((IntArray) grid.get(1)).get(2));
        assertEquals(List.of(List.of(0, 0, 0), List.of(0, 0, 7)), grid.toList());
        NestedArray cube = SharedCTypes.array(CType.c_double.array(4).array(3), 2, false);
        DoubleArray innermost = ((NestedArray) cube.get(1)).get(2);
        innermost.set(3, 1.5);
        assertEquals(1.5, ((DoubleArray) ((NestedArray) cube.get(1)).get(2)).get(3));
        assertEquals(2 * 3 * 4 * 8, cube.segment.byteSize());
        NestedArray attached = NestedArray.attach(grid.handle());
        assertEquals(7, ((IntArray) attached.get(1)).get(2));
        NestedArray points = SharedCTypes.rawArray(Point.TYPE.array(2), 2);
        StructArray<Point> second = points.get(1);
        second.get(1).x(4.5);
        StructArray<Point> again = ((NestedArray) SharedCTypes.attach(points.handle())).get(1);
        assertEquals(4.5, again.get(1).x());
    }
}
