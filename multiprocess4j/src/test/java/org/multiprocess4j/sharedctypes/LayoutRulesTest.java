package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.multiprocess4j.sharedctypes.CType.c_char;
import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.CType.c_int;
import static org.multiprocess4j.sharedctypes.CType.c_longlong;
import static org.multiprocess4j.sharedctypes.CType.c_short;
import static org.multiprocess4j.sharedctypes.CType.c_ubyte;
import static org.multiprocess4j.sharedctypes.CType.c_uint;
import static org.multiprocess4j.sharedctypes.CType.c_ushort;
import static org.multiprocess4j.sharedctypes.StructType.field;

/**
 * Unions, packing, bit fields and byte order, compared with what python3's ctypes and GCC lay out: sizes,
 * alignments, offsets, bit positions, and the very bytes each writes for the same field values.
 */
class LayoutRulesTest {

    static final class Un extends Struct<Un> {
        static final StructType<Un> TYPE = StructType.define(Un::new, LayoutRules.UNION,
                field("i", c_int), field("d", c_double), field("c", c_char.array(3)), field("s", c_short));
    }

    /** The same fields under every pack value. */
    private static StructType.FieldSpec[] packedFields() {
        return new StructType.FieldSpec[]{field("c", c_char), field("i", c_int), field("h", c_short),
                field("q", c_longlong), field("b", c_ubyte.array(3)), field("t", CtypesLayoutTest.Tiny.TYPE)};
    }

    static final class P1 extends Struct<P1> {
        static final StructType<P1> TYPE = StructType.define(P1::new, LayoutRules.STRUCTURE.packed(1),
                packedFields());
    }

    static final class P2 extends Struct<P2> {
        static final StructType<P2> TYPE = StructType.define(P2::new, LayoutRules.STRUCTURE.packed(2),
                packedFields());
    }

    static final class P4 extends Struct<P4> {
        static final StructType<P4> TYPE = StructType.define(P4::new, LayoutRules.STRUCTURE.packed(4),
                packedFields());
    }

    static final class P8 extends Struct<P8> {
        static final StructType<P8> TYPE = StructType.define(P8::new, LayoutRules.STRUCTURE.packed(8),
                field("c", c_char), field("i", c_int), field("h", c_short), field("q", c_longlong),
                field("b", c_ubyte.array(3)), field("p", Point.TYPE));
    }

    /**
     * Bit fields where GCC and every ctypes agree: runs of one type, a new unit where a field would not fit, a
     * unit that widens. (Runs that mix types are where Python before 3.12 differs from C; the GCC test has them.)
     */
    static final class Bits extends Struct<Bits> {
        static final StructType<Bits> TYPE = StructType.define(Bits::new,
                field("a", c_uint, 3), field("b", c_uint, 5), field("c", c_int, 24), field("d", c_ushort),
                field("e", c_uint, 30), field("f", c_uint, 29), field("g", c_longlong, 40), field("h", c_longlong, 8),
                field("s", c_longlong, 9));
    }

    static final class UBits extends Struct<UBits> {
        static final StructType<UBits> TYPE = StructType.define(UBits::new, LayoutRules.UNION,
                field("x", c_uint, 3), field("y", c_ushort), field("z", c_ubyte, 7));
    }

    static final class Big extends Struct<Big> {
        static final StructType<Big> TYPE = StructType.define(Big::new, LayoutRules.STRUCTURE.bigEndian(),
                field("a", c_ushort), field("b", c_int), field("c", c_double), field("d", c_uint, 4),
                field("e", c_uint, 12), field("f", c_int, 16), field("g", c_char.array(2)), field("h", c_longlong));
    }

    static final class Little extends Struct<Little> {
        static final StructType<Little> TYPE = StructType.define(Little::new, LayoutRules.STRUCTURE.littleEndian(),
                field("a", c_ushort), field("b", c_int), field("d", c_uint, 4));
    }

    /** A packed big-endian wire header: unaligned, byte-swapped fields. */
    static final class Wire extends Struct<Wire> {
        static final StructType<Wire> TYPE = StructType.define(Wire::new,
                LayoutRules.STRUCTURE.packed(1).bigEndian(), field("kind", c_ubyte), field("length", c_uint),
                field("seq", c_longlong), field("port", c_ushort));
    }

