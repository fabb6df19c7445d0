package org.multiprocess4j.zookeeper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Worker JVMs running {@link ClusterWorker}, with their output lines to wait on. */
final class Workers {
    private Workers() {
    }

    /** A running worker JVM. */
    static final class Worker implements AutoCloseable {
        final Process process;
        private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());
        private final PrintWriter input;

        Worker(String... args) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                    "-cp", System.getProperty("java.class.path"), ClusterWorker.class.getName()));
            command.addAll(List.of(args));
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            input = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        all.add(line);
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the worker ended
                }
                lines.add("EOF");
            });
        }

        /** The next line that starts with {@code prefix}, waiting at most {@code bound}. */
        String await(String prefix, Duration bound) throws InterruptedException {
            long deadline = System.nanoTime() + bound.toNanos();
            while (true) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null || line.equals("EOF")) {
                    throw new AssertionError("no line starting '" + prefix + "' from worker " + process.pid()
                            + " within " + bound + (line == null ? "" : ": it ended with " + waitExit())
                            + "; its output ends:\n" + String.join("\n",
                                    output().subList(Math.max(0, output().size() - 15), output().size())));
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
        }

        int waitExit() {
            try {
                return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        List<String> output() {
            synchronized (all) {
                return new ArrayList<>(all);
            }
        }

        void send(String line) {
            input.println(line);
        }

        void signal(String signal) throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            waitExit();
        }
    }
}
