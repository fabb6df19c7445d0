package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.Handle;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Views with a step (Python's {@code a[from:to:step]}, numpy's strides): read, write, and usable as any view. */
class StridedViewTest {

    private static IntArray numbers(int n) {
        return SharedCTypes.rawArray(CType.c_int, LongStream.range(0, n).mapToInt(i -> (int) i).toArray());
    }

    @Test
    void shouldSelectEveryStepthElementAsPythonDoes() {
        try (IntArray a = numbers(10)) {
            IntArray even = a.slice(0, 10, 2);
            assertEquals(5, even.length());
            assertEquals(8, even.strideBytes());
            assertArrayEquals(new int[]{0, 2, 4, 6, 8}, even.toArray());
            assertArrayEquals(new int[]{1, 4, 7}, a.slice(1, 10, 3).toArray(), "a[1:10:3]");
            assertArrayEquals(new int[]{1, 4, 7}, a.slice(1, 8, 3).toArray(), "a[1:8:3]: 7 is the last before 8");
            assertArrayEquals(new int[]{}, a.slice(4, 4, 3).toArray());
            assertArrayEquals(new int[]{9}, a.slice(9, 10, 5).toArray());
            assertEquals(4, a.slice(9, 10, 5).strideBytes(), "one element is contiguous");
            assertArrayEquals(new int[]{2, 6}, even.slice(1, 5, 2).toArray(), "a view of a view multiplies steps");
            assertEquals(List.of(0, 2, 4, 6, 8), even.toList());
            List<Integer> seen = new ArrayList<>();
            even.forEach(seen::add);
            assertEquals(List.of(0, 2, 4, 6, 8), seen);
        }
    }

    @Test
    void shouldWriteThroughToTheArrayAndLeaveTheSkippedElements() {
        try (IntArray a = numbers(10)) {
            IntArray odd = a.slice(1, 10, 2);
            odd.set(0, -1);
            odd.setValue(1, -3);
            odd.setRange(2, 5, new int[]{-5, -7, -9});
            assertArrayEquals(new int[]{0, -1, 2, -3, 4, -5, 6, -7, 8, -9}, a.toArray());
            assertEquals(-7, odd.getAndAdd(3, 7));
            assertTrue(odd.compareAndSet(3, 0, 70));
            assertEquals(70, a.get(7));
            int[] out = new int[3];
            odd.copyTo(1, out, 0, 3);
            assertArrayEquals(new int[]{-3, -5, 70}, out);
            assertThrows(IndexOutOfBoundsException.class, () -> odd.get(5));
        }
        try (DoubleArray d = SharedCTypes.rawArray(CType.c_double, new double[]{1, 2, 3, 4, 5, 6})) {
            DoubleArray every3 = d.slice(0, 6, 3);
            every3.copyFrom(new double[]{10, 40}, 0, 0, 2);
            assertArrayEquals(new double[]{10, 2, 3, 40, 5, 6}, d.toArray());
            assertEquals(10 + 40, every3.getAndAdd(1, 1) + every3.get(0));
        }
    }

    @Test
    void shouldRefuseAStepBelowOneAndRangesOutsideTheArray() {
        try (IntArray a = numbers(4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.slice(0, 4, 0));
            assertEquals("step must be >= 1 (Java's index rules: no negative steps): step=0", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.slice(0, 4, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> a.slice(-1, 4, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> a.slice(0, 5, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> a.slice(3, 2, 1));
        }
    }

    @Test
    void shouldKeepTheLockAndCopyAsAContiguousArray() {
        try (IntArray a = SharedCTypes.array(CType.c_int, new int[]{5, 6, 7, 8, 9})) {
            IntArray view = a.slice(0, 5, 2);
            assertTrue(view.isSynchronized());
            assertFalse(view.getObj().isSynchronized());
            try (IntArray copy = SharedCTypes.copy(view); IntArray init = SharedCTypes.rawArray(CType.c_int, view);
                 LongArray widened = SharedCTypes.rawArray(CType.c_long, view)) {
                assertArrayEquals(new int[]{5, 7, 9}, copy.toArray());
                assertEquals(4, copy.strideBytes());
                assertArrayEquals(new int[]{5, 7, 9}, init.toArray());
                assertArrayEquals(new long[]{5, 7, 9}, widened.toArray());
            }
        }
    }

    @Test
    void shouldSliceStructureCharacterAndNestedArrays() {
        try (StructArray<Point> points = SharedCTypes.rawArray(Point.TYPE, List.of(List.of(0.0, 0.5),
                List.of(1.0, 1.5), List.of(2.0, 2.5), List.of(3.0, 3.5)))) {
            StructArray<Point> odd = points.slice(1, 4, 2);
            assertEquals(2, odd.length());
            assertEquals(3.0, odd.get(1).x());
            odd.get(0).y(-1);
            assertEquals(-1.0, points.get(1).y());
            assertEquals(List.of(List.of(1.0, -1.0), List.of(3.0, 3.5)), odd.toList());
        }
        try (CharArray text = SharedCTypes.rawArray(CType.c_char, "h-e-l-l-o".getBytes(StandardCharsets.US_ASCII))) {
            CharArray letters = text.slice(0, 9, 2);
            assertEquals("hello", letters.value(StandardCharsets.US_ASCII));
            letters.value("HEL".getBytes(StandardCharsets.US_ASCII));
            assertEquals("H-E-L-\0-o", new String(text.rawValue(), StandardCharsets.US_ASCII));
        }
        try (NestedArray grid = SharedCTypes.rawArray(CType.c_int.array(2), List.of(List.of(1, 2), List.of(3, 4),
                List.of(5, 6)))) {
            NestedArray rows = grid.slice(0, 3, 2);
            IntArray last = rows.get(1);
            assertArrayEquals(new int[]{5, 6}, last.toArray());
        }
    }

    static void negateAll(IntArray view) {
        for (long i = 0; i < view.length(); i++) {
            view.set(i, -view.get(i));
        }
    }

    @Test
    void shouldTravelByHandleToThisAndAnotherProcess() {
        try (IntArray a = numbers(9)) {
            IntArray view = a.slice(2, 9, 3); // 2, 5, 8
            Handle handle = view.handle();
            assertTrue(handle.toString().contains(":3/12:"), handle.toString());
            try (IntArray again = IntArray.attach(handle)) {
                assertArrayEquals(new int[]{2, 5, 8}, again.toArray());
            }
            ChildProcess child = new ChildProcess(StridedViewTest::negateAll, view);
            child.start();
            child.join();
            assertEquals(0, child.exitCode(), String.valueOf(child.exception()));
            assertArrayEquals(new int[]{0, 1, -2, 3, 4, -5, 6, 7, -8}, a.toArray());
        }
    }

    @Test
    void shouldRefuseHandlesWhoseStrideDoesNotFit() {
        try (IntArray a = numbers(9); IntValue v = SharedCTypes.rawValue(CType.c_int, 1)) {
            String good = a.slice(0, 9, 2).handle().toString();
            for (String bad : List.of(good.replace(":5/8:", ":5/0:"), good.replace(":5/8:", ":5/2:"),
                    good.replace(":5/8:", ":5/6:"), good.replace(":5/8:", ":5/4:"), good.replace(":5/8:", ":5/9:"),
                    good.replace(":5/8:", ":1/8:"), good.replace(":5/8:", ":5/x:"),
                    v.handle().toString().replace(":4:1:", ":4:1/8:"))) {
                assertThrows(IllegalArgumentException.class, () -> SharedCTypes.attach(Handle.parse(bad)), bad);
            }
        }
    }
}
