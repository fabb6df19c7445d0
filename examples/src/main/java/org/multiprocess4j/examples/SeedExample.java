package org.multiprocess4j.examples;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.sharedctypes.CharArray;
import org.multiprocess4j.sharedctypes.DoubleField;
import org.multiprocess4j.sharedctypes.DoubleValue;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.Struct;
import org.multiprocess4j.sharedctypes.StructArray;
import org.multiprocess4j.sharedctypes.StructType;

import java.util.ArrayList;
import java.util.List;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.SharedCTypes.array;
import static org.multiprocess4j.sharedctypes.SharedCTypes.value;
import static org.multiprocess4j.sharedctypes.StructType.field;

/**
 * The example of Python's {@code sharedctypes} documentation, line for line: a child process changes shared
 * values, a string and an array of structures, and the parent prints what it finds.
 */
public final class SeedExample {

    /** {@code class Point(Structure): _fields_ = [('x', c_double), ('y', c_double)]} */
    public static final class Point extends Struct<Point> {
        public static final StructType<Point> TYPE = StructType.define(Point::new,
                field("x", c_double), field("y", c_double));
        private static final DoubleField X = TYPE.field("x", DoubleField.class);
        private static final DoubleField Y = TYPE.field("y", DoubleField.class);

        private Point() {
        }

        public double x() {
            return X.get(this);
        }

        public void x(double x) {
            X.set(this, x);
        }

        public double y() {
            return Y.get(this);
        }

        public void y(double y) {
            Y.set(this, y);
        }
    }

    private SeedExample() {
    }

    static void modify(IntValue n, DoubleValue x, CharArray s, StructArray<Point> a) {
        n.set(n.get() * n.get());                                  // n.value **= 2
        x.set(x.get() * x.get());                                  // x.value **= 2
        s.value(s.value(US_ASCII).toUpperCase(), US_ASCII);        // s.value = s.value.upper()
        for (Point p : a) {                                        // for p in A:
            p.x(p.x() * p.x());                                    //     p.x **= 2
            p.y(p.y() * p.y());                                    //     p.y **= 2
        }
    }

    public static void main(String[] args) {
        ProcessLock lock = ProcessLock.create();

        IntValue n = value('i', 7);
        DoubleValue x = value(c_double, 1.0 / 3.0, false);
        CharArray s = array('c', "hello world".getBytes(US_ASCII), lock);
        StructArray<Point> a = array(Point.TYPE, new double[][] {{1.875, -6.25}, {-5.75, 2.0}, {2.375, 9.5}}, lock);

        ChildProcess p = new ChildProcess(SeedExample::modify, n, x, s, a);
        p.start();
        p.join();

        print(n, x, s, a);
    }

    /** Prints what the seed prints: the value, the double, the text and the points. */
    static void print(IntValue n, DoubleValue x, CharArray s, StructArray<Point> a) {
        System.out.println(n.get());
        System.out.println(x.get());
        System.out.println(s.value(US_ASCII));
        List<String> points = new ArrayList<>();
        for (Point point : a) {
            points.add("(" + point.x() + ", " + point.y() + ")");
        }
        System.out.println(points);
    }
}
