package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.SharedLock;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.CType.c_int;
import static org.multiprocess4j.sharedctypes.SharedCTypes.array;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawArray;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawValue;
import static org.multiprocess4j.sharedctypes.SharedCTypes.value;

/**
 * Every factory form Python's {@code Value}/{@code Array}/{@code RawValue}/{@code RawArray} have, for a typecode, a
 * {@code CType} and a {@code StructType}, with a size or an initializer, and no lock argument, a boolean or a lock:
 * each exists and means what Python's means. (That {@code value(Point.TYPE, 3, 2, false)} does not compile is the
 * point of the list form; a compiler cannot be asked that from a test.)
 */
class FactoryFormsTest {
    /** Which lock an object ends up with. */
    enum Locking { RAW, OWN_LOCK, GIVEN_LOCK }

    record Form(String code, Supplier<SharedData> make, Locking locking, Object contents) {
    }

    record StructForm(String code, Supplier<Object> make, Locking locking, String contents) {
    }

    private static final SharedLock LOCK = ProcessLock.create();

    @TestFactory
    Stream<DynamicTest> everyValueAndArrayFormMeansWhatPythonsDoes() {
        List<Integer> three = List.of(0, 0, 0);
        List<Integer> nineTwoEight = List.of(9, 2, 8);
        return Stream.of(
                new Form("rawValue(c_int)", () -> rawValue(c_int), Locking.RAW, 0),
                new Form("rawValue(c_int, 7)", () -> rawValue(c_int, 7), Locking.RAW, 7),
                new Form("rawValue('i')", () -> rawValue('i'), Locking.RAW, 0),
                new Form("rawValue('i', 7)", () -> rawValue('i', 7), Locking.RAW, 7),
                new Form("value(c_int)", () -> value(c_int), Locking.OWN_LOCK, 0),
                new Form("value(c_int, 7)", () -> value(c_int, 7), Locking.OWN_LOCK, 7),
                new Form("value(c_int, 7, true)", () -> value(c_int, 7, true), Locking.OWN_LOCK, 7),
                new Form("value(c_int, 7, false)", () -> value(c_int, 7, false), Locking.RAW, 7),
                new Form("value(c_int, 7, lock)", () -> value(c_int, 7, LOCK), Locking.GIVEN_LOCK, 7),
                new Form("value('i')", () -> value('i'), Locking.OWN_LOCK, 0),
                new Form("value('i', 7)", () -> value('i', 7), Locking.OWN_LOCK, 7),
                new Form("value('i', 7, false)", () -> value('i', 7, false), Locking.RAW, 7),
                new Form("value('i', 7, lock)", () -> value('i', 7, LOCK), Locking.GIVEN_LOCK, 7),
                new Form("value(c_bool, false): a value, not a lock choice", () -> value(CType.c_bool, false),
                        Locking.OWN_LOCK, false),
                new Form("rawArray(c_int, 3)", () -> rawArray(c_int, 3), Locking.RAW, three),
                new Form("rawArray(c_int, [9, 2, 8])", () -> rawArray(c_int, new int[] {9, 2, 8}), Locking.RAW,
                        nineTwoEight),
                new Form("rawArray('i', 3)", () -> rawArray('i', 3), Locking.RAW, three),
                new Form("rawArray('i', [9, 2, 8])", () -> rawArray('i', nineTwoEight), Locking.RAW, nineTwoEight),
                new Form("array(c_int, 3)", () -> array(c_int, 3), Locking.OWN_LOCK, three),
                new Form("array(c_int, 3, true)", () -> array(c_int, 3, true), Locking.OWN_LOCK, three),
                new Form("array(c_int, 3, false)", () -> array(c_int, 3, false), Locking.RAW, three),
                new Form("array(c_int, 3, lock)", () -> array(c_int, 3, LOCK), Locking.GIVEN_LOCK, three),
                new Form("array(c_int, [9, 2, 8])", () -> array(c_int, nineTwoEight), Locking.OWN_LOCK, nineTwoEight),
                new Form("array(c_int, [9, 2, 8], false)", () -> array(c_int, nineTwoEight, false), Locking.RAW,
                        nineTwoEight),
                new Form("array(c_int, [9, 2, 8], lock)", () -> array(c_int, nineTwoEight, LOCK), Locking.GIVEN_LOCK,
                        nineTwoEight),
                new Form("array('i', 3)", () -> array('i', 3), Locking.OWN_LOCK, three),
                new Form("array('i', 3L, false)", () -> array('i', 3L, false), Locking.RAW, three),
                new Form("array('i', 3, lock)", () -> array('i', 3, LOCK), Locking.GIVEN_LOCK, three),
                new Form("array('i', [9, 2, 8])", () -> array('i', nineTwoEight), Locking.OWN_LOCK, nineTwoEight),
                new Form("array('i', [9, 2, 8], false)", () -> array('i', nineTwoEight, false), Locking.RAW,
                        nineTwoEight),
                new Form("array('i', [9, 2, 8], lock)", () -> array('i', nineTwoEight, LOCK), Locking.GIVEN_LOCK,
                        nineTwoEight),
                new Form("array(c_double, 2, false): a size, not an initializer", () -> array(c_double, 2, false),
                        Locking.RAW, List.of(0.0, 0.0)))
                .map(form -> dynamicTest(form.code(), () -> {
                    SharedData made = form.make().get();
                    Object contents = made instanceof SharedArray a ? a.toList() : ((SharedValue) made).getValue();
                    assertEquals(form.contents(), contents);
                    checkLocking(form.locking(), made::getLock);
                }));
    }

