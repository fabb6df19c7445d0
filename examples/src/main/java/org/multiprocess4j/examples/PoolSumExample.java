package org.multiprocess4j.examples;

import org.multiprocess4j.ProcessPool;
import org.multiprocess4j.sharedctypes.DoubleArray;

import java.util.List;
import java.util.stream.IntStream;

import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawArray;

/**
 * A process pool sums one large shared array in parallel, the way Python's {@code Pool(initializer=...)} does it:
 * the initializer gives each worker the array once (it travels as a handle and arrives attached, no copy), and each
 * task is just the number of its part. Prints the sum and the time with one worker and with one worker per
 * processor. Run it with {@code ./mp4j example PoolSumExample [LENGTH]}.
 */
public final class PoolSumExample {
    private static final int PARTS = 16;
    /** In each worker: the array its initializer attached. */
    private static DoubleArray shared;

    private PoolSumExample() {
    }

    /** A worker's initializer: keeps the array for the tasks. */
    static void keep(DoubleArray data) {
        shared = data;
    }

    /** The sum of part {@code part} of {@link #PARTS} of the worker's array. */
    static double sumPart(int part) {
        long length = shared.length();
        return sum(shared, part * length / PARTS, (part + 1) * length / PARTS);
    }

    /** The sum of {@code data[from, to)}, in a worker. */
    static double sum(DoubleArray data, long from, long to) {
        double[] chunk = new double[1 << 16];
        double sum = 0;
        for (long i = from; i < to; i += chunk.length) {
            int n = (int) Math.min(chunk.length, to - i);
            data.copyTo(i, chunk, 0, n);
            for (int k = 0; k < n; k++) {
                sum += Math.sqrt(chunk[k]) * Math.log1p(chunk[k]); // some work per element
            }
        }
        return sum;
    }

    /** Sums the array in {@link #PARTS} parts on a pool of {@code workers}; returns {sum, seconds}. */
    static double[] timed(DoubleArray data, int workers) throws Exception {
        try (ProcessPool pool = ProcessPool.builder().workers(workers).initializer(PoolSumExample::keep, data)
                .build()) {
            List<Integer> parts = IntStream.range(0, PARTS).boxed().toList();
            pool.map(PoolSumExample::sumPart, parts, 1); // warms every worker up
            long start = System.nanoTime();
            double total = 0;
            for (double part : pool.map(PoolSumExample::sumPart, parts, 1)) {
                total += part;
            }
            return new double[]{total, (System.nanoTime() - start) / 1e9};
        }
    }

    public static void main(String[] args) throws Exception {
        long length = args.length > 0 ? Long.parseLong(args[0]) : 32L << 20;
        int processors = Runtime.getRuntime().availableProcessors();
        try (DoubleArray data = rawArray(c_double, length)) {
            double[] chunk = new double[1 << 16];
            for (long i = 0; i < length; i += chunk.length) {
                int n = (int) Math.min(chunk.length, length - i);
                for (int k = 0; k < n; k++) {
                    chunk[k] = i + k;
                }
                data.copyFrom(chunk, 0, i, n);
            }
            double[] one = timed(data, 1);
            double[] many = timed(data, processors);
            System.out.printf("%,d doubles; sum of sqrt(x) * log(1 + x): %.6e%n", length, one[0]);
            System.out.printf("1 worker:   %.3f s%n", one[1]);
            System.out.printf("%d workers: %.3f s (speed-up %.2fx)%n", processors, many[1], one[1] / many[1]);
            System.out.println(Math.abs(one[0] - many[0]) <= 1e-9 * Math.abs(one[0]) ? "same sum" : "DIFFERENT");
        }
    }
}
