package org.multiprocess4j.examples;

import org.multiprocess4j.PythonProcess;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.DoubleValue;

import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawArray;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawValue;

/**
 * Java fills a large shared {@code double} array and a CPython child sums it with numpy, zero-copy (numpy's array
 * is a view of the same memory); both print the sum they computed. Run it with {@code ./mp4j example
 * NumpySumExample [LENGTH]} (numpy must be installed for python3).
 */
public final class NumpySumExample {

    private NumpySumExample() {
    }

    public static void main(String[] args) {
        long length = args.length > 0 ? Long.parseLong(args[0]) : 10_000_000L;
        try (DoubleArray data = rawArray(c_double, length); DoubleValue numpySum = rawValue(c_double);
             DoubleValue numpySeconds = rawValue(c_double)) {
            double[] chunk = new double[1 << 16];
            for (long i = 0; i < length; i += chunk.length) {
                int n = (int) Math.min(chunk.length, length - i);
                for (int k = 0; k < n; k++) {
                    chunk[k] = (i + k) % 1000 * 0.5;   // exact in binary: both sums are exact
                }
                data.copyFrom(chunk, 0, i, n);
            }
            long started = System.nanoTime();
            double javaSum = 0;
            for (long i = 0; i < length; i += chunk.length) {
                int n = (int) Math.min(chunk.length, length - i);
                data.copyTo(i, chunk, 0, n);
                for (int k = 0; k < n; k++) {
                    javaSum += chunk[k];
                }
            }
            double javaSeconds = (System.nanoTime() - started) / 1e9;
            try (PythonProcess p = new PythonProcess(PythonSeedExample.script("numpy_sum.py"), "reduce", data,
                    numpySum, numpySeconds)) {
                p.start();
                p.join();
                if (p.exitCode() != 0) {
                    throw new IllegalStateException("the Python child failed (exit " + p.exitCode() + "):\n"
                            + p.exception());
                }
            }
            System.out.printf("%,d doubles in shared memory (%,d MiB)%n", length, length * 8 >> 20);
            System.out.printf("Java sum:  %.1f in %.3f s%n", javaSum, javaSeconds);
            System.out.printf("numpy sum: %.1f in %.3f s (Python, zero-copy)%n", numpySum.get(), numpySeconds.get());
            System.out.println(javaSum == numpySum.get() ? "equal" : "DIFFERENT");
        }
    }
}