    /** Arrays of multi-byte elements that packing misaligns, and that another byte order swaps. */
    static final class PackedArrays extends Struct<PackedArrays> {
        static final StructType<PackedArrays> TYPE = StructType.define(PackedArrays::new,
                LayoutRules.STRUCTURE.packed(1), field("c", c_char), field("v", c_int.array(3)),
                field("g", c_short.array(2).array(2)));
    }

    static final class BigArrays extends Struct<BigArrays> {
        static final StructType<BigArrays> TYPE = StructType.define(BigArrays::new,
                LayoutRules.STRUCTURE.bigEndian(), field("c", c_char), field("v", c_int.array(3)),
                field("d", c_double.array(2)));
    }

    static final class BigRows extends Struct<BigRows> {
        static final StructType<BigRows> TYPE = StructType.define(BigRows::new, LayoutRules.STRUCTURE.bigEndian(),
                field("g", c_short.array(2).array(2)));
    }

    /** Structures, and an array of them, that packing leaves at odd offsets: their own fields read in place. */
    static final class PackedNest extends Struct<PackedNest> {
        static final StructType<PackedNest> TYPE = StructType.define(PackedNest::new,
                LayoutRules.STRUCTURE.packed(1), field("c", c_char), field("p", Point.TYPE),
                field("pts", Point.TYPE.array(2)), field("s", Segment.TYPE));
    }

    private static final String PYTHON = """
            import ctypes
            from ctypes import *
            class Point(Structure):
                _fields_ = [('x', c_double), ('y', c_double)]
            class Tiny(Structure):
                _fields_ = [('a', c_char), ('b', c_char)]
            class Un(Union):
                _fields_ = [('i', c_int), ('d', c_double), ('c', c_char * 3), ('s', c_short)]
            packed = [('c', c_char), ('i', c_int), ('h', c_short), ('q', c_longlong), ('b', c_ubyte * 3), ('t', Tiny)]
            class P1(Structure):
                _pack_ = 1
                _fields_ = packed
            class P2(Structure):
                _pack_ = 2
                _fields_ = packed
            class P4(Structure):
                _pack_ = 4
                _fields_ = packed
            class P8(Structure):
                _pack_ = 8
                _fields_ = packed[:5] + [('p', Point)]
            class Bits(Structure):
                _fields_ = [('a', c_uint, 3), ('b', c_uint, 5), ('c', c_int, 24), ('d', c_ushort), ('e', c_uint, 30),
                            ('f', c_uint, 29), ('g', c_longlong, 40), ('h', c_longlong, 8), ('s', c_longlong, 9)]
            class UBits(Union):
                _fields_ = [('x', c_uint, 3), ('y', c_ushort), ('z', c_ubyte, 7)]
            class Big(BigEndianStructure):
                _fields_ = [('a', c_ushort), ('b', c_int), ('c', c_double), ('d', c_uint, 4), ('e', c_uint, 12),
                            ('f', c_int, 16), ('g', c_char * 2), ('h', c_longlong)]
            class Little(LittleEndianStructure):
                _fields_ = [('a', c_ushort), ('b', c_int), ('d', c_uint, 4)]
            class Wire(BigEndianStructure):
                _pack_ = 1
                _fields_ = [('kind', c_ubyte), ('length', c_uint), ('seq', c_longlong), ('port', c_ushort)]
            class PackedArrays(Structure):
                _pack_ = 1
                _fields_ = [('c', c_char), ('v', c_int * 3), ('g', c_short * 2 * 2)]
            class BigArrays(BigEndianStructure):
                _fields_ = [('c', c_char), ('v', c_int * 3), ('d', c_double * 2)]
            class Segment(Structure):
                _fields_ = [('tag', c_char), ('a', Point), ('n', c_short), ('path', Point * 2),
                            ('ids', c_int * 3), ('ok', c_bool)]
            class PackedNest(Structure):
                _pack_ = 1
                _fields_ = [('c', c_char), ('p', Point), ('pts', Point * 2), ('s', Segment)]
            def where(t, name):
                f = getattr(t, name)
                if f.size >> 16:  # a bit field: the width above, the bit offset below
                    return 'bit %d/%d' % (f.offset * 8 + (f.size & 0xffff), f.size >> 16)
                return str(f.offset)
            for t in (Un, P1, P2, P4, P8, Bits, UBits, Big, Little, Wire, PackedArrays, BigArrays, PackedNest):
                print(t.__name__, ctypes.sizeof(t), ctypes.alignment(t), ' '.join(where(t, f[0]) for f in t._fields_))
            def show(o):
                print(type(o).__name__, bytes(o).hex())
            u = Un(); u.d = 1.5; show(u)
            u = Un(); u.c = b'xyz'; show(u)
            for t in (P1, P2, P4):
                show(t(b'c', -2, 0x1234, -3, (7, 8, 9), Tiny(b'p', b'q')))
            show(P8(b'c', -2, 0x1234, -3, (7, 8, 9), Point(1.5, -2.0)))
            show(Bits(5, 17, -3, 0xBEEF, 0x2345678, 6, -123456789, -46, -200))
            u = UBits(); u.y = 0xFFFF; u.z = 0x15; show(u)
            show(Big(0x1234, -2, 1.5, 5, 0xABC, -3, b'xy', 0x0102030405060708))
            show(Little(0x1234, -2, 9))
            show(Wire(0x7F, 0xA1B2C3D4, -2, 8080))
            show(PackedArrays(b'c', (-1, 2, 0x01020304), ((1, -2), (0x0102, 7))))
            show(BigArrays(b'c', (-1, 2, 0x01020304), (1.5, -2.0)))
            n = PackedNest(); n.c = b'c'; n.p.x = 1.5; n.pts[1].y = -2.0; n.s.ids[2] = 7; n.s.path[1].x = 0.25
            show(n)
            """;

