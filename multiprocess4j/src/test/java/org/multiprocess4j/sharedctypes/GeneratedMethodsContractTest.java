package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.multiprocess4j.Handle;

import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract of every method {@code tools/gen_kinds.py} generates, checked for every C type through the typed,
 * unboxed signatures (found by reflection, so one suite covers all thirteen kinds): typed get and set, volatile and
 * acquire/release access, compare-and-set, get-and-set, the additions, bulk copies, ranges and views, on raw,
 * synchronized, sliced and strided objects, and the field records in native, packed and byte-swapped structures.
 * A generated public method this suite has no contract for fails it, so a new one cannot go untested.
 */
class GeneratedMethodsContractTest {

    /** Every public method name of the generated value, array and field classes, each checked below. */
    private static final Set<String> CHECKED = Set.of("get", "set", "getVolatile", "setVolatile", "getAcquire",
            "setRelease", "compareAndSet", "getAndSet", "getAndAdd", "addAndGet", "incrementAndGet",
            "decrementAndGet", "getObj", "attach", "copyTo", "copyFrom", "setRange", "toArray", "slice", "iterator",
            "toString", "value", "rawValue");

    static Stream<TypeContractTest.Case> cases() {
        return TypeContractTest.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyGeneratedPublicMethodHasAContractHere(TypeContractTest.Case c) throws Exception {
        Set<String> unchecked = new TreeSet<>();
        for (Class<?> cls : List.of(c.valueClass(), c.arrayClass(), fieldClass(c))) {
            for (Method m : cls.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic() && !CHECKED.contains(m.getName())
                        && !isRecordAccessor(cls, m)) {
                    unchecked.add(cls.getSimpleName() + "." + m.getName());
                }
            }
        }
        assertEquals(Set.of(), unchecked, "generated methods without a contract in this suite");
    }

    private static boolean isRecordAccessor(Class<?> cls, Method m) {
        return cls.isRecord() && m.getParameterCount() == 0 && Arrays.stream(cls.getRecordComponents())
                .anyMatch(rc -> rc.getName().equals(m.getName())) || m.getName().equals("equals")
                || m.getName().equals("hashCode");
    }

    private static Class<?> fieldClass(TypeContractTest.Case c) throws ClassNotFoundException {
        String name = c.valueClass().getName().replace("Value", "Field");
        return Class.forName(name);
    }