    @TestFactory
    Stream<DynamicTest> everyStructureFormMeansWhatPythonsDoes() {
        double[][] twoPoints = {{1, 2}, {3, 4}};
        return Stream.of(
                new StructForm("rawValue(Point.TYPE)", () -> rawValue(Point.TYPE), Locking.RAW, "(0.0, 0.0)"),
                new StructForm("rawValue(Point.TYPE, 1, 2)", () -> rawValue(Point.TYPE, 1.0, 2.0), Locking.RAW,
                        "(1.0, 2.0)"),
                new StructForm("value(Point.TYPE)", () -> value(Point.TYPE), Locking.OWN_LOCK, "(0.0, 0.0)"),
                new StructForm("value(Point.TYPE, [1, 2])", () -> value(Point.TYPE, List.of(1.0, 2.0)),
                        Locking.OWN_LOCK, "(1.0, 2.0)"),
                new StructForm("value(Point.TYPE, [1, 2], false)", () -> value(Point.TYPE, List.of(1.0, 2.0), false),
                        Locking.RAW, "(1.0, 2.0)"),
                new StructForm("value(Point.TYPE, [1, 2], lock)", () -> value(Point.TYPE, List.of(1.0, 2.0), LOCK),
                        Locking.GIVEN_LOCK, "(1.0, 2.0)"),
                new StructForm("rawArray(Point.TYPE, 2)", () -> rawArray(Point.TYPE, 2), Locking.RAW,
                        "(0.0, 0.0)(0.0, 0.0)"),
                new StructForm("rawArray(Point.TYPE, points)", () -> rawArray(Point.TYPE, twoPoints), Locking.RAW,
                        "(1.0, 2.0)(3.0, 4.0)"),
                new StructForm("array(Point.TYPE, 2)", () -> array(Point.TYPE, 2), Locking.OWN_LOCK,
                        "(0.0, 0.0)(0.0, 0.0)"),
                new StructForm("array(Point.TYPE, 2, false)", () -> array(Point.TYPE, 2, false), Locking.RAW,
                        "(0.0, 0.0)(0.0, 0.0)"),
                new StructForm("array(Point.TYPE, 2, lock)", () -> array(Point.TYPE, 2, LOCK), Locking.GIVEN_LOCK,
                        "(0.0, 0.0)(0.0, 0.0)"),
                new StructForm("array(Point.TYPE, points)", () -> array(Point.TYPE, twoPoints), Locking.OWN_LOCK,
                        "(1.0, 2.0)(3.0, 4.0)"),
                new StructForm("array(Point.TYPE, points, false)", () -> array(Point.TYPE, twoPoints, false),
                        Locking.RAW, "(1.0, 2.0)(3.0, 4.0)"),
                new StructForm("array(Point.TYPE, points, lock)", () -> array(Point.TYPE, twoPoints, LOCK),
                        Locking.GIVEN_LOCK, "(1.0, 2.0)(3.0, 4.0)"))
                .map(form -> dynamicTest(form.code(), () -> {
                    Object made = form.make().get();
                    StringBuilder shown = new StringBuilder();
                    Supplier<SharedLock> lock;
                    if (made instanceof StructArray<?> points) {
                        for (Object p : points) {
                            shown.append(xy((Point) p));
                        }
                        lock = points::getLock;
                    } else {
                        shown.append(xy((Point) made));
                        lock = ((Point) made)::getLock;
                    }
                    assertEquals(form.contents(), shown.toString());
                    checkLocking(form.locking(), lock);
                }));
    }

    private static String xy(Point p) {
        return "(" + p.x() + ", " + p.y() + ")";
    }

    private static void checkLocking(Locking locking, Supplier<SharedLock> getLock) {
        switch (locking) {
            case RAW -> assertThrows(UnsupportedOperationException.class, getLock::get, "raw: no lock");
            case OWN_LOCK -> assertTrue(getLock.get() != LOCK, "a lock of its own");
            case GIVEN_LOCK -> assertSame(LOCK, getLock.get(), "the lock it was given");
        }
    }
}
