package org.multiprocess4j.benchmarks;

import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.DoubleArray;
import org.multiprocess4j.sharedctypes.IntValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs every benchmark and its peers in one run and prints them side by side, as ratios: the library against a
 * raw segment, a raw VarHandle and a Java array (JMH), the C program {@code c_limits.c} (compiled and run here),
 * the C header's lock beside glibc's robust mutex ({@code c_header_lock.c}, built with {@code c/multiprocess4j.h})
 * and CPython's {@code multiprocessing.sharedctypes} ({@code cpython_bench.py}, run here). Writes the figures as
 * JSON lines to {@code benchmarks/results/latest.jsonl} (or the path given as the first argument).
 *
 * <p>Options (system properties): {@code -Dpeers=DIR} where the peers' sources are (default
 * {@code benchmarks/peers} of this repository); {@code -Dquick} shortens the JMH runs.
 */
public final class SideBySide {
    private final List<String> json = new ArrayList<>();

    private SideBySide() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/latest.jsonl");
        Path reference = Path.of(System.getProperty("peers", "benchmarks/peers"));
        SideBySide run = new SideBySide();

        System.out.println("== peers: C (" + reference.resolve("c_limits.c") + ") and CPython (" +
                reference.resolve("cpython_bench.py") + "), run now on this machine");
        Map<String, Double> c = runC(reference);
        System.out.println("== the C header's lock (" + reference.resolve("c_header_lock.c") + "), beside glibc's");
        Map<String, Double> cHeader = runCHeaderLock(reference);
        Map<String, Double> py = runPython(reference);
        System.out.println("== Python attached to Java-made objects (" + reference.resolve("python_attach_bench.py")
                + "), beside CPython's own");
        Map<String, Double> attached = runPythonAttached(reference, Boolean.getBoolean("quick") ? 10_000_000L
                : 100_000_000L);

        System.out.println("== JMH (ns/op, lower is better)");
        Map<String, Double> jmh = runJmh(Boolean.getBoolean("quick"));

        System.out.println("== processes");
        double locked2 = ProcessMeasurements.contended(ProcessMeasurements::lockedWorker, 2);
        double atomic2 = ProcessMeasurements.contended(ProcessMeasurements::atomicWorker, 2);
        double[] startJoin = ProcessMeasurements.startJoinMillisBesideCPython(reference);
        double[] standbyStartJoin = ProcessMeasurements.standbyStartJoinMillisBesideForkserver(reference);
        double[] alloc = ProcessMeasurements.allocateMillion();
        System.out.println("== waking another process: C futex ping-pong (" + reference.resolve("c_pingpong.c")
                + "), CPython (" + reference.resolve("cpython_sync_bench.py") + "), ours, one after the other");
        Map<String, Double> futex = runCProgram(reference.resolve("c_pingpong.c"), List.of(), "20000");
        Map<String, Double> pySync = parse("python3", reference.resolve("cpython_sync_bench.py").toString(), "3000");
        double[] sync = ProcessMeasurements.syncRoundTrips(5000);
        double[] interrupt = ProcessMeasurements.interruptP99Millis();
        double[] queue = ProcessMeasurements.queueFigures(300_000, 500_000, 5000);
        System.out.println("== pools: CPython (" + reference.resolve("cpython_pool_bench.py") + "), then ours");
        Map<String, Double> pyPool = parse("python3", reference.resolve("cpython_pool_bench.py").toString());
        double[] pool = ProcessMeasurements.poolFigures();
        ClusterMeasurements.Figure[][] zk = ClusterMeasurements.run();