    // ---- values ----------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void typedValueAccessorsRoundTripEveryValidValueRawAndSynchronized(TypeContractTest.Case c) throws Exception {
        for (boolean sync : new boolean[]{false, true}) {
            try (SharedValue v = sync ? SharedCTypes.value(c.type()) : SharedCTypes.rawValue(c.type())) {
                for (Object x : c.valid()) {
                    for (String[] pair : new String[][]{{"set", "get"}, {"setVolatile", "getVolatile"},
                            {"setRelease", "getAcquire"}}) {
                        v.setValue(c.valid().getFirst());
                        call(v, pair[0], x);
                        assertSame(x, call(v, pair[1]), pair[0] + "/" + pair[1]);
                        assertSame(x, v.getValue(), "the boxed path reads what " + pair[0] + " wrote");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void typedSettersRefuseWhatTheCTypeCannotHoldAndKeepTheOldValue(TypeContractTest.Case c) throws Exception {
        try (SharedValue v = SharedCTypes.rawValue(c.type(), c.valid().get(1))) {
            Class<?> param = method(v.getClass(), "set", 1).getParameterTypes()[0];
            for (Object bad : c.invalid()) {
                if (!box(param).isInstance(bad)) {
                    continue; // not expressible in the typed signature: the compiler refuses it
                }
                for (String setter : List.of("set", "setVolatile", "setRelease", "getAndSet")) {
                    if (method(v.getClass(), setter, 1) != null) {
                        assertRefused(() -> call(v, setter, bad), setter + "(" + bad + ")");
                        assertSame(c.valid().get(1), v.getValue());
                    }
                }
                if (method(v.getClass(), "compareAndSet", 2) != null) {
                    assertRefused(() -> call(v, "compareAndSet", c.valid().get(1), bad), "compareAndSet(_, " + bad
                            + ")");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void valueAtomicsDoWhatTheirVarHandleNamesSay(TypeContractTest.Case c) throws Exception {
        try (SharedValue v = SharedCTypes.rawValue(c.type())) {
            Object a = c.valid().get(1);
            Object b = other(c);
            if (method(v.getClass(), "compareAndSet", 2) != null) {
                v.setValue(a);
                assertEquals(false, call(v, "compareAndSet", b, a), "a stale expectation fails");
                assertSame(a, v.getValue());
                assertEquals(true, call(v, "compareAndSet", a, b));
                assertSame(b, v.getValue());
            }
            if (method(v.getClass(), "getAndSet", 1) != null) {
                v.setValue(a);
                assertSame(a, call(v, "getAndSet", b));
                assertSame(b, v.getValue());
            }
            checkAdditions(c, v, new Object[0]);
        }
    }

    /** getAndAdd, addAndGet, incrementAndGet, decrementAndGet, with C's wrap-around at both ends. */
    private static void checkAdditions(TypeContractTest.Case c, Object target, Object[] index) throws Exception {
        Method getAndAdd = method(target.getClass(), "getAndAdd", index.length + 1);
        if (getAndAdd == null) {
            return;
        }
        Class<?> p = getAndAdd.getParameterTypes()[index.length];
        Kind kind = c.type().kind;
        if (!kind.integral) {
            setAt(target, index, number(p, 1.5));
            assertEquals(number(p, 1.5), call(target, "getAndAdd", append(index, number(p, 2.25))));
            assertEquals(number(p, 6.0), call(target, "addAndGet", append(index, number(p, 2.25))));
            assertEquals(number(p, 6.0), getAt(target, index));
            return;
        }
        setAt(target, index, number(p, 40));
        assertEquals(number(p, 40), call(target, "getAndAdd", append(index, number(p, 2))));
        assertEquals(number(p, 45), call(target, "addAndGet", append(index, number(p, 3))));
        assertEquals(number(p, 46), call(target, "incrementAndGet", index));
        assertEquals(number(p, 45), call(target, "decrementAndGet", index));
        setAt(target, index, number(p, kind.max));
        assertEquals(number(p, kind.min), call(target, "incrementAndGet", index), "the largest value wraps");
        assertEquals(number(p, kind.max), call(target, "decrementAndGet", index), "the smallest value wraps");
        assertEquals(number(p, kind.min + 1), call(target, "addAndGet", append(index, number(p, 2))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void getObjAndAttachGiveTheSameMemoryAsTheOwnClass(TypeContractTest.Case c) throws Exception {
        try (SharedValue v = SharedCTypes.value(c.type(), c.valid().get(1));
             SharedArray a = SharedCTypes.array(c.type(), c.valid())) {
            for (SharedData d : List.<SharedData>of(v, a)) {
                Object raw = call(d, "getObj");
                assertEquals(d.getClass(), raw.getClass());
                assertFalse(((SharedData) raw).isSynchronized());
                assertThrows(UnsupportedOperationException.class, () -> call(raw, "getObj"));
                Method attach = d.getClass().getMethod("attach", Handle.class);
                try (SharedData again = (SharedData) attach.invoke(null, d.handle())) {
                    assertEquals(d.getClass(), again.getClass());
                    assertTrue(again.isSynchronized());
                    assertTrue(again.toString().contains(c.type().toString()), again.toString());
                }
            }
            Method attachValue = v.getClass().getMethod("attach", Handle.class);
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> attachValue.invoke(null, a.handle()), "a value class attaching an array");
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
        }
    }

    // ---- arrays ----------------------------------------------------------------------------------------------

    /** The same elements seen four ways: a whole raw array, a synchronized one, a slice, and a view with a step. */
    private static List<SharedArray> views(TypeContractTest.Case c, List<AutoCloseable> owners) throws Exception {
        int n = c.valid().size();
        SharedArray raw = SharedCTypes.rawArray(c.type(), n);
        SharedArray sync = SharedCTypes.array(c.type(), n);
        SharedArray wide = SharedCTypes.rawArray(c.type(), n + 2);
        SharedArray spaced = SharedCTypes.rawArray(c.type(), 3 * n);
        owners.addAll(List.of(raw, sync, wide, spaced));
        return List.of(raw, sync, (SharedArray) call(wide, "slice", 1L, (long) n + 1),
                (SharedArray) call(spaced, "slice", 1L, 3L * n, 3L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void typedArrayAccessorsAndBulkCopiesAgreeWithTheBoxedPathOnEveryView(TypeContractTest.Case c)
            throws Exception {
        List<AutoCloseable> owners = new ArrayList<>();
        try {
            for (SharedArray a : views(c, owners)) {
                String what = a + " (stride " + a.strideBytes() + ")";
                int n = c.valid().size();
                for (int i = 0; i < n; i++) {
                    Object x = c.valid().get(i);
                    for (String[] pair : new String[][]{{"set", "get"}, {"setVolatile", "getVolatile"},
                            {"setRelease", "getAcquire"}}) {
                        call(a, pair[0], (long) i, x);
                        assertSame(x, call(a, pair[1], (long) i), what + " " + pair[0] + "/" + pair[1]);
                        assertSame(x, a.getValue(i));
                    }
                }
                assertEquals(c.valid(), a.toList(), what);
                List<Object> iterated = new ArrayList<>();
                ((Iterable<?>) a).forEach(iterated::add);
                assertEquals(c.valid(), iterated);
                Object all = call(a, "toArray");
                assertEquals(c.valid(), asList(all), what + " toArray");
                assertEquals(c.valid().subList(1, n), asList(call(a, "toArray", 1L, (long) n)));

                Object reversed = typedArray(all.getClass().componentType(), c.valid().reversed());
                call(a, "copyFrom", reversed, 0, 0L, n);
                assertEquals(c.valid().reversed(), a.toList(), what + " copyFrom");
                Object out = java.lang.reflect.Array.newInstance(all.getClass().componentType(), n + 1);
                call(a, "copyTo", 1L, out, 1, n - 1);
                assertEquals(c.valid().reversed().subList(1, n), asList(out).subList(1, n), what + " copyTo");
                call(a, "setRange", 0L, (long) n, all);
                assertEquals(c.valid(), a.toList(), what + " setRange");
                assertThrows(IllegalArgumentException.class, () -> invoke(a, "setRange", 0L, 1L, all));
                assertThrows(IndexOutOfBoundsException.class, () -> invoke(a, "get", (long) n));
                assertThrows(IndexOutOfBoundsException.class, () -> invoke(a, "copyTo", 1L, out, 0, n));
            }
        } finally {
            for (AutoCloseable o : owners) {
                o.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void typedArraySettersRefuseWhatTheCTypeCannotHoldAndWriteNothing(TypeContractTest.Case c) throws Exception {
        try (SharedArray a = SharedCTypes.rawArray(c.type(), c.valid())) {
            Class<?> param = method(a.getClass(), "set", 2).getParameterTypes()[1];
            for (Object bad : c.invalid()) {
                if (!box(param).isInstance(bad)) {
                    continue;
                }
                for (String setter : List.of("set", "setVolatile", "setRelease", "getAndSet")) {
                    if (method(a.getClass(), setter, 2) != null) {
                        assertRefused(() -> call(a, setter, 0L, bad), setter + "(0, " + bad + ")");
                    }
                }
                List<Object> withBad = new ArrayList<>(c.valid().reversed());
                withBad.set(withBad.size() - 1, bad);
                Object src = typedArray(param, withBad);
                assertRefused(() -> call(a, "copyFrom", src, 0, 0L, withBad.size()), "copyFrom with " + bad);
                assertEquals(c.valid(), a.toList(), "a refused bulk copy writes nothing");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void arrayAtomicsDoWhatTheirVarHandleNamesSayOnEveryView(TypeContractTest.Case c) throws Exception {
        List<AutoCloseable> owners = new ArrayList<>();
        try {
            for (SharedArray a : views(c, owners)) {
                Object x = c.valid().get(1);
                Object y = other(c);
                long last = a.length() - 1;
                if (method(a.getClass(), "compareAndSet", 3) != null) {
                    a.setValue(last, x);
                    assertEquals(false, call(a, "compareAndSet", last, y, x));
                    assertEquals(true, call(a, "compareAndSet", last, x, y));
                    assertSame(y, a.getValue(last));
                }
                if (method(a.getClass(), "getAndSet", 2) != null) {
                    assertSame(y, call(a, "getAndSet", last, x));
                    assertSame(x, a.getValue(last));
                }
                checkAdditions(c, a, new Object[]{last});
                assertEquals(c.valid().getFirst(), a.getValue(0), "atomics on one element leave the others");
            }
        } finally {
            for (AutoCloseable o : owners) {
                o.close();
            }
        }
    }

    // ---- fields ----------------------------------------------------------------------------------------------

    static final class Holder extends Struct<Holder> {
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fieldRecordsReadAndWriteInPlaceInEveryLayoutAndEveryPath(TypeContractTest.Case c) throws Exception {
        StructType<Holder> natural = StructType.define(Holder::new, StructType.field("pad", CType.c_char),
                StructType.field("f", c.type()));
        StructType<Holder> swapped = StructType.define(Holder::new, LayoutRules.STRUCTURE.packed(1).bigEndian(),
                StructType.field("pad", CType.c_char), StructType.field("f", c.type()));
        Class<?> fieldClass = fieldClass(c);
        Field nf = natural.field("f", fieldClass.asSubclass(Field.class));
        Field sf = swapped.field("f", fieldClass.asSubclass(Field.class));
        assertEquals(c.size(), nf.offset(), "naturally aligned after one byte");
        assertEquals(1, sf.offset(), "packed");
        try (Holder n = SharedCTypes.rawValue(natural); Holder s = SharedCTypes.rawValue(swapped);
             Holder locked = SharedCTypes.value(natural); StructArray<Holder> many = SharedCTypes.rawArray(natural, 3);
             StructArray<Holder> manySwapped = SharedCTypes.rawArray(swapped, 3)) {
            for (Object x : c.valid()) {
                for (Object[] place : new Object[][]{{nf, n}, {sf, s}, {nf, locked}, {nf, many.get(2)},
                        {sf, manySwapped.get(1)}}) {
                    call(place[0], "set", place[1], x);
                    assertSame(x, call(place[0], "get", place[1]));
                    assertSame(x, ((Holder) place[1]).fieldValues().get(1), "the boxed path agrees");
                }
                byte[] natural1 = n.segment.asSlice(n.offset + nf.offset(), c.size()).toArray(ValueLayout.JAVA_BYTE);
                byte[] swapped1 = s.segment.asSlice(s.offset + 1, c.size()).toArray(ValueLayout.JAVA_BYTE);
                byte[] reversed = natural1.clone();
                for (int i = 0; i < reversed.length / 2; i++) {
                    byte t = reversed[i];
                    reversed[i] = reversed[reversed.length - 1 - i];
                    reversed[reversed.length - 1 - i] = t;
                }
                assertArrayEquals(reversed, swapped1, "big-endian bytes are the native ones reversed: " + x);
            }
            Class<?> param = method(fieldClass, "set", 2).getParameterTypes()[1];
            for (Object bad : c.invalid()) {
                if (box(param).isInstance(bad)) {
                    assertRefused(() -> call(nf, "set", n, bad), "field set(" + bad + ")");
                    assertRefused(() -> call(sf, "set", s, bad), "swapped field set(" + bad + ")");
                }
            }
            assertThrows(IllegalArgumentException.class, () -> invoke(nf, "get", s), "a field of another type");
            assertTrue(nf.toString().contains("Holder.f"), nf.toString());
        }
    }

    /** A valid value other than {@code valid().get(1)}, and not NaN (whose comparisons are not equalities). */
    private static Object other(TypeContractTest.Case c) {
        return c.valid().size() > 2 ? c.valid().get(2) : c.valid().getFirst();
    }

    // ---- reflection helpers ----------------------------------------------------------------------------------

    private static Method method(Class<?> cls, String name, int parameters) {
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == parameters && !m.isBridge()) {
                return m;
            }
        }
        return null;
    }

    /** Calls a public method by name and argument count; what it throws is thrown as is. */
    private static Object call(Object target, String name, Object... args) throws Exception {
        Method m = method(target.getClass(), name, args.length);
        if (m == null) {
            fail(target.getClass().getSimpleName() + " has no " + name + " with " + args.length + " parameters");
        }
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void invoke(Object target, String name, Object... args) throws Exception {
        call(target, name, args);
    }

    private static void assertRefused(Executable action, String what) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action, what);
        assertTrue(e.getMessage().contains("out of range") || e.getMessage().contains("must be"), e.getMessage());
    }

    /** Equality of boxed values that also tells 0.0 from -0.0 and NaN from NaN, as the bits do. */
    private static void assertSame(Object expected, Object actual, String... what) {
        assertEquals(expected, actual, what.length == 0 ? null : what[0]);
        assertEquals(expected.getClass(), actual.getClass());
    }

    private static void setAt(Object target, Object[] index, Object value) throws Exception {
        call(target, "set", append(index, value));
    }

    private static Object getAt(Object target, Object[] index) throws Exception {
        return call(target, "get", index);
    }

    private static Object[] append(Object[] head, Object last) {
        Object[] all = Arrays.copyOf(head, head.length + 1);
        all[head.length] = last;
        return all;
    }

    private static Object number(Class<?> primitive, double value) {
        return switch (primitive.getName()) {
            case "float" -> (float) value;
            case "double" -> value;
            default -> throw new IllegalArgumentException("not a floating-point type: " + primitive);
        };
    }

    private static Object number(Class<?> primitive, long value) {
        return switch (primitive.getName()) {
            case "byte" -> (byte) value;
            case "short" -> (short) value;
            case "int" -> (int) value;
            case "long" -> value;
            default -> throw new IllegalArgumentException("not an integer type: " + primitive);
        };
    }

    private static Class<?> box(Class<?> primitive) {
        return java.lang.invoke.MethodType.methodType(primitive).wrap().returnType();
    }

    private static Object typedArray(Class<?> component, List<Object> values) {
        Object array = java.lang.reflect.Array.newInstance(component, values.size());
        for (int i = 0; i < values.size(); i++) {
            java.lang.reflect.Array.set(array, i, values.get(i));
        }
        return array;
    }

    private static List<Object> asList(Object array) {
        List<Object> list = new ArrayList<>();
        for (int i = 0; i < java.lang.reflect.Array.getLength(array); i++) {
            list.add(java.lang.reflect.Array.get(array, i));
        }
        return list;
    }
}