    private static final List<StructType<?>> TYPES = List.of(Un.TYPE, P1.TYPE, P2.TYPE, P4.TYPE, P8.TYPE,
            Bits.TYPE, UBits.TYPE, Big.TYPE, Little.TYPE, Wire.TYPE, PackedArrays.TYPE, BigArrays.TYPE,
            PackedNest.TYPE);

    @Test
    void shouldLayOutUnionsPackingBitFieldsAndByteOrderAsCtypesDoes() throws Exception {
        List<String> expected = run(List.of("python3", "-c", PYTHON), "python3");
        List<String> actual = new ArrayList<>();
        for (StructType<?> t : TYPES) {
            actual.add(t + " " + t.byteSize() + " " + t.byteAlignment() + " " + String.join(" ",
                    t.fields().stream().map(LayoutRulesTest::where).toList()));
        }
        try (Un u = SharedCTypes.rawValue(Un.TYPE); Un v = SharedCTypes.rawValue(Un.TYPE)) {
            Un.TYPE.field("d", DoubleField.class).set(u, 1.5);
            actual.add(bytes(u));
            CharArray c = Un.TYPE.field("c", ArrayField.class).get(v);
            c.value("xyz".getBytes(StandardCharsets.US_ASCII));
            actual.add(bytes(v));
        }
        List<Object> packed = List.of(new byte[]{'c'}, -2, 0x1234, -3L, List.of(7, 8, 9), List.of((byte) 'p',
                (byte) 'q'));
        for (StructType<?> t : List.of(P1.TYPE, P2.TYPE, P4.TYPE)) {
            try (Struct<?> s = SharedCTypes.rawValue(t, packed.toArray())) {
                actual.add(bytes(s));
            }
        }
        try (Struct<?> s = SharedCTypes.rawValue(P8.TYPE, new byte[]{'c'}, -2, 0x1234, -3L, List.of(7, 8, 9),
                List.of(1.5, -2.0))) {
            actual.add(bytes(s));
        }
        try (Struct<?> s = SharedCTypes.rawValue(Bits.TYPE, 5, 17, -3, 0xBEEF, 0x2345678, 6, -123456789, -46, -200)) {
            actual.add(bytes(s));
        }
        try (UBits u = SharedCTypes.rawValue(UBits.TYPE)) {
            UBits.TYPE.field("y", UShortField.class).set(u, 0xFFFF);
            UBits.TYPE.field("z", BitField.class).set(u, 0x15);
            actual.add(bytes(u));
        }
        try (Struct<?> s = SharedCTypes.rawValue(Big.TYPE, 0x1234, -2, 1.5, 5, 0xABC, -3, List.of((byte) 'x',
                (byte) 'y'), 0x0102030405060708L)) {
            actual.add(bytes(s));
        }
        try (Struct<?> s = SharedCTypes.rawValue(Little.TYPE, 0x1234, -2, 9)) {
            actual.add(bytes(s));
        }
        try (Struct<?> s = SharedCTypes.rawValue(Wire.TYPE, 0x7F, 0xA1B2C3D4L, -2L, 8080)) {
            actual.add(bytes(s));
        }
        try (PackedArrays s = SharedCTypes.rawValue(PackedArrays.TYPE)) { // written through the typed views
            PackedArrays.TYPE.field("c", CharField.class).set(s, (byte) 'c');
            IntArray v = PackedArrays.TYPE.field("v", ArrayField.class).get(s);
            v.copyFrom(new int[]{-1, 2, 0x01020304}, 0, 0, 3);
            NestedArray g = PackedArrays.TYPE.field("g", ArrayField.class).get(s);
            ShortArray row0 = g.get(0);
            ShortArray row1 = g.get(1);
            row0.set(0, (short) 1);
            row0.set(1, (short) -2);
            row1.setRange(0, 2, new short[]{0x0102, 7});
            actual.add(bytes(s));
        }
        try (Struct<?> s = SharedCTypes.rawValue(BigArrays.TYPE, new byte[]{'c'}, List.of(-1, 2, 0x01020304),
                List.of(1.5, -2.0))) {
            actual.add(bytes(s));
            // A copy of a big-endian array field is a native array of the same values, as Python's copy() gives
            IntArray v = BigArrays.TYPE.field("v", ArrayField.class).get(s);
            try (IntArray copied = SharedCTypes.copy(v); IntArray initialized = SharedCTypes.rawArray(CType.c_int, v)) {
                assertEquals(List.of(-1, 2, 0x01020304), copied.toList());
                assertEquals(List.of(-1, 2, 0x01020304), initialized.toList());
            }
        }
        try (BigRows s = SharedCTypes.rawValue(BigRows.TYPE, List.of(List.of(1, 2), List.of(0x0102, 7)))) {
            NestedArray g = BigRows.TYPE.field("g", ArrayField.class).get(s); // rows of big-endian shorts
            try (NestedArray copied = SharedCTypes.copy(g)) {
                assertEquals(List.of(List.of((short) 1, (short) 2), List.of((short) 0x0102, (short) 7)),
                        copied.toList());
            }
        }
        try (PackedNest n = SharedCTypes.rawValue(PackedNest.TYPE)) { // through the nested types' own accessors
            PackedNest.TYPE.field("c", CharField.class).set(n, (byte) 'c');
            Point p = PackedNest.TYPE.structField("p", Point.TYPE).get(n);
            p.x(1.5);
            StructArray<Point> pts = PackedNest.TYPE.field("pts", ArrayField.class).get(n);
            pts.get(1).y(-2.0);
            Segment seg = PackedNest.TYPE.structField("s", Segment.TYPE).get(n);
            seg.ids().set(2, 7);
            seg.path().get(1).x(0.25);
            actual.add(bytes(n));
            assertEquals(1.5, p.x());
            assertEquals(7, seg.ids().get(2));
            assertThrows(UnsupportedOperationException.class, p::handle, "p sits at offset 1");
            assertThrows(UnsupportedOperationException.class, () -> seg.ids().getAndAdd(0, 1), "ids is unaligned");
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }

    /**
     * A field's place as the Python side prints it: the offset, and for a bit field the position of its storage
     * unit's bit 0 plus its bit offset, and its width (which does not depend on how large a unit one counts in).
     */
    private static String where(Field f) {
        return f instanceof BitField b ? "bit " + (b.offset() * 8 + b.bitOffset()) + "/" + b.bitWidth()
                : Long.toString(f.offset());
    }

    private static String bytes(Struct<?> s) {
        byte[] b = s.segment.asSlice(s.offset, s.type.byteSize()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        return s.getClass().getSimpleName() + " " + HexFormat.of().formatHex(b);
    }

    /** Straddling bit fields, where GCC moves to the next unit (ctypes before Python 3.12 did not always). */
    static final class Straddle extends Struct<Straddle> {
        static final StructType<Straddle> TYPE = StructType.define(Straddle::new,
                field("a", c_uint, 20), field("b", c_ubyte, 6), field("c", c_ushort, 12), field("d", c_longlong, 40),
                field("e", c_ubyte), field("f", c_short, 3), field("g", c_uint, 3), field("h", c_ushort));
    }

    @Test
    void shouldPlaceStraddlingBitFieldsAsGccDoes() throws Exception {
        List<String> expected = runC("""
                struct straddle { unsigned int a:20; unsigned char b:6; unsigned short c:12; long long d:40;
                                  unsigned char e; short f:3; unsigned g:3; unsigned short h; };
                int main(void) {
                    struct straddle s = {0};
                    s.a = 0xABCDE; s.b = 0x2A; s.c = 0xFED; s.d = -5; s.e = 0x77; s.f = -2; s.g = 5; s.h = 0xCAFE;
                    printf("%zu %zu %zu %zu\\n", sizeof s, _Alignof(struct straddle), offsetof(struct straddle, e),
                           offsetof(struct straddle, h));
                    show(&s, sizeof s);
                    return 0;
                }
                """);
        try (Straddle s = SharedCTypes.rawValue(Straddle.TYPE, 0xABCDE, 0x2A, 0xFED, -5L, 0x77, -2, 5, 0xCAFE)) {
            List<String> actual = List.of(Straddle.TYPE.byteSize() + " " + Straddle.TYPE.byteAlignment() + " "
                    + Straddle.TYPE.fields().get(4).offset() + " " + Straddle.TYPE.fields().get(7).offset(),
                    bytes(s).substring("Straddle ".length()));
            assertEquals(expected, actual);
            assertEquals(List.of(0xABCDEL, 0x2AL, 0xFEDL, -5L, 0x77, -2L, 5L, 0xCAFE), s.fieldValues());
        }
    }

    /** Bit fields under {@code #pragma pack}: GCC places each at the next free bit, across storage units. */
    static final class PackedBits extends Struct<PackedBits> {
        static final StructType<PackedBits> TYPE = StructType.define(PackedBits::new, LayoutRules.STRUCTURE.packed(1),
                field("x", c_uint, 3), field("y", c_uint, 30), field("c", c_ubyte), field("s", c_short, 12),
                field("q", c_longlong, 64), field("z", c_ubyte, 5));
    }

    static final class PackedBits2 extends Struct<PackedBits2> {
        static final StructType<PackedBits2> TYPE = StructType.define(PackedBits2::new,
                LayoutRules.STRUCTURE.packed(2), field("c", c_char), field("x", c_uint, 20), field("y", c_int, 20));
    }

    @Test
    void shouldPackBitFieldsAcrossStorageUnitsAsGccDoes() throws Exception {
        List<String> expected = runC("""
                #pragma pack(1)
                struct a { unsigned x:3; unsigned y:30; unsigned char c; short s:12; long long q:64; unsigned char z:5; };
                #pragma pack(2)
                struct b { char c; unsigned x:20; int y:20; };
                #pragma pack()
                int main(void) {
                    struct a A = {0};
                    A.x = 5; A.y = 0x2ABCDEF1; A.c = 0x77; A.s = -1000; A.q = -0x123456789ABCDEFLL; A.z = 17;
                    printf("%zu %zu\\n", sizeof A, _Alignof(struct a));
                    show(&A, sizeof A);
                    struct b B = {0};
                    B.c = 1; B.x = 0xABCDE; B.y = -0x12345;
                    printf("%zu %zu\\n", sizeof B, _Alignof(struct b));
                    show(&B, sizeof B);
                    return 0;
                }
                """);
        List<String> actual = new ArrayList<>();
        try (PackedBits a = SharedCTypes.rawValue(PackedBits.TYPE); PackedBits2 b = SharedCTypes.rawValue(
                PackedBits2.TYPE, new byte[]{1}, 0xABCDE, -0x12345)) {
            Object[] values = {5L, 0x2ABCDEF1L, 0x77, -1000L, -0x123456789ABCDEFL, 17L};
            for (int i = 0; i < values.length; i++) { // through the typed records, not the initializer path
                Field f = PackedBits.TYPE.fields().get(i);
                if (f instanceof BitField bits) {
                    bits.set(a, (Long) values[i]);
                } else {
                    ((UByteField) f).set(a, (Integer) values[i]);
                }
            }
            actual.add(PackedBits.TYPE.byteSize() + " " + PackedBits.TYPE.byteAlignment());
            actual.add(bytes(a).substring("PackedBits ".length()));
            actual.add(PackedBits2.TYPE.byteSize() + " " + PackedBits2.TYPE.byteAlignment());
            actual.add(bytes(b).substring("PackedBits2 ".length()));
            assertEquals(expected, actual);
            assertEquals(List.of(values), a.fieldValues());
            assertEquals(List.of((byte) 1, 0xABCDEL, -0x12345L), b.fieldValues());
        }
    }

    /** Compiles and runs a C program (given {@code show(p, n)}, which prints n bytes in hex) and returns its lines. */
    private static List<String> runC(String body) throws Exception {
        Path dir = Files.createTempDirectory("mp4j-bits");
        try {
            Path source = dir.resolve("layout.c");
            Files.writeString(source, """
                    #include <stdio.h>
                    #include <stddef.h>
                    static void show(const void *p, size_t n) {
                        for (size_t i = 0; i < n; i++) printf("%02x", ((const unsigned char *) p)[i]);
                        printf("\\n");
                    }
                    """ + body);
            Path binary = dir.resolve("layout");
            run(List.of("gcc", "-O0", "-o", binary.toString(), source.toString()), "gcc");
            return run(List.of(binary.toString()), binary.toString());
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void shouldReadAndWriteUnalignedAndSwappedFieldsInPlace() {
        UIntField len = Wire.TYPE.field("length", UIntField.class);
        LongField seq = Wire.TYPE.field("seq", LongField.class);
        UShortField port = Wire.TYPE.field("port", UShortField.class);
        assertEquals(15, Wire.TYPE.byteSize());
        assertEquals(1, Wire.TYPE.byteAlignment());
        try (StructArray<Wire> wires = SharedCTypes.array(Wire.TYPE, 5)) { // elements at odd addresses
            for (int i = 0; i < 5; i++) {
                Wire w = wires.get(i);
                len.set(w, 0xFFFF_FFF0L + i);
                seq.set(w, Long.MIN_VALUE + i);
                port.set(w, 65535 - i);
            }
            for (int i = 0; i < 5; i++) {
                Wire w = wires.get(i);
                assertEquals(0xFFFF_FFF0L + i, len.get(w));
                assertEquals(Long.MIN_VALUE + i, seq.get(w));
                assertEquals(65535 - i, port.get(w));
                byte[] raw = w.segment.asSlice(w.offset, 15).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                assertEquals((byte) 0xFF, raw[1], "the length's most significant byte comes first");
                assertEquals((byte) (0xF0 + i), raw[4]);
            }
        }
    }

    @Test
    void shouldReadArraysOfPackedAndSwappedStructuresInPlaceButNotAtomicallyNorByHandle() {
        try (BigArrays s = SharedCTypes.value(BigArrays.TYPE, List.of(new byte[]{'c'}, List.of(1, 2, 3)));
             StructArray<PackedArrays> many = SharedCTypes.rawArray(PackedArrays.TYPE, 3)) {
            IntArray v = BigArrays.TYPE.field("v", ArrayField.class).get(s);
            assertEquals(List.of(1, 2, 3), v.toList());
            v.set(2, 0x0A0B0C0D);
            assertEquals(0x0A0B0C0D, v.get(2));
            assertEquals((byte) 0x0A, s.segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, s.offset + 12),
                    "big-endian: the most significant byte first");
            assertEquals(List.of(1, 2, 0x0A0B0C0D), ((List<?>) s.fieldValues().get(1)));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> v.getAndAdd(0, 1));
            assertTrue(e.getMessage().startsWith("atomic access needs elements in the platform's byte order"),
                    e.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> v.compareAndSet(0, 1, 2));
            e = assertThrows(UnsupportedOperationException.class, v::handle);
            assertTrue(e.getMessage().contains("share the structure"), e.getMessage());
            assertTrue(v.isSynchronized(), "the view takes the structure's lock");
            DoubleArray d = BigArrays.TYPE.field("d", ArrayField.class).get(s);
            d.copyFrom(new double[]{0.25, 4}, 0, 0, 2);
            assertEquals(List.of(0.25, 4.0), d.toList());
            for (int i = 0; i < 3; i++) { // elements of an unaligned array, in unaligned structures
                IntArray ints = PackedArrays.TYPE.field("v", ArrayField.class).get(many.get(i));
                ints.set(1, i - 5);
                assertEquals(i - 5, ints.slice(0, 3, 2).length() == 2 ? ints.get(1) : -1);
            }
            assertEquals(-4, ((List<?>) many.get(1).fieldValues().get(1)).get(1));
        }
    }

    @Test
    void shouldSignExtendSignedBitFieldsAndRefuseValuesTheyCannotHold() {
        BitField c = Bits.TYPE.field("c", BitField.class);
        BitField a = Bits.TYPE.field("a", BitField.class);
        BitField g = Bits.TYPE.field("g", BitField.class);
        try (Bits b = SharedCTypes.value(Bits.TYPE, List.of(), true)) {
            c.set(b, -(1 << 23));
            assertEquals(-(1 << 23), c.get(b));
            c.set(b, (1 << 23) - 1);
            assertEquals((1 << 23) - 1, c.get(b));
            a.set(b, 7);
            assertEquals(7, a.get(b));
            assertEquals((1 << 23) - 1, c.get(b), "a neighbour's write leaves the field as it was");
            g.set(b, -(1L << 39));
            assertEquals(-(1L << 39), g.get(b));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.set(b, 1 << 23));
            assertEquals("value does not fit bit field Bits.c (24 bits of c_int): value=8388608, must be in "
                    + "-8388608..8388607", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> a.set(b, -1));
            assertTrue(e.getMessage().contains("must be in 0..7"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Bits.TYPE, 8));
            assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Bits.TYPE, 0, 0, 1 << 23));
            assertThrows(IllegalArgumentException.class, () -> SharedCTypes.rawValue(Bits.TYPE, 1.5));
            assertEquals("Bits(a=7, b=0, c=8388607, d=0, e=0, f=0, g=-549755813888, h=0, s=0)", b.toString());
        }
        try (Bits b = SharedCTypes.rawValue(Bits.TYPE, 0, 0, 0, 0, 0, 0, 0, 0, 0)) {
            BitField e = Bits.TYPE.field("e", BitField.class);
            e.set(b, (1L << 30) - 1);
            assertEquals((1L << 30) - 1, e.get(b));
            assertEquals(0, Bits.TYPE.field("f", BitField.class).get(b));
        }
    }

    @Test
    void shouldRefuseLayoutsItCannotServeNamingTheFieldAndTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StructType.define(Un::new,
                LayoutRules.STRUCTURE.packed(2).bigEndian(), field("v", c_int, 3)));
        assertTrue(e.getMessage().startsWith("bit fields in a packed structure of the other byte order"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> field("v", c_short, 17));
        assertEquals("bit field width must be 1..16 for c_short: field 'v' has bits=17", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> field("v", c_int, 0));
        assertTrue(e.getMessage().contains("bits=0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> field("v", c_double, 3));
        assertTrue(e.getMessage().startsWith("a bit field's type must be a C integer type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> field("v", c_char, 3));
        assertTrue(e.getMessage().startsWith("a bit field's type must be a C integer type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LayoutRules.STRUCTURE.packed(3));
        assertEquals("pack must be 0 (natural alignment) or 1, 2, 4, 8 or 16: pack=3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayoutRules.STRUCTURE.packed(0));
        assertThrows(NullPointerException.class, () -> new LayoutRules(false, 0, null));
    }

    @Test
    void shouldRecordTheRulesInTheSignatureSoThatAttachChecksThem() {
        assertEquals("{Un|U;i:i;d:d;c:c[3];s:h}", Un.TYPE.signature());
        assertEquals("{Wire|P1>;kind:B;length:I;seq:q;port:H}", Wire.TYPE.signature());
        assertEquals("{Bits;a:I/3;b:I/5;c:i/24;d:H;e:I/30;f:I/29;g:q/40;h:q/8;s:q/9}", Bits.TYPE.signature());
        assertEquals("{Little;a:H;b:i;d:I/4}", Little.TYPE.signature(), "the native order is not written out");
        try (Wire w = SharedCTypes.rawValue(Wire.TYPE, 1, 2L, 3L, 4)) {
            Wire again = (Wire) SharedCTypes.attach(w.handle());
            assertEquals(List.of(1, 2L, 3L, 4), again.fieldValues());
        }
    }

    private static List<String> run(List<String> command, String what) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, what + " is not installed here, so this comparison cannot run: " + e);
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), what + " did not finish");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
