package org.multiprocess4j.benchmarks;

import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Arrays;

/** Bulk copies of 256 MiB between a Java array and shared memory, as c_limits.c copies with memcpy. */
@State(Scope.Thread)
public class CopyBenchmarks {
    static final int LENGTH = (256 << 20) / Double.BYTES;

    DoubleArray shared;
    double[] heap;

    @Setup
    public void setUp() {
        shared = SharedCTypes.rawArray(CType.c_double, LENGTH);
        heap = new double[LENGTH];
        Arrays.fill(heap, 1.0);
        shared.copyFrom(heap, 0, 0, LENGTH);
    }

    @TearDown
    public void tearDown() {
        shared.close();
    }

    @Benchmark
    public void copyIn() {
        shared.copyFrom(heap, 0, 0, LENGTH);
    }

    @Benchmark
    public void copyOut() {
        shared.copyTo(0, heap, 0, LENGTH);
    }
}
