package org.multiprocess4j;

import org.multiprocess4j.internal.memory.SharedHeap;
import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;
import org.multiprocess4j.internal.process.PythonSources;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A CPython process that runs one function with shared objects as arguments, as {@link ChildProcess} runs a
 * JVM: the function gets the same memory (values, arrays, structures, locks and conditions, attached with the
 * library's Python package, {@code python/} of this project) and ordinary data (strings, numbers, booleans, null,
 * lists, maps, byte arrays) as JSON values: integers of any length, decimals within a {@code double}'s range; a map
 * whose only key is {@code $handle}, {@code $bytes} or {@code $tuple} is refused, as those carry shared objects,
 * bytes and tuples.
 *
 * {@snippet :
 * IntValue n = SharedCTypes.value('i', 7);
 * try (PythonProcess p = new PythonProcess(Path.of("work.py"), "modify", n)) {  // def modify(n): n.value **= 2
 *     p.start();
 *     p.join();
 *     if (p.exitCode() != 0) {
 *         System.err.println(p.exception());                                  // the Python traceback
 *     }
 * }
 * }
 *
 * <p>The interpreter is {@code python3} on the {@code PATH} unless {@link #python} names another (CPython 3.9 or newer,
 * on Linux; numpy is optional). The child imports the package version that this library carries. The script runs with
 * {@code __name__} set to {@code "__mp4j_child__"}, so its {@code if __name__ == "__main__":} block does not run, as
 * with {@code multiprocessing}'s spawn. Exit codes: 0 when the function returns, 1 when it raises ({@link #exception()}
 * then holds the traceback), the status of {@code sys.exit}, and -N when signal N ended it. A daemon child ends within
 * about 20 ms of its parent's end, SIGKILL of the parent included (its watch is a Python thread: while the function is
 * inside a call that holds the GIL, a long computation in C, it ends when that call returns), and daemon children still
 * running when this JVM exits normally are killed. The shared arguments and the status file stay reachable in this JVM
 * until the child has ended, whether this object is kept or not, so their memory outlives the child's use of it. The
 * child opens its status file once, at its start, and reports into that descriptor.
 */
