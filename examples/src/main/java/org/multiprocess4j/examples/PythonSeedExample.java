package org.multiprocess4j.examples;

import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.PythonProcess;
import org.multiprocess4j.examples.SeedExample.Point;
import org.multiprocess4j.sharedctypes.CharArray;
import org.multiprocess4j.sharedctypes.DoubleValue;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.StructArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.SharedCTypes.array;
import static org.multiprocess4j.sharedctypes.SharedCTypes.value;

/**
 * The seed example with its child in Python: the Java parent makes the same shared objects, a CPython process runs
 * the seed's own {@code modify} ({@code examples/python/seed.py}, unchanged), and the parent prints the seed's four
 * lines. Run it with {@code ./mp4j example PythonSeedExample}.
 */
public final class PythonSeedExample {

    private PythonSeedExample() {
    }

    /** The script, found from the repository root or from the examples folder. */
    static Path script(String name) {
        for (Path candidate : List.of(Path.of("examples", "python", name), Path.of("python", name))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find examples/python/" + name + ": run from the repository root");
    }

    public static void main(String[] args) {
        ProcessLock lock = ProcessLock.create();

        IntValue n = value('i', 7);
        DoubleValue x = value(c_double, 1.0 / 3.0, false);
        CharArray s = array('c', "hello world".getBytes(US_ASCII), lock);
        StructArray<Point> a = array(Point.TYPE, new double[][] {{1.875, -6.25}, {-5.75, 2.0}, {2.375, 9.5}}, lock);

        try (PythonProcess p = new PythonProcess(script("seed.py"), "modify", n, x, s, a)) {
            p.start();
            p.join();
            if (p.exitCode() != 0) {
                throw new IllegalStateException("the Python child failed (exit " + p.exitCode() + "):\n"
                        + p.exception());
            }
        }

        SeedExample.print(n, x, s, a);
    }
}
