package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.testing.Jvm;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** One JVM creates shared objects; a second, started for the test, attaches through their handles and changes them. */
class CrossJvmTest {

    /** The second JVM: attaches to every handle on its command line and changes what it finds. */
    public static final class Child {
        public static void main(String[] args) {
            IntValue i = IntValue.attach(Handle.parse(args[0]));
            DoubleValue d = DoubleValue.attach(Handle.parse(args[1]));
            ULongValue u = ULongValue.attach(Handle.parse(args[2]));
            CharArray s = CharArray.attach(Handle.parse(args[3]));
            WCharArray w = WCharArray.attach(Handle.parse(args[4]));
            DoubleArray a = DoubleArray.attach(Handle.parse(args[5]));
            StructArray<Segment> segments = StructArray.attach(Handle.parse(args[6]), Segment.TYPE);
            Segment one = (Segment) SharedCTypes.attach(Handle.parse(args[7]));
            IntValue locked = IntValue.attach(Handle.parse(args[8]));
            IntArray slice = IntArray.attach(Handle.parse(args[9]));

            i.set(i.get() * 7);
            d.set(d.get() + 0.5);
            u.set(-1L);
            s.value(s.value(StandardCharsets.US_ASCII).toUpperCase(), StandardCharsets.US_ASCII);
            w.value("w\u00efde \u2603");
            for (long k = 0; k < a.length(); k++) {
                a.set(k, a.get(k) * 2);
            }
            for (Segment seg : segments) {
                IntArray ids = seg.ids();
                for (long k = 0; k < ids.length(); k++) {
                    ids.set(k, ids.get(k) + 100);
                }
                seg.a().x(42);
            }
            one.path().get(1).y(-3);
            if (!locked.isSynchronized()) {
                throw new AssertionError("a synchronized value must attach synchronized");
            }
            IntValue raw = locked.getObj();
            try (var _ = locked.getLock().hold()) {
                raw.set(raw.get() + 1);
            }
            slice.set(0, -9);
            System.out.println("ok");
        }
    }

    @Test
    void aSecondJvmShouldSeeAndChangeEveryKindOfObject() {
        IntValue i = SharedCTypes.rawValue(CType.c_int, 6);
        DoubleValue d = SharedCTypes.rawValue(CType.c_double, 1.0 / 3.0);
        ULongValue u = SharedCTypes.rawValue(CType.c_ulong, 5L);
        CharArray s = SharedCTypes.rawArray(CType.c_char, "hello world".getBytes(StandardCharsets.US_ASCII));
        WCharArray w = SharedCTypes.rawArray(CType.c_wchar, 12);
        DoubleArray a = SharedCTypes.rawArray(CType.c_double, new double[] {1.5, -2, 3});
        StructArray<Segment> segments = SharedCTypes.rawArray(Segment.TYPE, 2);
        segments.get(1).ids().copyFrom(new int[] {1, 2, 3}, 0, 0, 3);
        Segment one = SharedCTypes.rawValue(Segment.TYPE);
        IntValue locked = SharedCTypes.value(CType.c_int, 10, ProcessLock.create());
        IntArray whole = SharedCTypes.rawArray(CType.c_int, new int[] {1, 2, 3, 4});

        String out = Jvm.run(Child.class, i.handle().toString(), d.handle().toString(), u.handle().toString(),
                s.handle().toString(), w.handle().toString(), a.handle().toString(), segments.handle().toString(),
                one.handle().toString(), locked.handle().toString(), whole.slice(2, 4).handle().toString());

        assertEquals("ok", out.strip());
        assertEquals(42, i.get());
        assertEquals(1.0 / 3.0 + 0.5, d.get());
        assertEquals("18446744073709551615", Long.toUnsignedString(u.get()));
        assertEquals("HELLO WORLD", s.value(StandardCharsets.US_ASCII));
        assertEquals("w\u00efde \u2603", w.value());
        assertArrayEquals(new double[] {3, -4, 6}, a.toArray());
        assertArrayEquals(new int[] {100, 100, 100}, segments.get(0).ids().toArray());
        assertArrayEquals(new int[] {101, 102, 103}, segments.get(1).ids().toArray());
        assertEquals(42.0, segments.get(1).a().x());
        assertEquals(-3.0, one.path().get(1).y());
        assertEquals(11, locked.get());
        assertEquals(List.of(1, 2, -9, 4), whole.toList());
    }
}