        System.out.println();
        System.out.printf(Locale.ROOT, "%-40s %12s %26s %12s %9s  %s%n", "measure", "multiprocess4j", "peer", "peer value",
                "ratio", "target");
        run.row("element get (ns)", jmh.get("elementGetShared"), "raw MemorySegment", jmh.get("elementGetSegment"),
                "<= 1.5x", 1.5, false);
        run.row("element get (ns)", jmh.get("elementGetShared"), "Java double[]", jmh.get("elementGetHeap"), "", 0,
                false);
        run.row("element set (ns)", jmh.get("elementSetShared"), "raw MemorySegment", jmh.get("elementSetSegment"),
                "<= 1.5x", 1.5, false);
        run.row("element set (ns)", jmh.get("elementSetShared"), "Java double[]", jmh.get("elementSetHeap"), "", 0,
                false);
        run.row("struct field get x+y, loop (ns)", jmh.get("fieldGetStruct"), "raw VarHandle", jmh.get("fieldGetVarHandle"),
                "<= 1.5x", 1.5, false);
        run.row("struct field set x+y, loop (ns)", jmh.get("fieldSetStruct"), "raw VarHandle", jmh.get("fieldSetVarHandle"),
                "<= 1.5x", 1.5, false);
        run.row("one struct field get (ns)", jmh.get("fieldGetOneStruct"), "raw VarHandle",
                jmh.get("fieldGetOneVarHandle"), "<= 1.5x", 1.5, false);
        run.row("one struct field set (ns)", jmh.get("fieldSetOneStruct"), "raw VarHandle",
                jmh.get("fieldSetOneVarHandle"), "<= 1.5x", 1.5, false);
        run.row("Value lock()/unlock() increment (ns)", jmh.get("valueLockUnlockIncrement"), "CPython Value",
                py.get("value_locked_increment_1proc"), "<= 20 ns", 0, false);
        double bytes = 256.0 * (1 << 20);
        run.row("bulk copy in (GB/s)", bytes / jmh.get("copyIn"), "C memcpy", c.get("shared_memcpy_in_bandwidth"),
                ">= 0.8x", 0.8, true);
        run.row("bulk copy out (GB/s)", bytes / jmh.get("copyOut"), "C memcpy", c.get("shared_memcpy_in_bandwidth"),
                ">= 0.8x", 0.8, true);
        run.row("lock acquire+release (ns)", jmh.get("lockAcquireRelease"), "C robust mutex",
                c.get("robust_pshared_mutex_lock_unlock_uncontended"), "<= 1.2x", 1.2, false);
        run.row("lock acquire+release (ns)", jmh.get("lockAcquireRelease"), "CPython Lock",
                py.get("lock_acquire_release_uncontended"), "", 0, false);
        run.row("C header lock+unlock (ns)", cHeader.get("c_header_lock_unlock_uncontended"), "C robust mutex",
                cHeader.get("robust_pshared_mutex_lock_unlock_uncontended"), "<= 1.2x", 1.2, false);
        run.row("lock acquire+release, JFR recording (ns)", jmh.get("lockAcquireReleaseRecorded"),
                "no recording", jmh.get("lockAcquireRelease"), "<= 1.1x", 1.1, false);
        run.row("lock acquire+release, via RobustLock (ns)", jmh.get("lockAcquireReleaseViaInterface"),
                "ProcessLock, directly", jmh.get("lockAcquireRelease"), "<= 1.05x", 1.05, false);
        run.row("rlock acquire+release (ns)", jmh.get("rlockAcquireRelease"), "CPython RLock",
                py.get("rlock_acquire_release_uncontended"), "", 0, false);
        run.row("Value hold() increment (ns)", jmh.get("valueLockedIncrement"), "CPython Value",
                py.get("value_locked_increment_1proc"), "<= 20 ns", 0, false);
        run.row("atomic increment (ns)", jmh.get("atomicIncrement"), "C atomic_fetch_add",
                c.get("atomic_fetch_add_1proc"), "<= 1.2x", 1.2, false);
        run.row("atomic increment, via LongVariable (ns)", jmh.get("atomicIncrementViaInterface"),
                "LongValue, directly", jmh.get("atomicIncrement"), "<= 1.05x", 1.05, false);
        run.row("locked increment, 2 processes (ns/op)", locked2, "C robust mutex",
                c.get("mutex_locked_increment_2proc"), "<= 2x", 2, false);
        run.row("locked increment, 2 processes (ns/op)", locked2, "CPython Value",
                py.get("value_locked_increment_2proc"), "", 0, false);
        run.row("atomic increment, 2 processes (ns/op)", atomic2, "C atomic_fetch_add",
                c.get("atomic_fetch_add_2proc"), "", 0, false);
        run.row("no-op child start+join (ms)", startJoin[0], "CPython spawn, interleaved", startJoin[1],
                "<= 40 ms", 0, false);
        run.row("no-op child start+join (ms)", startJoin[0], "CPython spawn, script", py.get("process_start_join_spawn"),
                "", 0, false);
        run.row("no-op child start+join (ms)", startJoin[0], "C fork+exit+wait", c.get("fork_exit_wait"), "", 0, false);
        run.row("no-op child start+join, standby (ms)", standbyStartJoin[0], "CPython forkserver, interleaved",
                standbyStartJoin[1], "<= 10 ms", 0, false);
        run.row("Python locked increment, Java Value (ns)", attached.get("python_locked_increment_java_value"),
                "CPython Value", attached.get("python_locked_increment_cpython_value"), "<= 1x", 1, false);
        Double elements = attached.get("numpy_sum_elements");
        run.row("numpy sum, " + (elements == null ? "?" : String.format(Locale.ROOT, "%,.0f", elements))
                        + " Java doubles (ms)", attached.get("numpy_sum_java_array"), "numpy, its own array",
                attached.get("numpy_sum_own_array"), "<= 1.11x (>= 90%)", 1.11, false);
        run.row("Event ping-pong round trip (us)", sync[0], "C futex ping-pong", futex.get("futex_pingpong_round_trip"),
                "<= 1.5x", 1.5, false);
        run.row("Event ping-pong round trip (us)", sync[0], "CPython Event", pySync.get("event_pingpong_round_trip"),
                "", 0, false);
        run.row("Semaphore ping-pong round trip (us)", sync[1], "CPython Semaphore",
                pySync.get("semaphore_pingpong_round_trip"), "", 0, false);
        run.row("Barrier(2) round (us)", sync[2], "CPython Barrier", pySync.get("barrier2_round"), "", 0, false);
        run.row("interrupt ends a lock wait, p99 (ms)", interrupt[0], "ReentrantLock", interrupt[1], "< 1 ms", 0,
                false);
        run.row("queue, small messages (msg/s)", queue[0], "CPython Queue",
                pySync.get("queue_small_messages_per_second"), ">= 10x", 10, true);
        run.row("queue, a fresh child's first 300k (msg/s)", queue[2], "CPython Queue",
                pySync.get("queue_small_messages_first_per_second"), "", 0, true);
        run.row("queue ping-pong round trip (us)", queue[1], "CPython Queue", pySync.get("queue_pingpong_round_trip"),
                "", 0, false);
        run.row("pool of 2 ready, first result (ms)", pool[0], "CPython Pool(2)", pyPool.get("pool2_ready"),
                "< 1x", 1, false);
        run.row("pool of 2 ready, a standby prepared (ms)", pool[3], "CPython Pool(2)", pyPool.get("pool2_ready"),
                "", 0, false);
        run.row("pool no-op round trip (us)", pool[1], "CPython Pool.apply", pyPool.get("pool_apply_round_trip"),
                "<= 0.2x", 0.2, false);
        run.row("pool map, 1M tiny items, chunks of 10k (items/s)", pool[2], "CPython Pool.map",
                pyPool.get("pool_map_items_per_second"), "", 0, true);
        run.row("pool map, steady state, after 3 s of maps (items/s)", pool[4], "CPython Pool.map",
                pyPool.get("pool_map_steady_items_per_second"), ">= 5x", 5, true);
        for (int i = 0; i < ClusterMeasurements.CLIENTS.length; i++) {
            int n = ClusterMeasurements.CLIENTS[i];
            run.row("ZooKeeper lock+increment, " + n + " clients (ms/op)", zk[0][i].millisPerOp(),
                    "Curator mutex + atomic long", zk[1][i].millisPerOp(), "<= 1.2x", 1.2, false);
        }
        for (int i = 0; i < ClusterMeasurements.CLIENTS.length; i++) {
            int n = ClusterMeasurements.CLIENTS[i];
            run.row("ZooKeeper atomic increment, " + n + " clients (ms/op)", zk[2][i].millisPerOp(),
                    "Curator DistributedAtomicLong", zk[3][i].millisPerOp(), "<= 1.2x", 1.2, false);
        }
        for (int i = 0; i < ClusterMeasurements.CLIENTS.length; i++) {
            int n = ClusterMeasurements.CLIENTS[i];
            run.row("ZooKeeper counter, 16 stripes, " + n + " clients (ops/s)", zk[4][i].opsPerSecond(),
                    "one-node value", zk[5][i].opsPerSecond(), "", 0, true);
        }
        run.row("lock+increment, shared memory (ns)", jmh.get("valueLockUnlockIncrement"), "ZooKeeper, 1 client",
                zk[0][0].millisPerOp() * 1e6, "", 0, false);
        run.row("allocate 1,000,000 values (s)", alloc[0], "", null, "< 1 s", 0, false);
        run.row("shared bytes per small value", alloc[1], "", null, "<= 64", 0, false);

        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, run.json, StandardCharsets.UTF_8);
        Path chart = out.resolveSibling(out.getFileName().toString().replaceFirst("\\.jsonl$", "") + ".svg");
        SvgChart.write(SvgChart.read(out), chart);
        System.out.println("\nfigures written to " + out + ", drawn in " + chart);
    }

    private void row(String name, Double ours, String peer, Double peerValue, String target, double maxRatio,
                     boolean higherIsBetter) {
        String ratio = "";
        if (ours != null && peerValue != null && peerValue > 0) {
            ratio = String.format(Locale.ROOT, "%.2fx", ours / peerValue);
        }
        System.out.printf(Locale.ROOT, "%-40s %12s %26s %12s %9s  %s%n", name, format(ours), peer, format(peerValue),
                ratio, target);
        json.add(String.format(Locale.ROOT,
                "{\"name\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"peer\":\"%s\",\"peer_value\":%s,\"target\":\"%s\"}",
                name, jsonNumber(ours), unit(name), peer, jsonNumber(peerValue), target));
    }

    private static String unit(String name) {
        int open = name.lastIndexOf('(');
        return open < 0 ? (name.startsWith("shared bytes") ? "bytes" : "") : name.substring(open + 1, name.length() - 1);
    }

    private static String format(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, v < 10 ? "%.3f" : "%.1f", v);
    }

    private static String jsonNumber(Double v) {
        return v == null || v.isNaN() || v.isInfinite() ? "null" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static Map<String, Double> runJmh(boolean quick) throws Exception {
        Options options = new OptionsBuilder()
                .include(AccessBenchmarks.class.getName())
                .include(LockBenchmarks.class.getName())
                .include(CopyBenchmarks.class.getName())
                .mode(org.openjdk.jmh.annotations.Mode.AverageTime)
                .timeUnit(TimeUnit.NANOSECONDS)
                .forks(1)
                .warmupIterations(quick ? 1 : 3)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(quick ? 2 : 5)
                .measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow")
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Double> byName = new HashMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            byName.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        return byName;
    }

    private static Map<String, Double> runC(Path reference) throws IOException, InterruptedException {
        return runCProgram(reference.resolve("c_limits.c"), List.of(), "2");
    }

    /** The C header's lock and glibc's robust mutex, measured by one program built with the header here. */
    private static Map<String, Double> runCHeaderLock(Path reference) throws IOException, InterruptedException {
        Path header = Path.of("c", "multiprocess4j.h");
        if (!Files.exists(header)) {
            System.out.println("   the C header is not at " + header + " (run from the repository): its row stays empty");
            return Map.of();
        }
        return runCProgram(reference.resolve("c_header_lock.c"), List.of("-I", header.getParent().toString()));
    }

    /** Compiles a peer C program here, with {@code flags}, and runs it with {@code args}; empty when it cannot. */
    private static Map<String, Double> runCProgram(Path source, List<String> flags, String... args)
            throws IOException, InterruptedException {
        if (!Files.exists(source)) {
            System.out.println("   C peer not found at " + source + ": its column stays empty");
            return Map.of();
        }
        Path binary = Files.createTempFile("peer", "");
        List<String> compile = new ArrayList<>(List.of("gcc", "-O2", "-pthread"));
        compile.addAll(flags);
        compile.addAll(List.of("-o", binary.toString(), source.toString()));
        Process cc = new ProcessBuilder(compile).inheritIO().start();
        if (cc.waitFor() != 0) {
            System.out.println("   could not compile " + source + ": its column stays empty");
            return Map.of();
        }
        try {
            List<String> command = new ArrayList<>(List.of(binary.toString()));
            command.addAll(List.of(args));
            return parse(command.toArray(String[]::new));
        } finally {
            Files.deleteIfExists(binary);
        }
    }

    private static Map<String, Double> runPython(Path reference) throws IOException, InterruptedException {
        Path script = reference.resolve("cpython_bench.py");
        if (!Files.exists(script)) {
            System.out.println("   CPython peer not found at " + script + ": its column stays empty");
            return Map.of();
        }
        return parse("python3", script.toString(), "2");
    }

    /**
     * Python attached to a synchronized value and a filled {@code double} array made here: its locked increments
     * and numpy sum beside CPython's own Value and numpy's own array, measured in one script run.
     */
    private static Map<String, Double> runPythonAttached(Path reference, long length)
            throws IOException, InterruptedException {
        Path script = reference.resolve("python_attach_bench.py");
        if (!Files.exists(script)) {
            System.out.println("   not found: " + script + ": its rows stay empty");
            return Map.of();
        }
        try (IntValue value = SharedCTypes.value(CType.c_int, 0);
             DoubleArray array = SharedCTypes.rawArray(CType.c_double, length)) {
            double[] chunk = new double[1 << 16];
            for (long i = 0; i < length; i += chunk.length) {
                int n = (int) Math.min(chunk.length, length - i);
                for (int k = 0; k < n; k++) {
                    chunk[k] = (i + k) % 1000;
                }
                array.copyFrom(chunk, 0, i, n);
            }
            ProcessBuilder builder = new ProcessBuilder("python3", script.toString(), value.handle().toString(),
                    array.handle().toString());
            builder.environment().put("PYTHONPATH", Path.of("python").toAbsolutePath().toString());
            return parse(builder);
        }
    }

    /** Runs a peer that prints {@code name<TAB>value<TAB>unit} lines. */
    private static Map<String, Double> parse(String... command) throws IOException, InterruptedException {
        return parse(new ProcessBuilder(command));
    }

    private static Map<String, Double> parse(ProcessBuilder builder) throws IOException, InterruptedException {
        Process p = builder.redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Map<String, Double> figures = new HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.split("\t");
            if (f.length >= 2) {
                try {
                    figures.put(f[0], Double.parseDouble(f[1]));
                    System.out.println("   " + line);
                } catch (NumberFormatException ignored) {
                    System.out.println("   " + line);
                }
            }
        }
        return figures;
    }
}
