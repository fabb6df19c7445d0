package org.multiprocess4j.sharedctypes;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Declares the same structures in Python's ctypes and compares size, alignment and every field offset. Needs
 * python3 (present on every machine this project builds on); skipped, saying so, only where it is absent.
 */
class CtypesLayoutTest {

    private static final String PYTHON = """
            import ctypes
            from ctypes import *
            class Point(Structure):
                _fields_ = [('x', c_double), ('y', c_double)]
            class Segment(Structure):
                _fields_ = [('tag', c_char), ('a', Point), ('n', c_short), ('path', Point * 2),
                            ('ids', c_int * 3), ('ok', c_bool)]
            class Mixed(Structure):
                _fields_ = [('b', c_byte), ('q', c_longlong), ('h', c_ushort), ('w', c_wchar), ('f', c_float),
                            ('B', c_ubyte), ('d', c_double), ('I', c_uint), ('c', c_char * 3), ('L', c_ulong)]
            class Tiny(Structure):
                _fields_ = [('a', c_char), ('b', c_char)]
            class Outer(Structure):
                _fields_ = [('t', Tiny), ('m', Mixed * 2), ('s', c_short)]
            class Grid(Structure):
                _fields_ = [('c', c_char), ('cells', c_int * 3 * 2), ('p', Point * 2 * 2), ('h', c_short * 5 * 3)]
            for t in (Point, Segment, Mixed, Tiny, Outer, Grid):
                print(t.__name__, ctypes.sizeof(t), ctypes.alignment(t),
                      ' '.join(str(getattr(t, n).offset) for n, _ in t._fields_))
            for code, t in (('c', c_char), ('b', c_byte), ('B', c_ubyte), ('h', c_short), ('H', c_ushort),
                            ('i', c_int), ('I', c_uint), ('l', c_long), ('L', c_ulong), ('q', c_longlong),
                            ('Q', c_ulonglong), ('f', c_float), ('d', c_double), ('u', c_wchar), ('?', c_bool)):
                print(code, ctypes.sizeof(t), ctypes.alignment(t))
            """;

    static final class Mixed extends Struct<Mixed> {
        static final StructType<Mixed> TYPE = StructType.define(Mixed::new,
                StructType.field("b", CType.c_byte), StructType.field("q", CType.c_longlong),
                StructType.field("h", CType.c_ushort), StructType.field("w", CType.c_wchar),
                StructType.field("f", CType.c_float), StructType.field("B", CType.c_ubyte),
                StructType.field("d", CType.c_double), StructType.field("I", CType.c_uint),
                StructType.field("c", CType.c_char.array(3)), StructType.field("L", CType.c_ulong));
    }

    static final class Tiny extends Struct<Tiny> {
        static final StructType<Tiny> TYPE = StructType.define(Tiny::new,
                StructType.field("a", CType.c_char), StructType.field("b", CType.c_char));
    }

    static final class Outer extends Struct<Outer> {
        static final StructType<Outer> TYPE = StructType.define(Outer::new,
                StructType.field("t", Tiny.TYPE), StructType.field("m", Mixed.TYPE.array(2)),
                StructType.field("s", CType.c_short));
    }

    /** Multi-dimensional arrays as fields: {@code c_int * 3 * 2} is two rows of three. */
    static final class Grid extends Struct<Grid> {
        static final StructType<Grid> TYPE = StructType.define(Grid::new,
                StructType.field("c", CType.c_char), StructType.field("cells", CType.c_int.array(3).array(2)),
                StructType.field("p", Point.TYPE.array(2).array(2)),
                StructType.field("h", CType.c_short.array(5).array(3)));
    }

    @Test
    void shouldMatchCtypesForEveryStructureAndPrimitive() throws Exception {
        List<String> expected = runPython();
        List<String> actual = new ArrayList<>();
        for (StructType<?> t : List.of(Point.TYPE, Segment.TYPE, Mixed.TYPE, Tiny.TYPE, Outer.TYPE, Grid.TYPE)) {
            actual.add(t + " " + t.byteSize() + " " + t.byteAlignment() + " "
                    + String.join(" ", t.fields().stream().map(f -> Long.toString(f.offset())).toList()));
        }
        for (char code : CType.TYPECODES.toCharArray()) {
            CType<?, ?> t = CType.of(code);
            actual.add(code + " " + t.byteSize() + " " + t.byteAlignment());
        }
        assertEquals(String.join("\n", expected), String.join("\n", actual));
    }

    private static List<String> runPython() throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", PYTHON).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "python3 is not installed here, so the ctypes comparison cannot run: " + e);
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
