package org.multiprocess4j;

import org.multiprocess4j.internal.codec.PackedLists;
import org.multiprocess4j.internal.codec.ValueCodec;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongArray;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.internal.process.Bootstrap;
import org.multiprocess4j.internal.sync.EventCount;

import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An {@link java.util.concurrent.ExecutorService} whose tasks run in warm worker JVMs: Python's
 * {@code multiprocessing.Pool} and {@code ProcessPoolExecutor} for Java. Tasks are serializable lambdas or method
 * references ({@link Task}); shared objects they capture travel as handles and arrive attached, so the usual way
 * to give every task the same large array is to capture the array.
 *
 * {@snippet :
 * try (ProcessPool pool = ProcessPool.create(4)) {
 *     Future<Integer> f = pool.submit(() -> 6 * 7);      // a Task: Callable and Serializable
 *     int answer = f.get();
 * }                                                       // close(): shutdown and wait, as ExecutorService does
 * }
 *
 * <p>Python's {@code Pool} model: an initializer run once in each worker ({@link Builder#initializer}), the usual
 * way to give every worker the same large array (it attaches the array once and keeps it, in a static field, for
 * the tasks); {@link #map}, {@link #imap}, {@link #imapUnordered} and {@link #starmap} with a chunk size; a limit
 * of tasks per worker ({@link Builder#maxTasksPerWorker}, Python's {@code maxtasksperchild}); and, beyond Python,
 * task timeouts ({@link Builder#taskTimeout}, {@link #submit(Task, Duration)}).
 *
 * {@snippet :
 * static DoubleArray data;                                  // each worker's own, set by the initializer
 * static void keep(DoubleArray a) { data = a; }
 * static double sumOf(int part) { ... data ... }
 *
 * try (ProcessPool pool = ProcessPool.builder().workers(4).initializer(Example::keep, array).build()) {
 *     List<Double> sums = pool.map(Example::sumOf, List.of(0, 1, 2, 3), 1);
 * }
 * }
 *
 * <p>Worker death is survived: a worker killed (SIGKILL, {@code System.exit}, out of memory: a task that throws
 * {@link OutOfMemoryError} ends its worker with {@link #OUT_OF_MEMORY_EXIT_STATUS}) fails only the task it was running,
 * with a {@link WorkerDiedException} naming the worker's pid and how it ended, and the pool starts a replacement and
 * goes on (CPython's {@code Pool} hangs for ever then, and {@code ProcessPoolExecutor} breaks the whole pool).
 * {@code cancel(true)} of a running task ends its worker, which is replaced; so does a task that runs past its timeout,
 * which fails with a {@link TimeoutException}. A task's exception reaches its {@code Future} with the stack trace from
 * the worker. An initializer that throws breaks the pool: its exception fails every task not yet done, and the pool
 * shuts down (where CPython's would start failing workers for ever). A worker's JVM ends when the pool stops it (a
 * shutdown, its maximum of tasks done), threads its tasks started included: they hold up neither the pool's end nor a
 * worker's replacement. Each worker runs one task at a time; a worker running a chunk of a {@code map} or
 * {@code starmap} holds one more chunk in its queue, which it starts as soon as it has put the result before (so it
 * never waits for this JVM between chunks), and which counts as started: cancelling it returns false (a worker that
 * goes idle while nothing waits here takes such a chunk back from the other's queue, if it is still there, and runs
 * it). The rest wait in this JVM. A task a killed worker had not yet taken from its queue is never failed once that
 * worker had said it was ready: it runs on another worker (unless {@code shutdownNow} killed it, which returns a queued
 * chunk among the tasks never started). A worker that dies before it is ready (its JVM killed as it starts, a JVM that
 * cannot start, an initializer that ends its JVM) fails the task handed to it, with the same exception, and when three
 * in a row of the same slot do (none killed by the pool), the pool breaks as for an initializer that throws: a pool
 * whose workers cannot start says so, rather than starting them for ever. Workers start with
 * {@link ChildProcess.StartMethod#STANDBY}: a worker takes a standby JVM that waits (one booted by
 * {@link ChildProcess#prepareStandby}, or behind an earlier child), and a replacement boots the next one behind it, so
 * that the replacements after it start warm. The first workers boot none behind them: a boot beside workers warming up
 * would take a core from the pool's first tasks. A worker that starts cold maps an ahead-of-time cache of the pool
 * workers' own (made once per class path, in the background, by a child that rehearses a worker's first tasks; see
 * {@link ChildProcess}), and while a worker boots or owes its first two answers, this JVM looks at the results every
 * 200 microseconds rather than sleeping on them, so that the cold worker has nobody to wake.
 *
 * <p>What travels: tasks and functions are serialized once per submission, and one that captures nothing (a
 * method reference such as {@code Example::sumOf}) only once per class, its worker keeping the deserialized
 * copy; arguments and results that are null, boxed primitives, strings, byte arrays or lists of them travel in a
 * compact form without Java serialization (a list comes back as an {@link ArrayList}); anything else is
 * serialized, shared objects in it travelling as their handles. {@code map} and {@code starmap} pack a chunk whose
 * items (or results) are all {@code Integer}s, {@code Long}s or {@code Double}s into an array, and return their
 * results as one unmodifiable list over the chunks' arrays, boxing an element when it is read.
 */
public final class ProcessPool extends AbstractExecutorService implements AutoCloseable {

    /** A task for the pool: a {@link Callable} that can travel to another JVM. */
    @FunctionalInterface
    public interface Task<T> extends Callable<T>, Serializable {
    }

    /** A function for {@link #map}: a {@link java.util.function.Function} that can travel to another JVM. */
    @FunctionalInterface
    public interface Fn<A, R> extends java.util.function.Function<A, R>, Serializable {
    }

    /** A function of two arguments for {@link #starmap}, which can travel to another JVM. */
    @FunctionalInterface
    public interface Fn2<A, B, R> extends java.util.function.BiFunction<A, B, R>, Serializable {
    }

    /**
     * The exit status of a worker whose task ran out of memory: it ends rather than go on in a JVM that may be broken
     * anywhere (HotSpot's {@code -XX:+ExitOnOutOfMemoryError} uses the same).
     */
    public static final int OUT_OF_MEMORY_EXIT_STATUS = 3;

    /** Why a task failed: the worker running it ended. */
    public static final class WorkerDiedException extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;
        private final long pid;
        private final int exitCode;

        WorkerDiedException(long pid, int exitCode) {
            super("the worker given this task (pid " + pid + ") ended " + (exitCode < 0 ? "by signal " + -exitCode
                    : "with exit code " + exitCode + (exitCode == OUT_OF_MEMORY_EXIT_STATUS
                    ? " (as a worker that runs out of memory does)" : "")) + " before the task finished");
            this.pid = pid;
            this.exitCode = exitCode;
        }

        /** The worker's process id. */
        public long pid() {
            return pid;
        }

        /** How it ended: its exit status, or -N for signal N. */
        public int exitCode() {
            return exitCode;
        }
    }


    /** The settings of a pool, made by {@link #builder()}. */
    public static final class Builder {
        private int workers = Runtime.getRuntime().availableProcessors();
        private byte[] initializer;
        private int maxTasksPerWorker;
        private long taskTimeoutNanos;

        private Builder() {
        }

        /**
         * The number of workers (default: the available processors); returns this.
         *
         * @throws IllegalArgumentException when {@code workers} is less than 1
         */
        public Builder workers(int workers) {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1: workers=" + workers);
            }
            this.workers = workers;
            return this;
        }

        /**
         * Runs {@code initializer} once in each worker before its first task (Python's {@code initializer});
         * returns this. Shared objects it captures arrive attached, once per worker.
         *
         * @throws IllegalArgumentException when it cannot be serialized
         */
        public Builder initializer(ChildProcess.Task0 initializer) {
            Objects.requireNonNull(initializer, "initializer");
            byte[] bytes;
            try {
                bytes = Bootstrap.serialize(initializer, ChildProcess::handleOf);
            } catch (IOException e) {
                throw new IllegalArgumentException("the initializer cannot be serialized (does it capture something "
                        + "that is not Serializable?): " + e, e);
            }
            if (bytes.length + 4L > QUEUE_BYTES / 2) {
                throw new IllegalArgumentException("the initializer is " + bytes.length + " bytes serialized, more "
                        + "than half a worker's queue (" + QUEUE_BYTES / 2 + "): give it large data in shared memory");
            }
            this.initializer = bytes;
            return this;
        }

        /**
         * Runs {@code initializer(argument)} once in each worker before its first task (Python's
         * {@code initializer} and {@code initargs}); returns this. A shared object as the argument, or in it,
         * arrives attached, once per worker.
         *
         * @param <A> the argument's type
         * @throws IllegalArgumentException when the initializer or its argument cannot be serialized
         */
        public <A> Builder initializer(ChildProcess.Task1<A> initializer, A argument) {
            Objects.requireNonNull(initializer, "initializer");
            return initializer(() -> initializer.run(argument));
        }

        /**
         * Ends each worker after it has run {@code tasks} tasks, starting a fresh one in its place (Python's
         * {@code maxtasksperchild}); 0, the default, for no limit. Returns this.
         *
         * @throws IllegalArgumentException when {@code tasks} is negative
         */
        public Builder maxTasksPerWorker(int tasks) {
            if (tasks < 0) {
                throw new IllegalArgumentException("maxTasksPerWorker must be >= 0 (0: no limit): tasks=" + tasks);
            }
            this.maxTasksPerWorker = tasks;
            return this;
        }

        /**
         * Fails a task that runs longer than {@code timeout} in its worker with a {@link TimeoutException}, and
         * replaces the worker (which is killed); null or zero, the default, for no limit. The time runs from when
         * a started worker has the task (a worker's start and initializer do not count), and is kept to within some
         * 20 ms. Returns this.
         *
         * @throws IllegalArgumentException when {@code timeout} is negative
         */
        public Builder taskTimeout(Duration timeout) {
            this.taskTimeoutNanos = timeoutNanos(timeout);
            return this;
        }

        /** A pool with these settings, its workers started now, in parallel. */
        public ProcessPool build() {
            return new ProcessPool(this);
        }
    }

    private static long timeoutNanos(Duration timeout) {
        if (timeout == null) {
            return 0;
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0 (0: none): timeout=" + timeout);
        }
        long nanos = Timeouts.nanos(timeout);
        return nanos > Long.MAX_VALUE / 4 ? 0 : nanos; // past a century: no limit, and no overflow of a deadline
    }

    private static final long QUEUE_BYTES = 4L << 20;
    /** The id of the message that tells a worker to end. */
    private static final long STOP = -1;
    /** The id of the result that tells of an initializer that threw. */
    private static final long INITIALIZER_FAILED = -2;
    /** The id of the message that tells that a worker has started (and initialized): task timeouts count from it. */
    private static final long READY = -3;
    /** A task message's operations. */
    private static final byte CALL = 1;
    private static final byte MAP = 2;
    private static final byte STARMAP = 3;
    /** How often the collector looks at the workers when no result comes: deaths and timeouts are seen within it. */
    private static final long COLLECT_SLICE_MILLIS = 20;
    /**
     * How long a thread waiting for a task's outcome takes the results itself before it parks: a round trip takes
     * 5-40 us, and on a machine of few cores a thread that sleeps sooner often finds its core idle when it is woken,
     * which costs tens of microseconds more each time (on 2 cores: 5 us left the round trip as slow as none, 20 us
     * halfway, 200 us no better than 50).
     */
    private static final long CALLER_COLLECTS_NANOS = 50_000;
    /** How often the collector looks at the results while a worker warms up (see {@link #awaitResult}). */
    private static final long BOOT_POLL_NANOS = 200_000;
    /** How long after a worker's start the collector looks rather than sleeps, at most. */
    private static final long BOOT_POLL_LIMIT_NANOS = 1_000_000_000;
    /**
     * Per function class, how its functions travel when they capture nothing, or null when they may: a lambda's
     * class keeps what it captures in instance fields, so one with none captures nothing, whatever its instance.
     */
    private static final ClassValue<StatelessForm> STATELESS = new ClassValue<>() {
        @Override
        protected StatelessForm computeValue(Class<?> type) {
            boolean captures = Arrays.stream(type.getDeclaredFields())
                    .anyMatch(f -> !java.lang.reflect.Modifier.isStatic(f.getModifiers()));
            return type.isHidden() && !captures ? new StatelessForm() : null;
        }
    };

    /** How a function that captures nothing travels: learnt from its first instance, then the same for all. */
    private static final class StatelessForm {
        volatile boolean examined;
        /** The static method it calls, or null. */
        volatile Bootstrap.StaticMethod staticMethod;
        /** The static method's class, name and descriptor, once written. */
        volatile byte[] staticForm;
        /** Its serialized form, once made. */
        volatile byte[] serialized;
    }

    /** How a task message's function travels. */
    private static final byte SERIALIZED = 0;
    /** Serialized, capturing nothing: the worker keeps its copy. */
    private static final byte STATELESS_SERIALIZED = 1;
    /**
     * The static method of a task that captures nothing (class, name, descriptor), called by reflection: a cold
     * worker spares the serialization machinery and the lambda metafactory, some 30 ms.
     */
    private static final byte STATIC_METHOD = 2;

    /**
     * One worker slot: its process, its own task queue, the task it runs (null when idle) and the one queued behind
     * it, which the worker starts as soon as it has put the current one's result, without waiting for this JVM to
     * read that result and hand it another (null when none).
     */
    private static final class Worker {
        ChildProcess process;
        ProcessQueue<byte[]> tasks;
        PoolTask<?> current;
        PoolTask<?> next;
        /** When the current task times out (System.nanoTime), or 0. */
        long deadline;
        /** Whether the worker has said it is ready: a task's timeout runs from then on. */
        boolean ready;
        /** When its process was started (System.nanoTime). */
        long started;
        /** The messages it has put past its ready one, counted up to 2 (see {@link #awaitResult}). */
        int answers;
        /** Its process's pid, kept for after the pool has closed the process. */
        long pid;
        /** Tasks handed to this process. */
        int handed;
        /** Whether shutdownNow took back the task queued behind the current one, whose message stays queued. */
        boolean tookBackNext;
        boolean stopSent;
        /** Whether this pool killed the process (a cancel, a timeout): no sign then that workers cannot start. */
        boolean killed;
        /** The slot's workers in a row that died before they were ready, not killed by the pool. */
        int deathsBeforeReady;
    }

    /** The slot's workers in a row that die before they are ready, by which a pool sees that they cannot start. */
    private static final int DEATHS_BEFORE_READY_TO_BREAK = 3;

    private final Worker[] workers;
    /** The class that made this pool (see {@link #maker}). */
    private final String maker;
    private final byte[] initializer;
    private final int maxTasksPerWorker;
    private final long taskTimeoutNanos;
    private final ProcessQueue<byte[]> results;
    /** The id of the task each worker runs now (by slot), which it writes before it starts one: see #runsOther. */
    private final LongArray running;
    private final ArrayDeque<PoolTask<?>> pending = new ArrayDeque<>();
    /** The thread that collects the workers' results while no caller does. */
    private final Thread collector;
    /** How many threads collect results while they wait for a task of theirs (see #collectWhileWaiting). */
    private final AtomicInteger callersCollecting = new AtomicInteger();
    private long nextId = 1;
    private boolean shutdown;
    /** Whether shutdownNow was called: a task a dead worker had not started is then not run elsewhere. */
    private boolean stoppedNow;
    private boolean terminated;
    /** Why the pool broke (its initializer threw), or null. */
    private IllegalStateException broken;

    private ProcessPool(Builder builder) {
        this.initializer = builder.initializer == null ? null
                : message(builder.initializer.length).writeRaw(builder.initializer).toByteArray();
        this.maxTasksPerWorker = builder.maxTasksPerWorker;
        this.taskTimeoutNanos = builder.taskTimeoutNanos;
        this.maker = maker(); // here, on the caller's thread: a replacement may be the first to start cold
        this.workers = new Worker[builder.workers];
        this.results = ProcessQueue.create(QUEUE_BYTES);
        try {
            this.running = SharedCTypes.rawArray(CType.c_long, builder.workers);
        } catch (RuntimeException | Error e) {
            results.close();
            throw e;
        }
        try {
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Worker();
                startWorker(i, false);
            }
        } catch (RuntimeException | Error e) { // a JVM or a queue that could not be made: nothing is left behind
            for (Worker w : workers) {
                if (w != null && w.process != null) {
                    if (w.process.isAlive()) {
                        w.process.kill();
                        w.process.join();
                    }
                    w.process.close();
                }
                if (w != null && w.tasks != null) {
                    w.tasks.close();
                }
            }
            running.close();
            results.close();
            throw e;
        }
        this.collector = Thread.ofPlatform().daemon().name("multiprocess4j pool").start(this::collect);
    }

    /**
     * The class that makes a pool: the nearest on the current stack that is not the JDK's or the library's own (a
     * class of the library's jar, or classes directory, in one of its packages: an application may be packed into
     * one jar with it), or "" when there is none. Its methods are likely the pool's tasks, so the pool workers'
     * cache holds them (see {@link ChildProcess#asPoolWorker}).
     */
    static String maker() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(new Maker());
    }

    /** The walk of {@link #maker}. A class, not a lambda: a cold JVM would pay the lambda's bootstrap. */
    private static final class Maker implements Function<Stream<StackWalker.StackFrame>, String> {
        private static final CodeSource LIBRARY = ProcessPool.class.getProtectionDomain().getCodeSource();

        @Override
        public String apply(Stream<StackWalker.StackFrame> frames) {
            for (Iterator<StackWalker.StackFrame> i = frames.iterator(); i.hasNext(); ) {
                Class<?> c = i.next().getDeclaringClass();
                CodeSource source = c.getProtectionDomain().getCodeSource();
                if (source != null && !(source.equals(LIBRARY) && isLibraryPackage(c.getPackageName()))) {
                    return c.getName();
                }
            }
            return "";
        }

        private static boolean isLibraryPackage(String name) {
            return name.equals("org.multiprocess4j") || name.startsWith("org.multiprocess4j.internal.")
                    || name.equals("org.multiprocess4j.sharedctypes") || name.equals("org.multiprocess4j.coordination")
                    || name.equals("org.multiprocess4j.inspect");
        }
    }

    /** Settings for a new pool: Python's {@code Pool(processes, initializer, initargs, maxtasksperchild)}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A pool of {@code workers} worker JVMs, started now, in parallel.
     *
     * @throws IllegalArgumentException when {@code workers} is less than 1
     */
    public static ProcessPool create(int workers) {
        return builder().workers(workers).build();
    }

    /** A pool with one worker per available processor. */
    public static ProcessPool create() {
        return builder().build();
    }

    /** Starts worker {@code slot}: a replacement boots a standby behind it, for the next replacement. */
    private void startWorker(int slot, boolean replacement) {
        Worker w = workers[slot];
        if (w.tasks != null) {
            w.tasks.close(); // a message the dead worker never took must not run again
        }
        w.tasks = ProcessQueue.create(QUEUE_BYTES);
        w.stopSent = false;
        w.tookBackNext = false;
        w.handed = 0;
        w.ready = false;
        w.killed = false;
        w.answers = 0;
        if (initializer != null) {
            send(w, initializer); // a worker's first message: its initializer
        }
        // Plain arguments only: a serialized one would cost a cold worker the serialization machinery at start.
        long settings = (long) slot << 33 | (initializer != null ? 1L << 32 : 0) | maxTasksPerWorker;
        w.process = new ChildProcess(ProcessPool::work, w.tasks, results, settings, running).daemon(true)
                .startMethod(ChildProcess.StartMethod.STANDBY).name("ProcessPool-worker-" + slot).asPoolWorker(maker);
        if (!replacement) {
            w.process.noStandbyBehind();
        }
        w.started = System.nanoTime();
        w.process.start();
        w.pid = w.process.pid();
    }

    // ---- in the worker ------------------------------------------------------------------------------------------

    /**
     * A worker, in its own JVM: {@link #serve}, then the JVM ends, whatever threads its tasks started (they would
     * keep it running, and the pool from ending, or from replacing a worker that has done its maximum of tasks).
     */
    static void work(ProcessQueue<byte[]> tasks, ProcessQueue<byte[]> results, Long settings, LongArray running)
            throws Exception {
        serve(tasks, results, settings, running);
        System.exit(0);
    }

    /**
     * A worker's loop: runs the initializer (its queue's first message) when there is one, then takes a task,
     * writes its id in {@code running}, runs it, puts its outcome, until told to stop; once its {@code maxTasks}
     * are done (0: no limit), it waits to be told, which the pool does once it has read its last outcome (a shared
     * object in it lives as long as its maker). {@code settings}: the slot (bits 63..33), whether there is an
     * initializer (bit 32), {@code maxTasks} (bits 31..0).
     */
    private static void serve(ProcessQueue<byte[]> tasks, ProcessQueue<byte[]> results, Long settings,
                              LongArray running) throws Exception {
        int slot = (int) (settings >>> 33);
        boolean initialize = (settings & 1L << 32) != 0;
        int maxTasks = (int) (long) settings;
        if (initialize) {
            try {
                byte[] m = tasks.takeEncoded(Long.MAX_VALUE);
                reading(m); // checks its tag
                ((ChildProcess.Task0) Bootstrap.deserialize(Arrays.copyOfRange(m, 1, m.length), ChildMain::attach))
                        .run();
            } catch (Throwable t) {
                results.putEncoded(outcome(slot, INITIALIZER_FAILED, false, t));
                return;
            }
        }
        results.putEncoded(outcome(slot, READY, true, null));
        Map<FunctionKey, Object> stateless = new HashMap<>();
        for (int done = 0; maxTasks == 0 || done < maxTasks; done++) {
            ValueCodec.In m = reading(tasks.takeEncoded(Long.MAX_VALUE));
            long id = m.readLong();
            if (id == STOP) {
                return;
            }
            running.setVolatile(slot, id); // before it runs: the pool kills for this task only while it is here
            boolean ok;
            Object outcome;
            try {
                outcome = run(m, stateless, slot, id);
                ok = true;
            } catch (Throwable t) {
                if (outOfMemory(t)) {
                    // A JVM out of memory may be broken anywhere: the worker ends, and the pool replaces it.
                    Runtime.getRuntime().halt(OUT_OF_MEMORY_EXIT_STATUS);
                }
                outcome = t;
                ok = false;
            }
            results.putEncoded(fitting(outcome instanceof Reply r ? r.message() : outcome(slot, id, ok, outcome),
                    slot, id, results));
            if (done == 0) {
                // On a thread of its own, while this one takes and runs the next task: the collector looks for
                // this worker's first two answers (see awaitResult); the third may have to wake it.
                EventCount.prepare();
            }
        }
        tasks.takeEncoded(Long.MAX_VALUE); // retiring: the pool's STOP, once it has read the last outcome
    }

    /** Whether {@code t}, or one of its first causes, is an {@link OutOfMemoryError}. */
    private static boolean outOfMemory(Throwable t) {
        for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /**
     * A worker's life up to its second task, in this JVM, for the ahead-of-time cache that cold workers start from
     * (see {@code ChildMain.trainPoolWorker}): its queues and array attached by handle as a worker attaches its
     * arguments; then, in a thread of its own, the worker's loop says it is ready, runs a task that calls a static
     * method, waits for the next one, runs it too and stops, while this thread waits for each answer: so the
     * futex calls are linked in both directions.
     */
    static void rehearse() throws Exception {
        try (ProcessQueue<byte[]> tasks = ProcessQueue.create(64 << 10);
             ProcessQueue<byte[]> results = ProcessQueue.create(64 << 10);
             LongArray running = SharedCTypes.rawArray(CType.c_long, 1)) {
            @SuppressWarnings("unchecked")
            ProcessQueue<byte[]> workerTasks = (ProcessQueue<byte[]>) ChildMain.attach(tasks.handle().toString());
            @SuppressWarnings("unchecked")
            ProcessQueue<byte[]> workerResults = (ProcessQueue<byte[]>) ChildMain.attach(
                    results.handle().toString());
            LongArray workerRunning = (LongArray) ChildMain.attach(running.handle().toString());
            Thread worker = Thread.ofPlatform().daemon().name("rehearsed worker").start(() -> {
                try (workerTasks; workerResults; workerRunning) {
                    serve(workerTasks, workerResults, 0L, workerRunning);
                } catch (Exception e) {
                    throw new IllegalStateException("the rehearsed worker failed", e);
                }
            });
            Task<Object> noOp = ProcessPool::rehearsedTask;
            expectSuccess(results, READY);
            for (long id = 1; id <= 2; id++) {
                tasks.putEncoded(taskMessage(id, CALL, noOp, 0, out -> { }));
                expectSuccess(results, id);
            }
            tasks.putEncoded(message(8).writeLong(STOP).toByteArray());
            worker.join(Duration.ofSeconds(30));
        }
    }

    /** Takes the rehearsed worker's next answer, which must be a success for task {@code id}. */
    private static void expectSuccess(ProcessQueue<byte[]> results, long id) throws Exception {
        byte[] answer = results.takeEncoded(TimeUnit.SECONDS.toNanos(30));
        ValueCodec.In outcome = answer == null ? null : reading(answer);
        if (outcome == null || outcome.readInt() != 0 || outcome.readLong() != id || outcome.readByte() != 1) {
            throw new IllegalStateException("the rehearsed worker did not answer " + id + " with a success");
        }
    }

    /** The task of {@link #rehearse}. */
    private static Object rehearsedTask() {
        return null;
    }

    /** {@code message}, or in its place a failure saying why it is too large for the results queue. */
    private static byte[] fitting(byte[] message, int slot, long id, ProcessQueue<byte[]> results) {
        if (message.length + 4L <= results.capacityBytes()) {
            return message;
        }
        return outcome(slot, id, false, new IllegalStateException("the task's outcome is " + message.length
                + " bytes encoded, more than the pool's results queue holds (" + (results.capacityBytes() - 4)
                + "): pass large data in shared memory"));
    }

    /** Runs one task message's operation. */
    @SuppressWarnings("unchecked")
    private static Object run(ValueCodec.In m, Map<FunctionKey, Object> stateless, int slot, long id)
            throws Exception {
        byte op = m.readByte();
        Object function = function(m, stateless);
        switch (op) {
            case CALL -> {
                return ((Callable<?>) function).call();
            }
            case MAP -> {
                Fn<Object, Object> fn = (Fn<Object, Object>) function;
                List<?> items = (List<?>) ValueCodec.read(m, ChildMain::attach);
                // The results go straight into the reply: boxes only as long as fn keeps them, no list of them.
                ValueCodec.Out out = resultHeader(slot, id, true, 5 + 4 * items.size()); // exact for Integers
                try {
                    ValueCodec.writeMapped(out, items, fn, ChildProcess::handleOf);
                } catch (IOException e) {
                    throw notSerializable("result", e);
                }
                return new Reply(out.toByteArray());
            }
            case STARMAP -> {
                Fn2<Object, Object, Object> fn = (Fn2<Object, Object, Object>) function;
                List<?> firsts = (List<?>) ValueCodec.read(m, ChildMain::attach);
                List<?> seconds = (List<?>) ValueCodec.read(m, ChildMain::attach);
                List<Object> out = new ArrayList<>(firsts.size());
                for (int i = 0; i < firsts.size(); i++) {
                    out.add(fn.apply(firsts.get(i), seconds.get(i)));
                }
                return new ChunkResults(out);
            }
            default -> throw new IllegalStateException("a task message of unknown operation " + op);
        }
    }

    /** The serialized bytes of a function that captures nothing, as a key of the worker's copies. */
    private record FunctionKey(byte[] bytes) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FunctionKey k && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }
    }

    /** Reads a task's function: deserialized, or the worker's copy of one that captures nothing. */
    private static Object function(ValueCodec.In m, Map<FunctionKey, Object> stateless) throws Exception {
        byte form = m.readByte();
        byte[] bytes = m.readBytes();
        if (form == SERIALIZED) {
            return Bootstrap.deserialize(bytes, ChildMain::attach);
        }
        FunctionKey key = new FunctionKey(bytes);
        Object function = stateless.get(key);
        if (function == null) {
            if (stateless.size() >= 256) {
                stateless.clear();
            }
            function = form == STATIC_METHOD ? staticCall(bytes) : Bootstrap.deserialize(bytes, ChildMain::attach);
            stateless.put(key, function);
        }
        return function;
    }

    /** A task calling the static method that {@code bytes} (class, name and descriptor) names. */
    private static Callable<Object> staticCall(byte[] bytes) throws Exception {
        ValueCodec.In in = new ValueCodec.In(bytes);
        java.lang.reflect.Method method = ChildMain.staticMethod(new Bootstrap.StaticMethod(
                new String(in.readBytes(), java.nio.charset.StandardCharsets.UTF_8),
                new String(in.readBytes(), java.nio.charset.StandardCharsets.UTF_8),
                new String(in.readBytes(), java.nio.charset.StandardCharsets.UTF_8)));
        return () -> {
            try {
                return method.invoke(null);
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof Error error) {
                    throw error; // as the method reference itself would have thrown it
                }
                throw e.getCause() instanceof Exception x ? x : new ExecutionException(e.getCause());
            }
        };
    }

    /** A chunk's results, written as a list that may be packed ({@link ValueCodec#writeList}). */
    private record ChunkResults(List<Object> values) {
    }

    /**
     * A new message for one of the pool's queues, {@code capacity} bytes for what the caller writes: its first byte
     * is the queue's tag for a {@code byte[]} element ({@link ProcessQueue#putEncoded}), so it goes into the ring as
     * it is.
     */
    private static ValueCodec.Out message(int capacity) {
        return new ValueCodec.Out(1 + capacity).writeByte(ProcessQueue.BYTES);
    }

    /** A message from one of the pool's queues, to be read past its tag. */
    private static ValueCodec.In reading(byte[] message) throws IOException {
        if (message.length == 0 || message[0] != ProcessQueue.BYTES) {
            throw new IOException("malformed message: not a pool message (its first byte is not "
                    + ProcessQueue.BYTES + ")");
        }
        return new ValueCodec.In(message, 1);
    }

    /** A result message written whole by the task's own code. */
    private record Reply(byte[] message) {
    }

    /** Why a task's result (or exception) could not be written. */
    private static IllegalStateException notSerializable(String what, IOException e) {
        return new IllegalStateException("the task's " + what + " cannot be serialized: " + e, e);
    }

    /** A result message's start: slot, task id, whether it succeeded; room for {@code capacity} bytes more. */
    private static ValueCodec.Out resultHeader(int slot, long id, boolean ok, int capacity) {
        return message(13 + capacity).writeInt(slot).writeLong(id).writeByte(ok ? 1 : 0);
    }

    /** A result message: slot, task id, whether it succeeded, and the value or exception. */
    private static byte[] outcome(int slot, long id, boolean ok, Object outcome) {
        ValueCodec.Out out = resultHeader(slot, id, ok, outcome instanceof ChunkResults r ? 16 + 9 * r.values().size()
                : 64);
        try {
            if (outcome instanceof ChunkResults r) {
                ValueCodec.writeList(out, r.values(), 0, r.values().size(), ChildProcess::handleOf);
            } else {
                ValueCodec.write(out, outcome, ChildProcess::handleOf);
            }
            return out.toByteArray();
        } catch (IOException | RuntimeException | Error e) { // a class's writeObject may throw anything
            if (outOfMemory(e)) {
                Runtime.getRuntime().halt(OUT_OF_MEMORY_EXIT_STATUS); // as a task's own: see work
            }
            RuntimeException plain = new IllegalStateException("the task's " + (ok ? "result" : "exception") + " ("
                    + describe(outcome) + ") cannot be serialized: " + e);
            if (outcome instanceof Throwable t) {
                plain.setStackTrace(t.getStackTrace());
            }
            return outcome(slot, id, false, plain);
        }
    }

    /** An exception as {@link ChildMain#describe} says it; any other object by its class. */
    private static String describe(Object outcome) {
        return outcome instanceof Throwable t ? ChildMain.describe(t)
                : outcome == null ? "null" : "a " + outcome.getClass().getName();
    }

    // ---- in this JVM --------------------------------------------------------------------------------------------

    /** A future whose task runs in a worker. */
    private final class PoolTask<T> extends FutureTask<T> {
        final long id;
        final byte[] message;
        final long timeoutNanos;
        /**
         * A chunk of a map or starmap: only such a task is queued behind another in a worker, and only behind one
         * (a task of the user's own might wait for something that a task queued behind it would do).
         */
        final boolean chunk;
        int slot = -1;
        /** Told once the task is done (imapUnordered, map); null when nobody listens. */
        Consumer<PoolTask<?>> listener;

        PoolTask(long id, byte[] message, long timeoutNanos, boolean chunk) {
            super(() -> {
                throw new IllegalStateException("a pool task runs in a worker, not here");
            });
            this.id = id;
            this.message = message;
            this.timeoutNanos = timeoutNanos;
            this.chunk = chunk;
        }

        void succeed(Object value) {
            @SuppressWarnings("unchecked")
            T t = (T) value;
            set(given != null ? given : t);
        }

        void fail(Throwable t) {
            setException(t);
        }

        @Override
        public void run() {
            // submitted through execute(): the pool runs it in a worker
        }

        @Override
        public T get() throws InterruptedException, ExecutionException {
            collectWhileWaiting(this, Long.MAX_VALUE);
            return super.get();
        }

        @Override
        public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            collectWhileWaiting(this, unit.toNanos(timeout));
            return super.get(timeout, unit);
        }

        @Override
        protected void done() {
            if (unobserved && state() == State.FAILED) {
                System.getLogger(ProcessPool.class.getName()).log(System.Logger.Level.WARNING,
                        "a task given to execute() failed", exceptionNow());
            }
            if (wrapper != null) {
                wrapper.run(); // it completes, and tells whoever wrapped this task (see made)
            }
            if (listener != null) {
                listener.accept(this);
            }
        }

        /** The caller's own future around this task, run once this task is done; null when none. */
        Runnable wrapper;
        /** The result that {@code submit(Runnable, result)} was given, for a success; null for the worker's own. */
        T given;
        /** Whether nobody holds its future ({@code execute}): a failure is then logged, as a thread pool's is. */
        boolean unobserved;
        /** Whether {@link #execute} has taken it (a task runs once); guarded by the pool. */
        boolean queued;

        /**
         * Cancels the task unless it has started: a chunk queued behind another in its worker counts as started
         * (the worker runs it next, and nothing can take it back), so cancelling it returns false.
         */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            synchronized (ProcessPool.this) {
                if (slot >= 0 && workers[slot].next == this) {
                    return false;
                }
                boolean cancelled = super.cancel(mayInterruptIfRunning);
                if (cancelled) {
                    cancelled(this, mayInterruptIfRunning);
                }
                return cancelled;
            }
        }
    }

    /** A new task: its message is the id, the operation, the function, and what {@code items} writes. */
    private <T> PoolTask<T> task(byte op, Serializable function, long timeoutNanos, ItemsWriter items) {
        return task(op, function, timeoutNanos, 0, items);
    }

    /**
     * A task message: {@code itemsBytes} is about how many bytes the items take, for the buffer's first size (exact
     * for a chunk of {@code Integer}s, the commonest).
     */
    private <T> PoolTask<T> task(byte op, Serializable function, long timeoutNanos, int itemsBytes,
                                 ItemsWriter items) {
        Objects.requireNonNull(function, "function");
        long id;
        synchronized (this) {
            id = nextId++;
        }
        return new PoolTask<>(id, taskMessage(id, op, function, itemsBytes, items), timeoutNanos, op != CALL);
    }

    /** A task's message: its id, the operation, the function, and what {@code items} writes. */
    private static byte[] taskMessage(long id, byte op, Serializable function, int itemsBytes, ItemsWriter items) {
        StatelessForm known = STATELESS.get(function.getClass());
        if (known != null && !known.examined) {
            known.staticMethod = Bootstrap.staticMethodOf(function);
            known.examined = true;
        }
        byte form;
        byte[] bytes;
        if (known != null && op == CALL && known.staticMethod != null) {
            form = STATIC_METHOD;
            bytes = known.staticForm;
            if (bytes == null) {
                Bootstrap.StaticMethod m = known.staticMethod;
                bytes = new ValueCodec.Out(128).writeBytes(utf8(m.className())).writeBytes(utf8(m.method()))
                        .writeBytes(utf8(m.descriptor())).toByteArray();
                known.staticForm = bytes;
            }
        } else {
            form = known != null ? STATELESS_SERIALIZED : SERIALIZED;
            bytes = known != null ? known.serialized : null;
            if (bytes == null) {
                try {
                    bytes = Bootstrap.serialize(function, ChildProcess::handleOf);
                } catch (IOException e) {
                    throw new IllegalArgumentException("the task cannot be serialized (does it capture something "
                            + "that is not Serializable?): " + e, e);
                } catch (StackOverflowError e) {
                    throw new IllegalArgumentException("the task captures a value nested too deeply to be "
                            + "serialized on this thread's stack (pass a flat form, or shared memory)", e);
                }
                if (known != null) {
                    known.serialized = bytes;
                }
            }
        }
        // Sized for the header and the items' estimate: a message that fills it goes to the queue without a copy.
        ValueCodec.Out out = message(14 + bytes.length + itemsBytes);
        out.writeLong(id).writeByte(op).writeByte(form).writeBytes(bytes);
        try {
            items.write(out);
        } catch (IOException e) {
            throw new IllegalArgumentException("the items cannot be serialized: " + e, e);
        } catch (StackOverflowError e) {
            throw new IllegalArgumentException("an item is nested too deeply to be serialized on this thread's "
                    + "stack (pass a flat form, or shared memory)", e);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Writes a task's items after its function. */
    @FunctionalInterface
    private interface ItemsWriter {
        void write(ValueCodec.Out out) throws IOException;
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        Objects.requireNonNull(callable, "task");
        if (!(callable instanceof Serializable function)) {
            throw new IllegalArgumentException("a pool task must be Serializable (a ProcessPool.Task, or a lambda "
                    + "cast to Callable & Serializable): task=" + callable);
        }
        PoolTask<T> task = task(CALL, function, taskTimeoutNanos, out -> { });
        made.set(task);
        return task;
    }

    /**
     * The task {@link #newTaskFor} made last on each thread, until {@link #execute} takes it: an
     * {@code ExecutorCompletionService} (and so {@code invokeAny}) makes a task here and then executes a wrapper of
     * its own around it, which this pool cannot send to a worker; the task inside is sent instead, and the wrapper
     * run once that task is done.
     */
    private final ThreadLocal<PoolTask<?>> made = new ThreadLocal<>();

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        Objects.requireNonNull(runnable, "task");
        if (!(runnable instanceof Serializable)) {
            throw new IllegalArgumentException("a pool task must be Serializable: task=" + runnable);
        }
        Runnable r = runnable;
        PoolTask<T> task = task(CALL, (Task<T>) () -> {
            r.run();
            return null;
        }, taskTimeoutNanos, out -> { });
        task.given = value; // this very object is the future's result, as the JDK's: it never travels
        made.set(task);
        return task;
    }

    /** Submits a task that runs in a worker JVM. */
    public <T> Future<T> submit(Task<T> task) {
        return super.submit(task);
    }

    /**
     * Submits a task that runs in a worker JVM and fails with a {@link TimeoutException} (its worker replaced)
     * when it runs there longer than {@code timeout}; this one's timeout replaces the pool's.
     *
     * @throws IllegalArgumentException when {@code timeout} is negative
     */
    public <T> Future<T> submit(Task<T> task, Duration timeout) {
        Objects.requireNonNull(task, "task");
        PoolTask<T> f = task(CALL, task, timeoutNanos(timeout), out -> { });
        execute(f);
        return f;
    }

    private static void checkChunkSize(int chunkSize) {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1: chunkSize=" + chunkSize);
        }
    }

    /** Submits {@code items} in chunks of {@code chunkSize}, each a task applying {@code fn} to its items. */
    private <A, R> List<PoolTask<List<R>>> submitChunks(Fn<? super A, ? extends R> fn, List<? extends A> items,
                                                       int chunkSize,
                                                       Consumer<PoolTask<?>> listener) {
        Objects.requireNonNull(fn, "fn");
        Objects.requireNonNull(items, "items");
        checkChunkSize(chunkSize);
        List<PoolTask<List<R>>> chunks = new ArrayList<>();
        // Each chunk is written from the list itself, by index: one copy first where indexing is slow. Each goes to
        // the workers as soon as it is written, so that they start while the rest are.
        List<? extends A> source = items instanceof java.util.RandomAccess ? items : new ArrayList<>(items);
        try {
            for (int from = 0; from < source.size(); from += chunkSize) {
                int start = from;
                int end = Math.min(source.size(), from + chunkSize);
                PoolTask<List<R>> task = task(MAP, fn, taskTimeoutNanos, 5 + 4 * (end - start),
                        out -> ValueCodec.writeList(out, source, start, end, ChildProcess::handleOf));
                task.listener = listener;
                chunks.add(task);
                execute(task);
            }
        } catch (RuntimeException e) { // an item that cannot be sent, or a pool shut down meanwhile
            cancelNotStarted(chunks);
            throw e;
        }
        return chunks;
    }

    /**
     * Applies {@code fn} to every item in the workers, {@code chunkSize} items per task, and returns the results in
     * the items' order, as an unmodifiable list (Python's {@code Pool.map(fn, items, chunksize)}).
     *
     * @throws ExecutionException when a chunk failed (its worker's exception as the cause); the chunks not started
     *                            then are cancelled, as they are when this thread is interrupted
     */
    public <A, R> List<R> map(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize)
            throws InterruptedException, ExecutionException {
        Objects.requireNonNull(items, "items");
        checkChunkSize(chunkSize);
        AllDone done = new AllDone(items.size() / chunkSize + (items.size() % chunkSize == 0 ? 0 : 1));
        List<PoolTask<List<R>>> chunks = this.<A, R>submitChunks(fn, items, chunkSize, done);
        return collectAll(chunks, done);
    }

    /**
     * Wakes the caller of map once every chunk is done, or one has failed (or was cancelled): it sleeps once, not
     * once per chunk, while the collector completes them.
     */
    private static final class AllDone implements Consumer<PoolTask<?>> {
        private final CountDownLatch left;

        AllDone(int chunks) {
            left = new CountDownLatch(chunks);
        }

        @Override
        public void accept(PoolTask<?> chunk) {
            if (chunk.state() == Future.State.SUCCESS) {
                left.countDown();
            } else {
                while (left.getCount() > 0) {
                    left.countDown(); // the caller reads the chunks in order, and finds why
                }
            }
        }

        void await() throws InterruptedException {
            left.await();
        }
    }

    /**
     * Applies {@code fn} to every pair in the workers, {@code chunkSize} pairs per task, and returns the results in
     * the pairs' order, as an unmodifiable list (Python's {@code Pool.starmap(fn, pairs, chunksize)} for two
     * arguments; build the pairs with {@link Map#entry}, and pass records to {@link #map} for more).
     *
     * @throws ExecutionException when a chunk failed (its worker's exception as the cause); the chunks not started
     *                            then are cancelled, as they are when this thread is interrupted
     */
    public <A, B, R> List<R> starmap(Fn2<? super A, ? super B, ? extends R> fn,
                                     List<? extends Map.Entry<? extends A, ? extends B>> pairs, int chunkSize)
            throws InterruptedException, ExecutionException {
        Objects.requireNonNull(fn, "fn");
        Objects.requireNonNull(pairs, "pairs");
        checkChunkSize(chunkSize);
        List<PoolTask<List<R>>> chunks = new ArrayList<>();
        for (int from = 0; from < pairs.size(); from += chunkSize) {
            List<Object> firsts = new ArrayList<>();
            List<Object> seconds = new ArrayList<>();
            for (Map.Entry<? extends A, ? extends B> pair : pairs.subList(from, Math.min(pairs.size(),
                    from + chunkSize))) {
                if (pair == null) {
                    throw new NullPointerException("pairs must not hold null (a pair may hold nulls): pairs["
                            + pairs.indexOf(null) + "] is null");
                }
                firsts.add(pair.getKey());
                seconds.add(pair.getValue());
            }
            chunks.add(task(STARMAP, fn, taskTimeoutNanos, 18 * firsts.size(), out -> {
                ValueCodec.writeList(out, firsts, 0, firsts.size(), ChildProcess::handleOf);
                ValueCodec.writeList(out, seconds, 0, seconds.size(), ChildProcess::handleOf);
            }));
        }
        try {
            chunks.forEach(this::execute);
        } catch (RuntimeException e) { // a pool shut down meanwhile
            cancelNotStarted(chunks);
            throw e;
        }
        return collectAll(chunks, null);
    }

    /** Cancels the chunks that have not started: they never start; one that has runs on, its result dropped. */
    private static void cancelNotStarted(List<? extends PoolTask<?>> chunks) {
        chunks.forEach(chunk -> chunk.cancel(false));
    }

    /**
     * The chunks' results end to end, as one unmodifiable list read through (no element is copied or boxed), once
     * {@code done} (when not null) says they are all done. When this thread is interrupted meanwhile, or a chunk
     * failed, the chunks not started yet are cancelled (as {@code invokeAll} cancels its unfinished tasks; a
     * running one finishes, and its result is dropped).
     */
    private static <R> List<R> collectAll(List<PoolTask<List<R>>> chunks, AllDone done)
            throws InterruptedException, ExecutionException {
        try {
            if (done != null) {
                done.await();
            }
            List<List<R>> parts = new ArrayList<>(chunks.size());
            for (PoolTask<List<R>> chunk : chunks) {
                parts.add(chunk.get());
            }
            return PackedLists.concatenation(parts);
        } catch (InterruptedException | ExecutionException | RuntimeException e) {
            cancelNotStarted(chunks);
            throw e;
        }
    }

    /** A chunk's failure, carried through an iterator. */
    private static final class ChunkFailed extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;

        ChunkFailed(Exception cause) {
            super(cause);
        }
    }

    /**
     * The results of {@link #imap} or {@link #imapUnordered}, as they come: an iterator that can be closed when the
     * rest of its results are not wanted. {@code close()} cancels the chunks no worker has started (one running, or
     * queued behind a running one, finishes, and its results are dropped), so that the pool's workers go on with
     * other tasks; after it, {@code hasNext()} is false. Closing is optional: an iterator read to its end has
     * nothing left to cancel. Another thread may close it: a {@code next()} waiting meanwhile throws a
     * {@link RuntimeException} whose cause is the chunk's {@link java.util.concurrent.CancellationException}.
     *
     * @param <R> the results' type
     */
    public interface Results<R> extends Iterator<R>, AutoCloseable {
        /** Cancels the chunks not started yet; the results not read are dropped. Closing again does nothing. */
        @Override
        void close();
    }

    /**
     * The results of the {@code all} chunks, taken from {@code next} in the order it gives them: one per item, so
     * that {@code hasNext} knows without waiting. {@code next} waits for the chunk it reads from; a failed chunk's
     * {@code next} throws a {@link ChunkFailed} whose cause is its ExecutionException, and the following calls go on
     * with the next chunk (the failed one's items have no results); an interrupt while waiting throws one whose
     * cause is the InterruptedException, with the thread's interrupt kept, and a later call waits again.
     */
    private static <R> Results<R> flatten(List<PoolTask<List<R>>> all, ChunkSource<R> next) {
        int chunks = all.size();
        return new Results<>() {
            private int taken;
            private Iterator<R> current = java.util.Collections.emptyIterator();
            private PoolTask<List<R>> waiting;
            private volatile boolean closed; // may be set by another thread than the reader's

            @Override
            public boolean hasNext() {
                return !closed && (current.hasNext() || waiting != null || taken < chunks);
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    current = java.util.Collections.emptyIterator();
                    waiting = null;
                    cancelNotStarted(all);
                }
            }

            @Override
            public R next() {
                if (closed) {
                    throw new java.util.NoSuchElementException("the results were closed");
                }
                while (!current.hasNext()) {
                    if (waiting == null) {
                        if (taken == chunks) {
                            throw new java.util.NoSuchElementException();
                        }
                        try {
                            waiting = next.chunk(taken);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new ChunkFailed(e);
                        }
                        taken++;
                    }
                    PoolTask<List<R>> chunk = waiting;
                    try {
                        List<R> results = chunk.get();
                        waiting = null;
                        current = results.iterator();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ChunkFailed(e);
                    } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                        waiting = null;
                        throw new ChunkFailed(e);
                    }
                }
                return current.next();
            }
        };
    }

    @FunctionalInterface
    private interface ChunkSource<R> {
        PoolTask<List<R>> chunk(int index) throws InterruptedException;
    }

    /**
     * As {@link #map}, streaming: the results come in the items' order as their chunks finish (Python's
     * {@code imap}). A failed chunk surfaces as a {@link RuntimeException} from {@code next()} whose cause is the
     * {@link ExecutionException}, and the next {@code next()} goes on with the chunk after it; {@code hasNext()}
     * never waits or throws. An interrupt while {@code next()} waits throws one whose cause is the
     * {@link InterruptedException}, the thread's interrupt kept. Closing the results cancels the chunks not started
     * (see {@link Results}): {@code try (var results = pool.imap(...)) { ... break; ... }} stops the work a loop
     * leaves early, which Python's {@code imap} runs to its end.
     */
    public <A, R> Results<R> imap(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize) {
        List<PoolTask<List<R>>> chunks = this.<A, R>submitChunks(fn, items, chunkSize, null);
        return flatten(chunks, chunks::get);
    }

    /**
     * As {@link #imap}, in the order the chunks finish (Python's {@code imap_unordered}); each chunk's results stay
     * in their items' order.
     */
    public <A, R> Results<R> imapUnordered(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize) {
        BlockingQueue<PoolTask<?>> finished = new LinkedBlockingQueue<>();
        List<PoolTask<List<R>>> chunks = this.<A, R>submitChunks(fn, items, chunkSize, finished::add);
        return flatten(chunks, i -> {
            @SuppressWarnings("unchecked")
            PoolTask<List<R>> chunk = (PoolTask<List<R>>) finished.take();
            return chunk;
        });
    }

    /**
     * Runs {@code command}, a {@code Serializable} {@code Runnable}, in a worker. Nobody holds a future of a plain
     * {@code Runnable} given here: what it throws is logged (a warning of this class's logger), as a thread pool's
     * thread reports it.
     *
     * @throws RejectedExecutionException when the pool is shut down
     * @throws IllegalArgumentException when {@code command} is not {@code Serializable}
     */
    @Override
    public synchronized void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        PoolTask<?> last = made.get();
        made.remove(); // only the execute right after its newTaskFor, on the same thread, may take it
        if (broken != null) {
            throw new RejectedExecutionException(broken.getMessage(), broken);
        }
        if (shutdown) {
            throw new RejectedExecutionException("the pool is shut down");
        }
        PoolTask<?> task;
        if (command instanceof PoolTask<?> t) {
            task = t;
        } else if (command instanceof RunnableFuture<?> && !(command instanceof Serializable) && last != null
                && !last.queued && !last.isDone()) {
            task = last; // made for this wrapper and never queued: see made
            task.wrapper = command;
        } else {
            task = (PoolTask<?>) newTaskFor(command, null);
            task.unobserved = true;
            made.remove();
        }
        if (task.queued) {
            throw new IllegalArgumentException("the task was given to the pool already: command=" + command);
        }
        task.queued = true;
        pending.add(task);
        dispatch();
    }

    /** {@link #dispatch(boolean)}, stopping idle workers that are done. */
    private void dispatch() {
        dispatch(true);
    }

    /**
     * Gives pending tasks to idle workers, then one more to each busy worker that is ready, to start when it has
     * put its current result; with {@code stop}, tells the idle workers that are done (the pool shut down with
     * nothing pending, or a worker that ran its maximum of tasks) to stop, which they do at once: not while a
     * result of theirs is still to be read (a shared object in it ends with its maker). The caller holds the
     * monitor.
     */
    private void dispatch(boolean stop) {
        if (terminated) {
            return; // the workers are closed
        }
        if (pending.isEmpty() && !shutdown) {
            takeBackForAnIdleWorker();
        }
        for (int i = 0; i < workers.length && !pending.isEmpty(); i++) {
            Worker w = workers[i];
            if (w.current != null || retiring(w) || !w.process.isAlive()) {
                continue;
            }
            PoolTask<?> task = nextPending();
            if (task == null) {
                break;
            }
            // The queue holds this task and, until the worker says it is ready, its initializer: a put never
            // waits, so the monitor is never held while blocked (a stopped worker would hold up the whole pool).
            if (task.message.length + 4L > w.tasks.capacityBytes()) {
                task.fail(new IllegalArgumentException("the task is " + task.message.length + " bytes with its "
                        + "items, more than a worker's queue holds (" + (w.tasks.capacityBytes() - 4) + "): use "
                        + "smaller chunks, or pass large data in shared memory"));
                i--;
                continue;
            }
            if (!w.ready && initializer != null && task.message.length + initializer.length + 8L
                    > w.tasks.capacityBytes()) {
                pending.addFirst(task); // it fits once the worker has taken its initializer: for a ready worker
                continue;
            }
            w.current = task;
            w.deadline = w.ready ? deadline(task) : 0;
            hand(w, i, task);
        }
        for (int i = 0; i < workers.length && !pending.isEmpty(); i++) {
            Worker w = workers[i];
            if (w.current == null || !w.current.chunk || w.next != null || !w.ready || retiring(w)
                    || !w.process.isAlive() || !pending.peek().chunk) {
                continue; // only a chunk, behind a running chunk of a ready worker
            }
            PoolTask<?> task = nextPending();
            if (task == null) {
                break;
            }
            if (!task.chunk || w.current.message.length + task.message.length + 8L > w.tasks.capacityBytes()) {
                pending.addFirst(task); // waits for an idle worker
                continue;
            }
            w.next = task;
            hand(w, i, task);
        }
        for (Worker w : workers) {
            if (stop && w.current == null && !w.stopSent && (shutdown && pending.isEmpty() || retiring(w))
                    && w.process.isAlive()) {
                w.stopSent = true;
                send(w, message(8).writeLong(STOP).toByteArray());
            }
        }
    }

    /**
     * When a worker is idle and nothing waits here, takes back a chunk another worker holds in its queue but has not
     * started (it may be stuck behind a slow one, or behind one that waits for it), so that the idle worker runs it.
     * The queue's lock decides the race with that worker's own take: a message taken back is one it never saw.
     */
    private void takeBackForAnIdleWorker() {
        boolean idle = false;
        for (Worker w : workers) {
            idle |= w.current == null && w.ready && !retiring(w) && w.process.isAlive();
        }
        for (int i = 0; i < workers.length && idle && pending.isEmpty(); i++) {
            Worker w = workers[i];
            if (w.next == null) {
                continue;
            }
            byte[] m; // the oldest message not taken: the current task's, or the queued one's
            try {
                m = w.tasks.takeEncoded(0);
            } catch (InterruptedException e) {
                throw new IllegalStateException("a take that does not wait was interrupted", e);
            }
            if (m == null) {
                continue; // the worker has taken both: the queued one runs there now
            }
            long id;
            try {
                id = reading(m).readLong();
            } catch (IOException e) {
                continue; // not a task message: cannot happen, as only this JVM puts into the queue
            }
            PoolTask<?> back = id == w.next.id ? w.next : w.current;
            if (back.id != id) {
                continue;
            }
            if (back == w.current) { // not started either: the queued one becomes the worker's current task
                w.current = w.next;
                w.deadline = deadline(w.current);
            }
            w.next = null;
            w.handed--;
            back.slot = -1;
            pending.addFirst(back);
        }
    }

    /** Whether {@code w} has been handed as many tasks as a worker may run. */
    private boolean retiring(Worker w) {
        return maxTasksPerWorker > 0 && w.handed >= maxTasksPerWorker;
    }

    /** The first pending task not cancelled meanwhile, taken off the list; null when none. */
    private PoolTask<?> nextPending() {
        for (PoolTask<?> task; (task = pending.poll()) != null; ) {
            if (!task.isDone()) {
                return task;
            }
        }
        return null;
    }

    /** Sends {@code task} to worker {@code slot}'s queue. */
    private void hand(Worker w, int slot, PoolTask<?> task) {
        w.handed++;
        task.slot = slot;
        send(w, task.message);
    }

    /** When {@code task}, starting now, times out; 0 for never. */
    private static long deadline(PoolTask<?> task) {
        return task.timeoutNanos > 0 ? Math.max(1, System.nanoTime() + task.timeoutNanos) : 0;
    }

    /**
     * Puts a message on a worker's queue, which holds at most two tasks and has room for them: it waits only for the
     * queue's lock, whatever the calling thread's interrupt (the caller's, kept for it: a hand-over cut short would
     * leave the worker's slot holding a task the worker never gets).
     */
    private static void send(Worker w, byte[] m) {
        w.tasks.putEncodedUninterruptibly(m);
    }

    private synchronized void cancelled(PoolTask<?> task, boolean interrupt) {
        pending.remove(task);
        if (interrupt && task.slot >= 0 && workers[task.slot].current == task && !runsOther(task.slot)) {
            workers[task.slot].killed = true;
            workers[task.slot].process.kill(); // the collector sees the death and replaces the worker
        }
    }

    /**
     * Whether worker {@code slot} has moved on to the chunk queued behind its current task: the current one ended
     * (its result is on its way), so killing the worker for it would fail the next one instead.
     */
    private boolean runsOther(int slot) {
        Worker w = workers[slot];
        return w.next != null && running.getVolatile(slot) == w.next.id;
    }

    /** The collector: completes futures from the results queue, and replaces workers that died or timed out. */
    private void collect() {
        while (true) {
            try {
                awaitResult();
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                try {
                    // Deaths first, results after: a worker puts its last result before it exits, so a death seen
                    // here has its results in the queue by now, and only a task with none is failed. Results are
                    // taken here, under the monitor, as the callers take theirs: so they are completed in the
                    // order the workers put them (a worker's queued task is its current one's successor).
                    boolean[] dead = new boolean[workers.length];
                    for (int i = 0; i < workers.length; i++) {
                        dead[i] = !workers[i].process.isAlive();
                    }
                    for (byte[] m; (m = results.takeEncoded(0)) != null; ) {
                        complete(m);
                    }
                    replaceDead(dead);
                    expireTimeouts();
                    dispatch();
                } catch (Throwable t) { // an Error too: a dead collector would leave every future waiting for ever
                    collectorFailed(t);
                }
                if (shutdown && pending.isEmpty() && allWorkersEnded()) {
                    for (Worker w : workers) {
                        w.process.close();
                        w.tasks.close();
                    }
                    results.close();
                    running.close();
                    terminated = true;
                    notifyAll();
                    return;
                }
            }
        }
    }

    private static void collectorFailed(Throwable t) {
        System.getLogger(ProcessPool.class.getName()).log(System.Logger.Level.ERROR,
                "the pool's collector failed; it goes on", t);
    }

    /**
     * Takes results in the caller's thread while it waits for {@code task}, for up to {@link #CALLER_COLLECTS_NANOS}
     * (or {@code timeoutNanos}, when shorter): a result then goes from the worker to the waiting thread directly,
     * and the collector stands aside meanwhile (see {@link #awaitResult}). A result is taken and completed under
     * this pool's monitor, as the collector does, so that a worker's death is never seen between the two.
     */
    private void collectWhileWaiting(PoolTask<?> task, long timeoutNanos) {
        if (task.isDone()) {
            return;
        }
        long until = System.nanoTime() + Math.max(0, Math.min(CALLER_COLLECTS_NANOS, timeoutNanos));
        callersCollecting.incrementAndGet();
        try {
            while (!task.isDone() && System.nanoTime() - until < 0) {
                boolean empty;
                try {
                    empty = results.looksEmpty();
                } catch (IllegalStateException closed) {
                    return; // the pool terminated meanwhile and closed its queues: every task has its outcome
                }
                if (empty) {
                    Thread.onSpinWait();
                    continue;
                }
                synchronized (this) {
                    if (terminated) {
                        return;
                    }
                    try {
                        byte[] m = results.takeEncodedIfFree();
                        if (m != null) {
                            complete(m);
                            dispatch();
                        }
                    } catch (RuntimeException | Error t) {
                        collectorFailed(t); // the pool goes on, as it does when the collector meets one
                        return;
                    }
                }
            }
        } finally {
            if (callersCollecting.decrementAndGet() == 0) {
                LockSupport.unpark(collector);
            }
        }
    }

    /**
     * Waits until a result looks to be there, or a slice has passed, without taking it: the collector takes results
     * under the pool's monitor, as a caller does ({@link #collectWhileWaiting}), so that no two threads complete a
     * worker's results out of the order it put them. While a worker warms up the collector looks every
     * {@link #BOOT_POLL_NANOS} rather than sleeping on the queue: a put then has no sleeper to wake, so a cold worker
     * says it is ready and puts its first two results without linking the futex calls on its way (20-40 ms each in a
     * cold JVM on two cores, which would also slow the other workers' start). It has them linked on a thread of its
     * own once its first result is out: a worker given tasks one after another still waits for that link at its
     * second or third (a pool of one here: results ~65 ms after the start, then 3-40, 4-30 and 1-5 ms after each
     * other; the link is 30-40 ms of one of them). The collector sleeps again once every worker is ready and has
     * answered twice or has no task, or {@link #BOOT_POLL_LIMIT_NANOS} after the last start (a long initializer):
     * looking costs each result up to that period, where a wake costs microseconds. While a caller takes the results
     * itself the collector parks for a slice instead, so that it neither spins beside that caller nor is woken by
     * each put; the last such caller unparks it.
     */
    private void awaitResult() throws InterruptedException {
        long slice = TimeUnit.MILLISECONDS.toNanos(COLLECT_SLICE_MILLIS);
        if (callersCollecting.get() > 0) {
            LockSupport.parkNanos(slice); // the last caller to stop collecting unparks this thread
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return;
        }
        long start = System.nanoTime();
        if (!warmingUp(start)) {
            results.awaitEncoded(slice);
            return;
        }
        while (results.looksEmpty() && System.nanoTime() - start < slice) {
            LockSupport.parkNanos(BOOT_POLL_NANOS);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * Whether a worker started less than {@link #BOOT_POLL_LIMIT_NANOS} before {@code now} is not ready yet, or has
     * a task and has not answered twice.
     */
    private synchronized boolean warmingUp(long now) {
        for (Worker w : workers) {
            if (w != null && w.process != null && now - w.started < BOOT_POLL_LIMIT_NANOS
                    && (!w.ready || w.current != null && w.answers < 2)) {
                return true;
            }
        }
        return false;
    }

    private void complete(byte[] message) {
        ValueCodec.In m;
        int slot;
        long id;
        boolean ok;
        try {
            m = reading(message);
            slot = m.readInt();
            id = m.readLong();
            ok = m.readByte() == 1;
            if (slot < 0 || slot >= workers.length) {
                throw new IOException("a result from slot " + slot + " of " + workers.length);
            }
        } catch (IOException e) {
            System.getLogger(ProcessPool.class.getName()).log(System.Logger.Level.ERROR,
                    "the pool dropped a malformed result: " + e.getMessage());
            return;
        }
        Worker w = workers[slot];
        if (id == READY) {
            w.ready = true;
            w.deathsBeforeReady = 0;
            if (w.current != null) {
                w.deadline = deadline(w.current); // handed over while the worker started: its time runs now
            }
            return;
        }
        w.answers = Math.min(w.answers + 1, 2);
        PoolTask<?> task = null;
        if (id != INITIALIZER_FAILED) {
            if (w.current == null || w.current.id != id) {
                return; // a task cancelled or timed out meanwhile
            }
            task = w.current;
            w.current = w.next; // already started by the worker, if any: its time runs from now
            w.next = null;
            w.deadline = w.current == null ? 0 : deadline(w.current);
            dispatch(false); // the worker's next task first: it runs while this JVM reads the result
        }
        Object outcome;
        try {
            outcome = ValueCodec.read(m, ChildMain::attach);
        } catch (Throwable t) { // deserialization runs the classes' own code, which may throw anything
            outcome = new IllegalStateException("the task's outcome cannot be read here: " + t, t);
            ok = false;
        }
        if (task == null) {
            breakPool("the pool's initializer failed in worker pid " + w.process.pid(), (Throwable) outcome);
        } else if (ok) {
            task.succeed(outcome);
        } else {
            task.fail((Throwable) outcome);
        }
    }

    /**
     * The initializer threw in a worker, or workers cannot start ({@code why}): every task not yet done fails, and
     * the pool shuts down.
     */
    private void breakPool(String why, Throwable cause) {
        if (broken != null) {
            return;
        }
        broken = new IllegalStateException(why + ": " + cause, cause);
        shutdown = true;
        for (PoolTask<?> task : pending) {
            task.fail(broken);
        }
        pending.clear();
        for (Worker w : workers) {
            for (PoolTask<?> task : new PoolTask<?>[] {w.current, w.next}) {
                if (task != null) {
                    task.fail(broken);
                }
            }
            w.current = null;
            w.next = null;
            w.process.kill();
        }
    }

    private void replaceDead(boolean[] dead) {
        for (int i = 0; i < workers.length; i++) {
            Worker w = workers[i];
            if (!dead[i]) {
                continue;
            }
            PoolTask<?> task = w.current;
            PoolTask<?> queued = w.next;
            w.current = null;
            w.next = null;
            // The worker's results were all read before this (it puts them before it can die), so a task queued
            // behind the current one was never started; nor was the current one if its message is still in the
            // dead worker's queue (a ready worker killed between two tasks): those go back to be run elsewhere.
            long untaken = task != null && (w.ready || stoppedNow) ? untaken(w) : 0;
            if (queued != null) { // only while not stopped: shutdownNow takes a queued task back itself
                queued.slot = -1;
                pending.addFirst(queued);
            }
            if (task != null && stoppedNow && untaken > (w.tookBackNext ? 1 : 0)) {
                task.slot = -1; // shutdownNow killed it before it took this task (one handed as it booted, say)
                task.cancel(false);
            } else if (task != null && !stoppedNow && untaken > (queued == null ? 0 : 1)) {
                task.slot = -1;
                pending.addFirst(task);
            } else if (task != null) {
                task.fail(died(w));
            }
            if (!w.ready && !w.killed && !stoppedNow && ++w.deathsBeforeReady >= DEATHS_BEFORE_READY_TO_BREAK) {
                breakPool("the pool's workers cannot start: " + w.deathsBeforeReady + " in a row in slot " + i
                        + " ended before they were ready", died(w));
            }
            if (broken == null && (!shutdown || !pending.isEmpty())) {
                w.process.close();
                startWorker(i, true);
            }
        }
    }

    /** The exception of a task whose worker {@code w} died running it. */
    private static WorkerDiedException died(Worker w) {
        Integer code = w.process.exitCode();
        return new WorkerDiedException(w.process.pid(), code == null ? 0 : code);
    }

    /** How many messages a dead worker's queue still holds: tasks it never took. */
    private static long untaken(Worker w) {
        try {
            return w.tasks.size();
        } catch (RuntimeException e) {
            return 0; // unreadable: its tasks count as started, and fail
        }
    }

    /** Fails the tasks that ran past their timeout and kills their workers, which are then replaced. */
    private void expireTimeouts() {
        long now = System.nanoTime();
        for (int i = 0; i < workers.length; i++) {
            Worker w = workers[i];
            if (w.current != null && w.deadline != 0 && now - w.deadline >= 0 && !runsOther(i)) {
                // The task stays the worker's current one until the death is seen, so no other goes to it meanwhile.
                PoolTask<?> task = w.current;
                w.deadline = 0;
                task.fail(new TimeoutException("the task ran longer than " + Duration.ofNanos(task.timeoutNanos)
                        + " in worker pid " + w.process.pid() + ", which was killed and is replaced"));
                w.killed = true;
                w.process.kill();
            }
        }
    }

    private boolean allWorkersEnded() {
        for (Worker w : workers) {
            if (w.process.isAlive() || w.current != null) {
                return false;
            }
        }
        return true;
    }

    /** Accepts no new task; those submitted run to their end, then the workers exit. */
    @Override
    public synchronized void shutdown() {
        shutdown = true;
        dispatch();
    }

    /**
     * Accepts no new task, kills the workers (their tasks fail with a {@link WorkerDiedException}; one a worker
     * had been handed but not taken yet, as it booted, is cancelled once its death is seen) and returns the tasks
     * that never started, cancelled: their futures throw {@link java.util.concurrent.CancellationException}
     * and running one does nothing (as with {@code ForkJoinPool}, and CPython's {@code cancel_futures}: a pool task
     * runs in a worker, and no worker is left).
     */
    @Override
    public synchronized List<Runnable> shutdownNow() {
        if (terminated) {
            return List.of();
        }
        shutdown = true;
        stoppedNow = true;
        List<PoolTask<?>> never = new ArrayList<>(pending);
        pending.clear();
        for (Worker w : workers) {
            if (w.next != null) { // never started: it was queued behind the running one
                w.tookBackNext = true;
                never.add(w.next);
                w.next.slot = -1;
                w.next = null;
            }
            w.process.kill();
        }
        for (PoolTask<?> task : never) {
            task.cancel(false); // nobody waits for ever on a task no worker will run
        }
        return new ArrayList<>(never);
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return terminated;
    }

    @Override
    public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        if (nanos <= 0) {
            return terminated; // and no deadline to overflow
        }
        long start = System.nanoTime();
        while (!terminated) {
            long left = nanos - (System.nanoTime() - start);
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** The workers' process ids, for tests and monitoring. */
    public synchronized List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        for (Worker w : workers) {
            pids.add(w.pid);
        }
        return pids;
    }

    /** The number of workers. */
    public int size() {
        return workers.length;
    }
}
