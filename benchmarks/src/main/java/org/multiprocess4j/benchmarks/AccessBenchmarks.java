package org.multiprocess4j.benchmarks;

import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.DoubleField;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.sharedctypes.Struct;
import org.multiprocess4j.sharedctypes.StructArray;
import org.multiprocess4j.sharedctypes.StructType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/** Element and structure-field access through the library, beside a Java array and a raw segment. */
@State(Scope.Thread)
public class AccessBenchmarks {
    static final int N = 1024;

    /** The structure the field benchmarks use. */
    public static final class Point extends Struct<Point> {
        static final StructType<Point> TYPE = StructType.define(Point::new, StructType.field("x", CType.c_double),
                StructType.field("y", CType.c_double));
        static final DoubleField X = TYPE.field("x", DoubleField.class);
        static final DoubleField Y = TYPE.field("y", DoubleField.class);

        private Point() {
        }
    }

    private static final VarHandle RAW = JAVA_DOUBLE.varHandle();

    DoubleArray shared;
    MemorySegment segment;
    double[] heap;
    StructArray<Point> pointArray;
    MemorySegment pointSegment;
    Point one;
    MemorySegment oneSegment;
    double value = 1.5;

    @Setup
    public void setUp() {
        shared = SharedCTypes.rawArray(CType.c_double, N);
        segment = shared.segment();
        heap = new double[N];
        pointArray = SharedCTypes.rawArray(Point.TYPE, N);
        pointSegment = pointArray.segment();
        one = SharedCTypes.rawValue(Point.TYPE, 1.0, 2.0);
        oneSegment = pointArray.slice(7, 8).segment();
    }

    /** One field of one structure, no loop: what a single {@code p.x = v} costs. */
    @Benchmark
    public void fieldSetOneStruct() {
        Point.X.set(one, value);
    }

    @Benchmark
    public void fieldSetOneVarHandle() {
        RAW.set(oneSegment, 0L, value);
    }

    @Benchmark
    public double fieldGetOneStruct() {
        return Point.X.get(one);
    }

    @Benchmark
    public double fieldGetOneVarHandle() {
        return (double) RAW.get(oneSegment, 0L);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double elementGetShared() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum += shared.get(i);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double elementGetSegment() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum += segment.getAtIndex(JAVA_DOUBLE, i);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double elementGetHeap() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum += heap[i];
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void elementSetShared() {
        for (int i = 0; i < N; i++) {
            shared.set(i, i);
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void elementSetSegment() {
        for (int i = 0; i < N; i++) {
            segment.setAtIndex(JAVA_DOUBLE, i, i);
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void elementSetHeap() {
        for (int i = 0; i < N; i++) {
            heap[i] = i;
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double fieldGetStruct() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            Point p = pointArray.get(i);
            sum += Point.X.get(p) + Point.Y.get(p);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public double fieldGetVarHandle() {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            long at = i * 16L;
            sum += (double) RAW.get(pointSegment, at) + (double) RAW.get(pointSegment, at + 8);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fieldSetStruct() {
        for (int i = 0; i < N; i++) {
            Point p = pointArray.get(i);
            Point.X.set(p, 1.0);
            Point.Y.set(p, 2.0);
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public void fieldSetVarHandle() {
        for (int i = 0; i < N; i++) {
            long at = i * 16L;
            RAW.set(pointSegment, at, 1.0);
            RAW.set(pointSegment, at + 8, 2.0);
        }
    }
}
