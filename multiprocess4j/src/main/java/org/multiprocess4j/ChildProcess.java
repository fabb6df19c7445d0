package org.multiprocess4j;

import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;
import org.multiprocess4j.internal.process.AotCache;
import org.multiprocess4j.internal.process.Bootstrap;
import org.multiprocess4j.internal.process.InheritedOptions;
import org.multiprocess4j.internal.process.Standby;
import org.multiprocess4j.internal.process.StatusLayout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A function run in a new JVM: Python's {@code multiprocessing.Process} with the {@code spawn} start method.
 * (Not {@link java.lang.Process}, which it uses underneath.)
 *
 * {@snippet :
 * IntValue n = SharedCTypes.value(CType.c_int, 7);
 * ChildProcess p = new ChildProcess(Example::square, n);   // static void square(IntValue n)
 * p.start();
 * p.join();
 * assert n.get() == 49 && p.exitCode() == 0;
 * }
 *
 * <p>The child is the same {@code java} executable with the same class path and module path, native access
 * enabled, {@code -Xrs} (so that signals end it as they end a C program), the serial collector,
 * {@code -Djdk.reflect.useNativeAccessorOnly=true} (reflection through JNI: it spares a short-lived child about
 * 4 ms of start-up; a child that makes millions of reflective calls may pass {@code =false}), every
 * {@code multiprocess4j.*} system property of this JVM (so that the child allocates where this process does), the
 * options of this JVM that a child should share, as a CPython child runs under its parent's interpreter flags
 * (assertions {@code -ea}/{@code -esa}/{@code -da}/{@code -dsa}, {@code --enable-preview}, {@code -javaagent:},
 * {@code --add-opens}, {@code --add-exports}, {@code --add-reads}, {@code --add-modules}), the system properties
 * named to {@link #passProperties}, and then the JVM
 * options given to {@link #jvmOptions}, which win over those. Its standard output and error are this process's.
 * When the class path holds only jars, children use an ahead-of-time cache that the first child has made in the
 * background ({@code ~/.cache/multiprocess4j}, or the directory {@code -Dmultiprocess4j.aot.dir} names, used only
 * when owned by the current user and writable by nobody else; {@code -Dmultiprocess4j.aot=false} turns it off). A
 * cache is checked against the checksum recorded when it was written before this JVM's first child uses it; a
 * damaged one is deleted and made again. A child whose JVM options choose class sharing themselves
 * ({@code -Xshare:off}, {@code -XX:SharedArchiveFile=...}) starts without it. {@link ProcessPool} workers have a
 * cache of their own, made by a child that rehearses a worker's first tasks and loads the class that made the
 * first pool: the JVM loads all of a cache's classes as it boots, so one cache holding both would slow every child.
 *
 * <p>Arguments: shared objects (values, arrays, structures, locks, conditions) travel as their handles and are
 * attached again in the child, to the same memory; any other argument must be {@link Serializable} and travels by
 * value, as does the target (a lambda or method reference of one of the {@code Task} interfaces). Shared objects
 * nested anywhere in such a value (in a list, a map, a record, a field of a class of the caller's, a lambda's
 * captured values) travel as their handles too and arrive attached, kept alive like top-level arguments. Everything is
 * serialized in {@link #start()}, so an argument that cannot travel fails there, in the parent. The data travels
 * over the child's standard input, a pipe that only this process writes; the child then reads nothing more from it.
 * Like every process of the user, the child trusts what it reads there: while it starts, another process of the
 * same user could open that pipe through {@code /proc} and write to it. The user id is the security boundary of
 * the library (see {@code SECURITY.md}).
 *
 * <p>Ownership: this process owns the memory of the shared objects it created; it keeps every argument reachable
 * until the child has exited, even if the caller drops this object, so the child never loses its memory.
 *
 * <p>Ending: a child whose target returns exits with 0 once the non-daemon threads the target started have ended
 * (as a CPython child joins its threads); one whose target throws prints the stack trace to its
 * stderr and exits with 1 once those threads have ended too, and {@link #exception()} returns that exception after
 * {@link #join()}. A child killed
 * by signal N has exit code -N, as in Python. A daemon child ends within about 20 ms of its parent's end, however
 * the parent ends (SIGKILL included, also while the child is still starting, and also while the dead parent waits
 * to be reaped): the parent's pid and start time travel with the target, so the child never mistakes another
 * process for it, and a daemon child whose parent is already gone ends before running its target. A non-daemon
 * child is an independent process: it runs on after its parent exits or dies.
 */
public final class ChildProcess implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** The {@code java} executable children run: this JVM's own. */
    private static final String JAVA = ProcessHandle.current().info().command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    /** This JVM's options that children run with too (see {@link #jvmOptions}). */
    private static final List<String> INHERITED = InheritedOptions.of(ProcessHandle.current().info().arguments()
            .map(List::of).orElse(List.of()));
    /**
     * Makes {@code Method.invoke} call through JNI instead of spinning method-handle classes, which saves the
     * child about 4 ms of start-up when it calls its target.
     */
    private static final String NATIVE_REFLECTION = "jdk.reflect.useNativeAccessorOnly";
    /** The library's own system properties, which every child inherits. */
    private static final String PROPERTY_PREFIX = "multiprocess4j.";
    /** Started children not yet exited: keeps their arguments (and so their shared memory) reachable. */
    private static final Set<ChildProcess> RUNNING = ConcurrentHashMap.newKeySet();

    /**
     * How a child's JVM comes to be, as Python's start methods choose how a child's interpreter does. The default is
     * {@link #SPAWN}, or the value of the system property {@code multiprocess4j.startMethod} ({@code spawn} or
     * {@code standby}).
     */
    public enum StartMethod {
        /** A new JVM boots for the child when it starts (about 30 ms), as Python's {@code spawn}. */
        SPAWN,
        /**
         * A standby JVM, booted ahead with the child's command and kept warm, becomes the child when it starts, and
         * another boots behind it, as with Python's {@code forkserver}: start and join of a child that does nothing
         * take a few milliseconds. The child behaves as a spawned one does (arguments, exit codes, daemon rules,
         * exceptions), and its JVM options are its own: a standby serves only children whose command (options,
         * class path) is the one it was booted with, so the first child of each command starts cold. A standby
         * waits at most 30 seconds unused (the system property {@code multiprocess4j.standby.idleMillis} sets
         * another time), and never outlives this JVM, so an unused one costs nothing for long. The next standby
         * boots once the child it stood by for has ended or has run for 50 ms (1 s for a child that started cold,
         * which is still booting), so that its boot does not slow a short child; a child started before it is
         * booted starts cold, or in the standby still booting. A standby
         * found dead starts the child cold; one killed in the very instant it is handed the child ends that child
         * as any killed child ends.
         */
        STANDBY
    }

    /** The system property naming the default start method. */
    private static final String START_METHOD_PROPERTY = "multiprocess4j.startMethod";

    /** A target taking no argument; anything it throws is reported to the parent. */
    @FunctionalInterface
    public interface Task0 extends Serializable {
        /** Runs in the child. */
        void run() throws Exception;
    }

    /**
     * A target taking one argument; anything it throws is reported to the parent.
     *
     * @param <A> the argument's type
     */
    @FunctionalInterface
    public interface Task1<A> extends Serializable {
        /** Runs in the child. */
        void run(A a) throws Exception;
    }

    /**
     * A target taking two arguments; anything it throws is reported to the parent.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     */
    @FunctionalInterface
    public interface Task2<A, B> extends Serializable {
        /** Runs in the child. */
        void run(A a, B b) throws Exception;
    }

    /**
     * A target taking three arguments; anything it throws is reported to the parent.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     * @param <C> the third argument's type
     */
    @FunctionalInterface
    public interface Task3<A, B, C> extends Serializable {
        /** Runs in the child. */
        void run(A a, B b, C c) throws Exception;
    }

    /**
     * A target taking four arguments; anything it throws is reported to the parent.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     * @param <C> the third argument's type
     * @param <D> the fourth argument's type
     */
    @FunctionalInterface
    public interface Task4<A, B, C, D> extends Serializable {
        /** Runs in the child. */
        void run(A a, B b, C c, D d) throws Exception;
    }

    /** A target taking its arguments as an array, for any number of them. */
    @FunctionalInterface
    public interface TaskN extends Serializable {
        /** Runs in the child. */
        void run(Object... args) throws Exception;
    }

    private final Serializable target;
    private final List<Object> arguments;
    private String name;
    private boolean daemon;
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<String> passedProperties = new ArrayList<>();
    private StartMethod startMethod = defaultStartMethod();

    /** A training child: its output is discarded and it uses no cache. */
    private boolean quiet;
    /** Whether a STANDBY start boots the next standby behind this child: see {@link #noStandbyBehind}. */
    private boolean standbyBehind = true;
    /** The ahead-of-time cache a cold start of this child maps: see {@link #asPoolWorker}. */
    private AotCache.Profile coldProfile = AotCache.Profile.CHILD;
    /** For a pool worker, the class whose methods the pool workers' cache should hold, or "". */
    private String poolMaker = "";
    private volatile Process process;
    /** The signal {@link #kill()} or {@link #terminate()} sent while the child ran (the last), or 0. */
    private volatile int signalSent;
    private SharedBlock status;
    private boolean closed;
    /** Whether the child had reported its JVM's shutdown when it was closed (its status block is gone then). */
    private boolean exitedWhenClosed;

    private ChildProcess(Serializable target, Object... arguments) {
        this.target = Objects.requireNonNull(target, "target");
        this.arguments = Collections.unmodifiableList(new ArrayList<>(Arrays.asList(arguments)));
        this.name = "ChildProcess-" + COUNTER.incrementAndGet();
    }

    /** A process that will run {@code target}. */
    public ChildProcess(Task0 target) {
        this((Serializable) target);
    }

    /**
     * A process that will run {@code target(a)}.
     *
     * @param <A> the argument's type
     */
    public <A> ChildProcess(Task1<A> target, A a) {
        this((Serializable) target, a);
    }

    /**
     * A process that will run {@code target(a, b)}.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     */
    public <A, B> ChildProcess(Task2<A, B> target, A a, B b) {
        this((Serializable) target, a, b);
    }

    /**
     * A process that will run {@code target(a, b, c)}.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     * @param <C> the third argument's type
     */
    public <A, B, C> ChildProcess(Task3<A, B, C> target, A a, B b, C c) {
        this((Serializable) target, a, b, c);
    }

    /**
     * A process that will run {@code target(a, b, c, d)}.
     *
     * @param <A> the first argument's type
     * @param <B> the second argument's type
     * @param <C> the third argument's type
     * @param <D> the fourth argument's type
     */
    public <A, B, C, D> ChildProcess(Task4<A, B, C, D> target, A a, B b, C c, D d) {
        this((Serializable) target, a, b, c, d);
    }

    /** A process that will run {@code target(args)}, for any number of arguments. */
    public static ChildProcess ofArgs(TaskN target, Object... args) {
        return new ChildProcess((Serializable) target, args.clone());
    }

    /** Sets the name, shown in the child's error output; returns this. */
    public ChildProcess name(String name) {
        checkNotStarted("name");
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    /** The name. */
    public String name() {
        return name;
    }

    /**
     * Makes this a daemon, which ends within about 20 ms of its parent's end (SIGKILL of the parent included);
     * returns this. Unlike Python's, a daemon may start children of its own (a pool worker's task may use a pool):
     * its daemon children end with it in turn, and the others outlive it, as any child outlives its parent.
     */
    public ChildProcess daemon(boolean daemon) {
        checkNotStarted("daemon");
        this.daemon = daemon;
        return this;
    }

    /** Sets how the child's JVM comes to be (see {@link StartMethod}); returns this. */
    public ChildProcess startMethod(StartMethod method) {
        checkNotStarted("startMethod");
        this.startMethod = Objects.requireNonNull(method, "method");
        return this;
    }

    /**
     * A STANDBY start of this child takes a standby that waits, if any, but boots none behind it; returns this. A
     * pool's first workers start so: they run for long, and a boot beside them as they warm up would take a core
     * from their first tasks (the pool's replacements boot one behind them as usual).
     */
    ChildProcess noStandbyBehind() {
        checkNotStarted("noStandbyBehind");
        standbyBehind = false;
        return this;
    }

    /**
     * Makes this child a pool worker: started cold, it maps the pool workers' ahead-of-time cache, which holds what
     * a worker does before its first result and the classes of {@code poolMaker} (the class that made the pool,
     * whose methods are likely its tasks; "" for none), see {@code AotCache.Profile}; a standby, booted for any
     * child, is taken as any child takes it.
     */
    ChildProcess asPoolWorker(String poolMaker) {
        checkNotStarted("asPoolWorker");
        coldProfile = AotCache.Profile.POOL_WORKER;
        this.poolMaker = Objects.requireNonNull(poolMaker, "poolMaker");
        return this;
    }

    /** How the child's JVM comes to be. */
    public StartMethod startMethod() {
        return startMethod;
    }

    /**
     * Boots a standby for children with no JVM options of their own, unless one waits already, and waits at most
     * {@code timeout} until it is ready: the first such child started with {@link StartMethod#STANDBY} then starts
     * warm too. Python's {@code forkserver.ensure_running()}.
     *
     * @return whether a standby is ready
     */
    public static boolean prepareStandby(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return Standby.prepare(new ChildProcess((Task0) () -> { }).command(null, AotCache.Profile.CHILD, true),
                timeout);
    }

    private static StartMethod defaultStartMethod() {
        String value = System.getProperty(START_METHOD_PROPERTY);
        if (value == null || value.equals("spawn")) {
            return StartMethod.SPAWN;
        }
        if (value.equals("standby")) {
            return StartMethod.STANDBY;
        }
        throw new IllegalArgumentException("the system property " + START_METHOD_PROPERTY + " must be spawn or "
                + "standby: " + START_METHOD_PROPERTY + "=" + value);
    }

    /** Whether this is a daemon. */
    public boolean isDaemon() {
        return daemon;
    }

    /**
     * Passes this JVM's values of the system properties {@code names} to the child (those not set here are left
     * out); returns this. Properties named {@code multiprocess4j.*} pass without asking.
     */
    public ChildProcess passProperties(String... names) {
        Objects.requireNonNull(names, "names");
        checkNotStarted("passProperties");
        for (String name : names) {
            String value = System.getProperty(Objects.requireNonNull(name, "name"));
            if (value != null) {
                passedProperties.add("-D" + name + "=" + value);
            }
        }
        return this;
    }

    /**
     * Adds JVM options for the child, such as {@code -Xmx256m} or {@code -Dkey=value}, after those it inherits
     * (so they win); returns this. They are the JVM's to check: {@code start()} does not wait for the child's JVM
     * to boot, so one that refuses an option ends with the JVM's status (1) and says why on its error output.
     */
    public ChildProcess jvmOptions(String... options) {
        Objects.requireNonNull(options, "options");
        checkNotStarted("jvmOptions");
        for (String option : options) {
            jvmOptions.add(Objects.requireNonNull(option, "option"));
        }
        return this;
    }

    /**
     * Starts the child.
     *
     * @throws IllegalStateException when already started or closed, or the JVM cannot be started
     * @throws IllegalArgumentException when the target or an argument can travel neither as a handle nor by
     *                                  serialization
     */
    public synchronized void start() {
        checkNotStarted("start");
        long began = System.nanoTime();
        startUp();
        if (Events.on()) {
            Events.childProcess("started", process.pid(), name, describeTarget(), startMethod.name(),
                    System.nanoTime() - began, 0);
        }
        Process started = process;
        started.onExit().thenRun(() -> {
            if (Events.on()) {
                Events.childProcess("ended", started.pid(), name, describeTarget(), startMethod.name(), 0,
                        exitCodeOf(started.exitValue(), exitedByItself()));
            }
        });
    }

    /** The target, for events: the method a method reference names, or the lambda's class. */
    private String describeTarget() {
        return Bootstrap.staticMethodOf(target) instanceof Bootstrap.StaticMethod m ? m.className() + "." + m.method()
                : target.getClass().getName();
    }

    /**
     * The exit code of a child whose JVM ended with {@code status}: the JDK reports a death by signal N as 128 + N,
     * and so it reads unless the child reported that its JVM shut down ({@code exited}: a {@code System.exit} or a
     * return, whose status is its own), or it is the signal this object sent. A child that reported an exception
     * exits with 1, so a status over 128 after that is a signal's (one from outside, as the JVM ends).
     */
    private int exitCodeOf(int status, boolean exited) {
        int signal = status - 128;
        return signal > 0 && signal <= 64 && (!exited || signal == signalSent) ? -signal : status;
    }

    /** Whether the child reported that its JVM shut down (so an exit status over 128 is its own, not a signal's). */
    private synchronized boolean exitedByItself() {
        return closed ? exitedWhenClosed : exited();
    }

    private boolean exited() {
        return StatusLayout.state(status.segment()) == StatusLayout.EXITED;
    }

    private void startUp() {
        List<Bootstrap.Argument> travelling = new ArrayList<>(arguments.size());
        for (int i = 0; i < arguments.size(); i++) {
            travelling.add(travelling(i, arguments.get(i)));
        }
        Bootstrap.Target travellingTarget = Bootstrap.staticMethodOf(target);
        if (travellingTarget == null) {
            try {
                travellingTarget = new Bootstrap.SerializedTarget(Bootstrap.serialize(target, ChildProcess::handleOf));
            } catch (IOException e) {
                throw new IllegalArgumentException("the target is not serializable (a lambda that captures a "
                        + "non-serializable value?): " + e, e);
            }
        }
        boolean ownCache = coldProfile != AotCache.Profile.CHILD;
        boolean standbys = startMethod == StartMethod.STANDBY && !quiet;
        // A child of a profile of its own looks for a standby without having a child's cache trained for it, and
        // needs a child's command only to claim one or to boot one behind it (a pool's first workers do neither)
        List<String> command = ownCache && !(standbys && (standbyBehind || Standby.anyWaiting())) ? null
                : command(travellingTarget, AotCache.Profile.CHILD, !ownCache);
        Standby standby = standbys && command != null ? Standby.claim(command) : null;
        if (standby != null && launch(standby.process(), true, standby.status(), standby.statusFile(), travellingTarget,
                travelling)) {
            if (standbyBehind) {
                Standby.bootBehind(command, process, true);
            }
            return;
        }
        SharedBlock statusBlock = SharedBlock.allocate(StatusLayout.SIZE, 8, "-\na child process's status");
        String statusFile = Platform.current().descriptorPath(ProcessHandle.current().pid(),
                statusBlock.arena().fd()).toString();
        Process spawned;
        try {
            ProcessBuilder.Redirect output = quiet ? ProcessBuilder.Redirect.DISCARD : ProcessBuilder.Redirect.INHERIT;
            List<String> cold = ownCache ? command(travellingTarget, coldProfile, true) : command;
            spawned = new ProcessBuilder(cold).redirectOutput(output).redirectError(output).start();
        } catch (IOException e) {
            statusBlock.close();
            throw new IllegalStateException("cannot start a child JVM: " + e.getMessage(), e);
        }
        launch(spawned, false, statusBlock, statusFile, travellingTarget, travelling);
        if (standbys && standbyBehind) {
            Standby.bootBehind(command, spawned, false);
        }
    }

    /**
     * Makes {@code jvm} this child: sends it its bootstrap. False when a standby ended before reading it (a cold
     * start follows); a cold child that ended so is started all the same, and ended with its JVM's status.
     */
    private boolean launch(Process jvm, boolean fromStandby, SharedBlock statusBlock, String statusFile, Bootstrap.Target travellingTarget,
                           List<Bootstrap.Argument> travelling) {
        byte[] payload;
        try {
            payload = new Bootstrap(name, daemon, CurrentProcess.PID, CurrentProcess.START_TIME, statusFile,
                    statusBlock.arena().arenaId(), statusBlock.offset(), travellingTarget, travelling).encode();
        } catch (IOException e) {
            statusBlock.close();
            throw new IllegalStateException("cannot encode the bootstrap: " + e, e);
        }
        process = jvm;
        status = statusBlock;
        RUNNING.add(this);
        jvm.onExit().thenRun(() -> {
            if (process == jvm) { // not a standby that died before it took the bootstrap, after which one started
                RUNNING.remove(this);
            }
        });
        try (OutputStream toChild = jvm.getOutputStream()) {
            toChild.write(payload);
            return true;
        } catch (IOException e) {
            if (!fromStandby) {
                // A JVM that ended before it read its target (one that refused an option, say) is a started child
                // that ended at once, with its JVM's status, as one that ends just after reading it.
                return true;
            }
            Exits.await(jvm); // it closed its input: it is ending
            process = null;
            status = null;
            statusBlock.close();
            return false;
        }
    }

    /**
     * The child's command, with the options of the {@code profile}'s ahead-of-time cache when there is one; when
     * there is none, and {@code train}, a training child starts to make it.
     */
    private List<String> command(Bootstrap.Target travellingTarget, AotCache.Profile profile, boolean train) {
        boolean named = ChildProcess.class.getModule().isNamed();
        List<String> command = new ArrayList<>(List.of(JAVA,
                "--enable-native-access=" + (named ? "org.multiprocess4j" : "ALL-UNNAMED"),
                "-Xrs", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-D" + NATIVE_REFLECTION + "=true"));
        command.addAll(libraryProperties());
        String modulePath = System.getProperty("jdk.module.path");
        String classPath = System.getProperty("java.class.path");
        if (!quiet && (modulePath == null || modulePath.isEmpty()) && !AotCache.conflicts(jvmOptions)) {
            String targetClass = profile == AotCache.Profile.POOL_WORKER ? poolMaker
                    : travellingTarget instanceof Bootstrap.StaticMethod m ? m.className() : "";
            command.addAll(AotCache.options(classPath, profile,
                    train ? options -> startTraining(options, profile, targetClass) : null));
        }
        command.addAll(INHERITED);
        command.addAll(passedProperties);
        command.addAll(jvmOptions);
        if (classPath != null && !classPath.isEmpty()) {
            command.addAll(List.of("-cp", classPath));
        }
        if (named && modulePath != null) {
            command.addAll(List.of("-p", modulePath, "--add-modules", "ALL-MODULE-PATH", "-m",
                    "org.multiprocess4j/" + ChildMain.class.getName()));
        } else {
            command.add(ChildMain.class.getName());
        }
        return command;
    }

    /** Every {@code multiprocess4j.*} system property of this JVM, as options: children share the configuration. */
    private static List<String> libraryProperties() {
        List<String> options = new ArrayList<>();
        Properties properties = System.getProperties();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(PROPERTY_PREFIX)) {
                options.add("-D" + key + "=" + properties.getProperty(key));
            }
        }
        return options;
    }

    /**
     * Starts the quiet child whose exit writes the {@code profile}'s ahead-of-time cache (see {@code AotCache}),
     * loading {@code targetClass} (the first child's target's class, or the first pool's maker) so that children
     * using it again find it in the cache. It is not a daemon: a short-lived parent must not kill it before the
     * cache is written, or every run would train again.
     */
    private static ProcessHandle startTraining(List<String> options, AotCache.Profile profile, String targetClass) {
        ChildProcess training = (profile == AotCache.Profile.POOL_WORKER
                ? new ChildProcess(ChildMain::trainPoolWorker, targetClass)
                : new ChildProcess(ChildMain::train, targetClass))
                .name("multiprocess4j-aot-training").jvmOptions(options.toArray(String[]::new));
        training.quiet = true;
        training.start();
        return training.process.toHandle();
    }

    /** The handle of a shared object nested in a serialized argument, which travels as that handle; else null. */
    static String handleOf(Object nested) {
        return nested instanceof SharedObject shared ? shared.handle().toString() : null;
    }

    private static Bootstrap.Argument travelling(int index, Object argument) {
        if (argument instanceof SharedObject shared) {
            return new Bootstrap.SharedArgument(shared.handle().toString());
        }
        if (Bootstrap.PlainArgument.accepts(argument)) {
            return new Bootstrap.PlainArgument(argument);
        }
        if (!(argument instanceof Serializable)) {
            throw new IllegalArgumentException("argument " + index + " can travel neither as a shared object's handle "
                    + "nor by serialization: args[" + index + "]=" + argument + " (" + argument.getClass().getName()
                    + ")");
        }
        try {
            return new Bootstrap.SerializedArgument(Bootstrap.serialize(argument, ChildProcess::handleOf));
        } catch (IOException e) {
            throw new IllegalArgumentException("argument " + index + " cannot be serialized: args[" + index + "]="
                    + argument + ": " + e, e);
        } catch (StackOverflowError e) { // its own toString would overflow too: the class only
            throw new IllegalArgumentException("argument " + index + " nests too deeply to be serialized on this "
                    + "thread's stack: args[" + index + "] is a " + argument.getClass().getName()
                    + " (pass a flat form, an array or a list, or shared memory)", e);
        }
    }

    /**
     * Waits for the child to end, through interrupts, as Python's {@code join()} does (the interrupt status is kept
     * for the caller to see).
     *
     * @throws IllegalStateException when not started
     */
    public void join() {
        Exits.await(started("join"));
    }

    /**
     * Waits at most {@code timeout} for the child to end; an interrupt ends the wait early (the interrupt status is
     * kept).
     *
     * @return true when it has ended
     * @throws IllegalStateException when not started
     * @throws NullPointerException when {@code timeout} is null
     */
    public boolean join(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return Exits.await(started("join"), timeout);
    }

    /** Whether the child has started and not yet ended. */
    public boolean isAlive() {
        checkNotClosed("isAlive");
        return process != null && process.isAlive();
    }

    /**
     * The exit code: null while running, the status the child exited with, or -N when signal N killed it. (The
     * JDK reports both alike, a death by signal N as the status 128 + N: a status from 129 to 192 that the child
     * did not report itself, as {@code Runtime.halt(n)} does not, reads as a signal's, and so does one after the
     * target threw, which ends the child with 1.)
     *
     * @throws IllegalStateException when not started
     */
    public Integer exitCode() {
        Process p = started("exitCode");
        if (p.isAlive()) {
            return null;
        }
        return exitCodeOf(p.exitValue(), exited());
    }

    /**
     * The exception the target threw, once the child has ended; null when it did not throw. An exception whose
     * class cannot be deserialized here arrives as a {@link RuntimeException} with its text and stack trace; so does
     * one that cannot be serialized there, or is more than 64 KiB serialized (its first 8,192 characters of text and
     * 256 frames then).
     *
     * @throws IllegalStateException when not started, or still running
     */
    public Throwable exception() {
        Process p = started("exception");
        if (p.isAlive()) {
            throw new IllegalStateException("child " + name + " is still running: join() it first");
        }
        if (StatusLayout.state(status.segment()) != StatusLayout.THREW) {
            return null;
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(
                StatusLayout.exception(status.segment())))) {
            return (Throwable) in.readObject();
        } catch (IOException | ClassNotFoundException | RuntimeException | Error e) { // readObject runs its code
            if (e instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            return new RuntimeException("the child threw an exception that cannot be read here: " + e);
        }
    }

    /**
     * The child's process id.
     *
     * @throws IllegalStateException when not started
     */
    public long pid() {
        return started("pid").pid();
    }

    /**
     * Asks the child to end, with SIGTERM (its exit code is then -15).
     *
     * @throws IllegalStateException when not started
     */
    public void terminate() {
        Process p = started("terminate");
        if (p.isAlive()) {
            signalSent = 15;
        }
        p.destroy();
    }

    /**
     * Ends the child at once, with SIGKILL (its exit code is then -9).
     *
     * @throws IllegalStateException when not started
     */
    public void kill() {
        Process p = started("kill");
        if (p.isAlive()) {
            signalSent = 9;
        }
        p.destroyForcibly();
    }

    /**
     * Releases what this object holds. The child must have ended.
     *
     * @throws IllegalStateException when the child is still running
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("cannot close child " + name + " (pid " + process.pid() + ") while it runs:"
                    + " join(), terminate() or kill() it first");
        }
        closed = true;
        if (process != null) {
            exitedWhenClosed = exited(); // final: the child has ended; its "ended" event may be recorded after this
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // The child has ended: nothing reads the pipe any more.
            }
            status.close();
        }
    }

    private Process started(String operation) {
        checkNotClosed(operation);
        if (process == null) {
            throw new IllegalStateException(operation + "() of child " + name + " that was never started");
        }
        return process;
    }

    private void checkNotStarted(String operation) {
        checkNotClosed(operation);
        if (process != null) {
            throw new IllegalStateException(operation + "() of child " + name + " that was already started (pid "
                    + process.pid() + ")");
        }
    }

    private void checkNotClosed(String operation) {
        if (closed) {
            throw new IllegalStateException(operation + "() of child " + name + " that is closed");
        }
    }

    @Override
    public String toString() {
        String state = closed ? "closed" : process == null ? "initial" : process.isAlive() ? "started"
                : "stopped exitcode=" + exitCode();
        return "<ChildProcess name='" + name + "' " + state + (daemon ? " daemon" : "") + ">";
    }
}
