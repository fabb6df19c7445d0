package org.multiprocess4j.examples;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.DoubleValue;

import java.util.ArrayList;
import java.util.List;

import static org.multiprocess4j.sharedctypes.CType.c_double;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawArray;
import static org.multiprocess4j.sharedctypes.SharedCTypes.rawValue;

/**
 * N processes fill one large shared array and reduce it in parallel, each its own slice; the parent adds their
 * partial sums. Prints the time with 1 process and with N, and the speed-up.
 */
public final class ParallelSumExample {
    private static final long LENGTH = 64L << 20;   // 64 Mi doubles: 512 MiB of shared memory
    private static final int ROUNDS = 8;

    private ParallelSumExample() {
    }

    /** Fills its slice with f(i), then sums it {@link #ROUNDS} times, storing the sum in {@code result}. */
    static void work(DoubleArray data, Long from, Long to, DoubleValue result) {
        DoubleArray slice = data.slice(from, to);
        double[] chunk = new double[1 << 16];
        for (long i = from; i < to; i += chunk.length) {
            int n = (int) Math.min(chunk.length, to - i);
            for (int k = 0; k < n; k++) {
                chunk[k] = Math.sqrt(i + k);
            }
            data.copyFrom(chunk, 0, i, n);
        }
        double sum = 0;
        for (int round = 0; round < ROUNDS; round++) {
            sum = 0;
            for (long i = 0; i < slice.length(); i += chunk.length) {
                int n = (int) Math.min(chunk.length, slice.length() - i);
                slice.copyTo(i, chunk, 0, n);
                for (int k = 0; k < n; k++) {
                    sum += chunk[k] * chunk[k];
                }
            }
        }
        result.set(sum);
    }

    private static double run(DoubleArray data, int processes) {
        List<ChildProcess> children = new ArrayList<>();
        List<DoubleValue> sums = new ArrayList<>();
        long per = (data.length() + processes - 1) / processes;
        for (int i = 0; i < processes; i++) {
            DoubleValue sum = rawValue(c_double);
            sums.add(sum);
            ChildProcess.Task4<DoubleArray, Long, Long, DoubleValue> task = ParallelSumExample::work;
            ChildProcess p = new ChildProcess(task, data, i * per, Math.min(data.length(), (i + 1) * per), sum);
            p.start();
            children.add(p);
        }
        children.forEach(ChildProcess::join);
        return sums.stream().mapToDouble(DoubleValue::get).sum();
    }

    public static void main(String[] args) {
        int processes = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        try (DoubleArray data = rawArray(c_double, LENGTH)) {
            long start = System.nanoTime();
            double one = run(data, 1);
            double oneSeconds = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            double many = run(data, processes);
            double manySeconds = (System.nanoTime() - start) / 1e9;
            double exact = (double) LENGTH * (LENGTH - 1) / 2;   // sum of sqrt(i)^2 for i < LENGTH
            System.out.printf("sum of squares of %,d shared doubles: %.6e (exact %.6e)%n", LENGTH, many, exact);
            System.out.printf("1 process: %.2f s; %d processes: %.2f s; speed-up %.2fx on %d cores%n",
                    oneSeconds, processes, manySeconds, oneSeconds / manySeconds,
                    Runtime.getRuntime().availableProcessors());
            if (Math.abs(one - many) > 1e-6 * exact || Math.abs(many - exact) > 1e-6 * exact) {
                throw new AssertionError("sums disagree: 1 process " + one + ", " + processes + " processes " + many);
            }
        }
    }
}