public final class PythonProcess implements AutoCloseable {
    private static final Set<PythonProcess> DAEMONS = ConcurrentHashMap.newKeySet();
    /** Every child still running: keeps its arguments and status file reachable until it ends. */
    private static final Set<PythonProcess> RUNNING = ConcurrentHashMap.newKeySet();
    /** Closes the status files of children dropped without {@link #close()}. */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create(
            Thread.ofPlatform().daemon().name("multiprocess4j-python-cleaner").factory());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> DAEMONS.forEach(p -> p.process.destroyForcibly()),
                "multiprocess4j python daemons"));
    }

    private final String target;
    private final boolean script;
    private final String function;
    private final List<Object> args;
    private String python = "python3";
    private String name = "PythonProcess";
    private boolean daemon;
    private Process process;
    /** Where the child writes how it ended: an unnamed file this JVM holds open, so nothing is ever left on disk. */
    private Path status;
    /** The signal {@link #kill()} or {@link #terminate()} sent, 0 before: the exit code reads as it, whatever ended. */
    private volatile int signalSent;
    private java.lang.ref.Cleaner.Cleanable statusFile;
    /** What the status file said when {@link #close()} released it. */
    private String finalStatus;
    private boolean closed;

    /**
     * A child that runs {@code function} of the Python file {@code script} with {@code args}.
     *
     * @throws IllegalArgumentException when {@code function} is not a Python identifier
     */
    public PythonProcess(Path script, String function, Object... args) {
        this(Objects.requireNonNull(script, "script").toAbsolutePath().toString(), true, function, args);
    }

    /**
     * A child that runs {@code function} of the importable Python module {@code module} with {@code args}.
     *
     * @throws IllegalArgumentException when {@code module} or {@code function} is not a Python name
     */
    public static PythonProcess ofModule(String module, String function, Object... args) {
        Objects.requireNonNull(module, "module");
        for (String part : module.split("\\.", -1)) {
            if (!isIdentifier(part)) {
                throw new IllegalArgumentException("module must be a dotted Python name: module='" + module + "'");
            }
        }
        return new PythonProcess(module, false, function, args);
    }

    private PythonProcess(String target, boolean script, String function, Object[] args) {
        Objects.requireNonNull(function, "function");
        if (!isIdentifier(function)) {
            throw new IllegalArgumentException("function must be a Python identifier: function='" + function + "'");
        }
        this.target = target;
        this.script = script;
        this.function = function;
        this.args = java.util.Collections.unmodifiableList(java.util.Arrays.asList(args.clone()));
        for (int i = 0; i < args.length; i++) {
            json(args[i], new StringBuilder(), "args[" + i + "]", 0); // refuses what cannot travel, now
        }
    }

    private static boolean isIdentifier(String s) {
        return !s.isEmpty() && Character.isJavaIdentifierStart(s.charAt(0)) && s.charAt(0) != '$'
                && s.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
    }

    /** The Python interpreter to run (a command on the {@code PATH} or a path); {@code python3} by default. */
    public PythonProcess python(String interpreter) {
        checkNotStarted("python");
        this.python = Objects.requireNonNull(interpreter, "interpreter");
        return this;
    }

    /** The name the child reports its exception under. */
    public PythonProcess name(String name) {
        checkNotStarted("name");
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /** Makes this a daemon: it ends within about 20 ms of its parent's end, and when this JVM exits. */
    public PythonProcess daemon(boolean daemon) {
        checkNotStarted("daemon");
        this.daemon = daemon;
        return this;
    }

    /**
     * Starts the child.
     *
     * @throws IllegalStateException when already started
     * @throws UncheckedIOException when the interpreter cannot be started
     */
    public synchronized PythonProcess start() {
        checkNotStarted("start");
        try {
            int fd = Platform.current().createUnnamedSharedFile(SharedHeap.directory(), 1);
            status = Platform.current().descriptorPath(CurrentProcess.PID, fd);
            statusFile = CLEANER.register(this, () -> Platform.current().close(fd)); // if never closed
            StringBuilder boot = new StringBuilder("{\"name\":");
            json(name, boot, "name", 0);
            boot.append(",\"daemon\":").append(daemon).append(",\"parent_pid\":").append(CurrentProcess.PID)
                    .append(",\"parent_start\":").append(CurrentProcess.START_TIME).append(",\"status_file\":");
            json(status.toString(), boot, "status", 0);
            boot.append(",\"target\":{\"").append(script ? "script" : "module").append("\":");
            json(target, boot, "target", 0);
            boot.append(",\"function\":");
            json(function, boot, "function", 0);
            boot.append("},\"args\":");
            json(args, boot, "args", 0);
            boot.append('}');
            // As "-m multiprocess4j._child", but with the working directory last on sys.path rather than first: a
            // json.py there must not replace the standard library's under the bootstrap.
            ProcessBuilder builder = new ProcessBuilder(python, "-c", "import sys\n"
                    + "if sys.path and sys.path[0] == '':\n    sys.path.append(sys.path.pop(0))\n" // not when safe-path
                    + "from multiprocess4j import _child\nsys.argv[0] = _child.__file__\n_child.main()")
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
            String path = builder.environment().get("PYTHONPATH");
            String ours = PythonSources.root().toString();
            builder.environment().put("PYTHONPATH", path == null || path.isEmpty() ? ours
                    : ours + java.io.File.pathSeparator + path);
            process = builder.start();
            RUNNING.add(this); // its arguments' memory and its status file outlive the child, dropped or not
            process.onExit().thenRun(() -> RUNNING.remove(this));
            if (daemon) {
                DAEMONS.add(this);
                process.onExit().thenRun(() -> DAEMONS.remove(this));
            }
            try (OutputStream in = process.getOutputStream()) {
                in.write(boot.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the child ended before reading its bootstrap; its exit code says how
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start python=" + python + ": " + e.getMessage(), e);
        }
    }

    /** Waits for the child to end. */
    public void join() {
        Exits.await(started("join"));
    }

    /** Waits at most {@code timeout} for the child to end; true when it has. */
    public boolean join(Duration timeout) {
        return Exits.await(started("join"), timeout);
    }

    /** Whether the child has started and not yet ended. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * The exit code: null while running, else the status, or -N when signal N ended the child. (The JDK reports a
     * death by signal N as the status 128 + N: a status from 129 to 192 that the child did not report itself, as
     * {@code os._exit(n)} does not, reads as a signal's; {@code sys.exit(n)} is reported and reads as n. A child
     * whose function returned or raised ends with 0 or 1, so a status over 128 after that is a signal's.)
     */
    public Integer exitCode() {
        Process p = started("exitCode");
        if (p.isAlive()) {
            return null;
        }
        int code = p.exitValue();
        int signal = code - 128;
        // Its own status only after sys.exit: one that returned or raised exits with 0 or 1, whatever ends it then
        boolean exited = statusText().equals("exit");
        return signal > 0 && signal <= 64 && (!exited || signal == signalSent) ? -signal : code;
    }

    /**
     * The traceback of the exception the function raised, as Python prints it; null when it raised none.
     *
     * @throws IllegalStateException when not started or still running
     */
    public String exception() {
        Process p = started("exception");
        if (p.isAlive()) {
            throw new IllegalStateException("python child " + name + " is still running: join() it first");
        }
        String text = statusText();
        return text.startsWith("threw\n") ? text.substring("threw\n".length()) : null;
    }

    private synchronized String statusText() {
        if (finalStatus != null) {
            return finalStatus;
        }
        try {
            String text = Files.readString(status, StandardCharsets.UTF_8);
            int end = text.indexOf('\0'); // the file's reserved byte, until the child writes it over
            return end < 0 ? text : text.substring(0, end);
        } catch (IOException e) {
            return "";
        }
    }

    /** The child's process id. */
    public long pid() {
        return started("pid").pid();
    }

    /** Asks the child to end, with SIGTERM (exit code -15). */
    public void terminate() {
        Process p = started("terminate");
        signalSent = 15;
        p.destroy();
    }

    /** Ends the child at once, with SIGKILL (exit code -9). */
    public void kill() {
        Process p = started("kill");
        signalSent = 9;
        p.destroyForcibly();
    }

    /**
     * Releases what this object holds (the descriptor of its status file, an unnamed file; one never closed is
     * released when the object is unreachable). The child must have ended.
     *
     * @throws IllegalStateException when the child still runs
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("cannot close python child " + name + " (pid " + process.pid()
                    + ") while it runs: join(), terminate() or kill() it first");
        }
        if (statusFile != null) {
            finalStatus = statusText(); // exitCode() and exception() read it after the file is gone
            statusFile.clean();
        }
        closed = true;
    }

    private void checkNotStarted(String what) {
        if (process != null || closed) {
            throw new IllegalStateException(what + ": python child " + name + " was already started");
        }
    }

    private Process started(String what) {
        if (process == null) {
            throw new IllegalStateException(what + ": python child " + name + " was never started");
        }
        return process;
    }

    /** The keys of the one-key maps that carry shared objects, bytes and tuples to the child. */
    private static final Set<String> RESERVED_KEYS = Set.of("$handle", "$bytes", "$tuple");

    /** Appends {@code value} as JSON, shared objects as {@code {"$handle": ...}}; refuses what has no form. */
    private static void json(Object value, StringBuilder out, String param, int depth) {
        if (depth > 64) {
            throw new IllegalArgumentException(param + " nests more than 64 levels deep");
        }
        switch (value) {
            case null -> out.append("null");
            case SharedObject shared -> {
                out.append("{\"$handle\":");
                json(shared.handle().toString(), out, param, depth + 1);
                out.append('}');
            }
            case Handle handle -> {
                out.append("{\"$handle\":");
                json(handle.toString(), out, param, depth + 1);
                out.append('}');
            }
            case String s -> quote(s, out);
            case Character c -> quote(String.valueOf(c), out);
            case Boolean b -> out.append(b);
            case Byte b -> out.append(b);
            case Short s -> out.append(s);
            case Integer i -> out.append(i);
            case Long l -> out.append(l);
            case BigInteger big -> out.append(big); // the child lifts Python's limit of 4,300 digits
            case Float f when Float.isFinite(f) -> out.append(new BigDecimal(Float.toString(f)).toString());
            case Double d when Double.isFinite(d) -> out.append(d);
            case BigDecimal big when Double.isFinite(big.doubleValue()) -> out.append(big.toString());
            case BigDecimal big -> throw new IllegalArgumentException(param + " is beyond a double's range, which "
                    + "Python's json would read as infinity: " + param + "=" + big);
            case byte[] bytes -> out.append("{\"$bytes\":\"").append(Base64.getEncoder().encodeToString(bytes))
                    .append("\"}");
            case Collection<?> items -> {
                out.append('[');
                int i = 0;
                for (Object item : items) {
                    out.append(i == 0 ? "" : ",");
                    json(item, out, param + "[" + i++ + "]", depth + 1);
                }
                out.append(']');
            }
            case Map<?, ?> map -> {
                out.append('{');
                if (map.size() == 1 && map.keySet().iterator().next() instanceof String only
                        && RESERVED_KEYS.contains(only)) {
                    throw new IllegalArgumentException(param + " is a map whose only key, "
                            + map.keySet().iterator().next() + ", marks a shared object, bytes or a tuple in transit "
                            + "(one of " + RESERVED_KEYS + "): add a key, or pass it another way");
                }
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException(param + " is a map whose keys must be strings (JSON "
                                + "objects): key=" + e.getKey());
                    }
                    out.append(first ? "" : ",");
                    first = false;
                    quote(key, out);
                    out.append(':');
                    json(e.getValue(), out, param + "." + key, depth + 1);
                }
                out.append('}');
            }
            default -> {
                if (value.getClass().isArray()) {
                    List<Object> items = new ArrayList<>();
                    for (int i = 0; i < Array.getLength(value); i++) {
                        items.add(Array.get(value, i));
                    }
                    json(items, out, param, depth);
                } else {
                    throw new IllegalArgumentException(param + " cannot travel to Python: it takes shared objects, "
                            + "strings, numbers (finite), booleans, null, byte arrays, arrays, collections and "
                            + "string-keyed maps, not " + value.getClass().getName() + ": " + param + "=" + value);
                }
            }
        }
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20 || c >= 0x7F) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        String state = process == null ? "initial" : process.isAlive() ? "started" : "stopped";
        return "<PythonProcess name='" + name + "' " + state + (daemon ? " daemon" : "") + ">";
    }
}
