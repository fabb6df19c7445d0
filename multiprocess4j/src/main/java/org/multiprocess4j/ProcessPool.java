package org.multiprocess4j;

import org.multiprocess4j.internal.process.Bootstrap;

import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;

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
 * <p>Worker death is survived: a worker killed (SIGKILL, {@code System.exit}, out of memory) fails only the task
 * it was running, with a {@link WorkerDiedException} naming the worker's pid and how it ended, and the pool starts
 * a replacement and goes on (CPython's {@code Pool} hangs for ever then, and {@code ProcessPoolExecutor} breaks the
 * whole pool). {@code cancel(true)} of a running task ends its worker, which is replaced. A task's exception
 * reaches its {@code Future} with the stack trace from the worker. Each worker runs one task at a time; the next
 * waits in this JVM until a worker is free.
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

    /** Why a task failed: the worker running it ended. */
    public static final class WorkerDiedException extends RuntimeException {
        @Serial
        private static final long serialVersionUID = 1L;
        private final long pid;
        private final int exitCode;

        WorkerDiedException(long pid, int exitCode) {
            super("the worker running this task (pid " + pid + ") ended " + (exitCode < 0 ? "by signal " + -exitCode
                    : "with exit code " + exitCode) + " before the task finished");
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

    private static final long QUEUE_BYTES = 4L << 20;
    private static final long STOP = -1;

    /** One worker slot: its process, its own task queue, and the task it runs (null when idle). */
    private static final class Worker {
        ChildProcess process;
        ProcessQueue<byte[]> tasks;
        PoolTask<?> current;
        boolean stopSent;
    }

    private final Worker[] workers;
    private final ProcessQueue<byte[]> results;
    private final ArrayDeque<PoolTask<?>> pending = new ArrayDeque<>();
    private long nextId = 1;
    private boolean shutdown;
    private boolean terminated;

    private ProcessPool(int size) {
        this.workers = new Worker[size];
        this.results = ProcessQueue.create(QUEUE_BYTES);
        for (int i = 0; i < size; i++) {
            workers[i] = new Worker();
            startWorker(i);
        }
        Thread.ofPlatform().daemon().name("multiprocess4j pool").start(this::collect);
    }

    /**
     * A pool of {@code workers} worker JVMs, started now, in parallel.
     *
     * @throws IllegalArgumentException when {@code workers} is less than 1
     */
    public static ProcessPool create(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1: workers=" + workers);
        }
        return new ProcessPool(workers);
    }

    /** A pool with one worker per available processor. */
    public static ProcessPool create() {
        return create(Runtime.getRuntime().availableProcessors());
    }

    private void startWorker(int slot) {
        Worker w = workers[slot];
        if (w.tasks != null) {
            w.tasks.close(); // a message the dead worker never took must not run again
        }
        w.tasks = ProcessQueue.create(QUEUE_BYTES);
        w.stopSent = false;
        w.process = new ChildProcess(ProcessPool::work, w.tasks, results, slot).daemon(true)
                .startMethod(ChildProcess.StartMethod.STANDBY)
                .name("ProcessPool-worker-" + slot);
        w.process.start();
    }

    /** A worker's loop, in its own JVM: takes a task, runs it, puts its outcome, until told to stop. */
    static void work(ProcessQueue<byte[]> tasks, ProcessQueue<byte[]> results, Integer slot) throws Exception {
        while (true) {
            ByteBuffer m = ByteBuffer.wrap(tasks.take());
            long id = m.getLong();
            if (id == STOP) {
                return;
            }
            byte[] body = new byte[m.remaining()];
            m.get(body);
            boolean ok;
            Object outcome;
            try {
                outcome = ((Callable<?>) Bootstrap.deserialize(body, ChildMain::attach)).call();
                ok = true;
            } catch (Throwable t) {
                outcome = t;
                ok = false;
            }
            byte[] payload;
            try {
                payload = Bootstrap.serialize(outcome, ChildProcess::handleOf);
            } catch (IOException e) {
                payload = Bootstrap.serialize(new IllegalStateException("the task's " + (ok ? "result" : "exception")
                        + " cannot be serialized: " + e), ChildProcess::handleOf);
                ok = false;
            }
            results.put(ByteBuffer.allocate(13 + payload.length).putInt(slot).putLong(id).put((byte) (ok ? 1 : 0))
                    .put(payload).array());
        }
    }

    /** A future whose task runs in a worker. */
    private final class PoolTask<T> extends FutureTask<T> {
        final long id;
        final byte[] body;
        int slot = -1;

        PoolTask(long id, byte[] body) {
            super(() -> {
                throw new IllegalStateException("a pool task runs in a worker, not here");
            });
            this.id = id;
            this.body = body;
        }

        void succeed(Object value) {
            @SuppressWarnings("unchecked")
            T t = (T) value;
            set(t);
        }

        void fail(Throwable t) {
            setException(t);
        }

        @Override
        public void run() {
            // submitted through execute(): the pool runs it in a worker
        }

        /** Where the task goes once done, for imapUnordered; null when nobody listens. */
        java.util.concurrent.BlockingQueue<PoolTask<?>> listener;

        @Override
        protected void done() {
            if (listener != null) {
                listener.add(this);
            }
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean cancelled = super.cancel(mayInterruptIfRunning);
            if (cancelled) {
                cancelled(this, mayInterruptIfRunning);
            }
            return cancelled;
        }
    }

    private static byte[] serialize(Object task) {
        if (!(task instanceof Serializable)) {
            throw new IllegalArgumentException("a pool task must be Serializable (a ProcessPool.Task, or a lambda "
                    + "cast to Callable & Serializable): task=" + task);
        }
        try {
            return Bootstrap.serialize(task, ChildProcess::handleOf);
        } catch (IOException e) {
            throw new IllegalArgumentException("the task cannot be serialized (does it capture something that is "
                    + "not Serializable?): " + e, e);
        }
    }

    /** The chunks of {@code items}, each a task applying {@code fn} to its elements in order. */
    private <A, R> List<Task<List<R>>> chunks(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize) {
        Objects.requireNonNull(fn, "fn");
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1: chunkSize=" + chunkSize);
        }
        List<Task<List<R>>> tasks = new ArrayList<>();
        for (int from = 0; from < items.size(); from += chunkSize) {
            ArrayList<A> chunk = new ArrayList<>(items.subList(from, Math.min(items.size(), from + chunkSize)));
            tasks.add(() -> {
                List<R> out = new ArrayList<>(chunk.size());
                for (A a : chunk) {
                    out.add(fn.apply(a));
                }
                return out;
            });
        }
        return tasks;
    }

    /**
     * Applies {@code fn} to every item in the workers, {@code chunkSize} items per task, and returns the results in
     * the items' order (Python's {@code Pool.map(fn, items, chunksize)}).
     *
     * @throws java.util.concurrent.ExecutionException when a chunk failed (its worker's exception as the cause)
     */
    public <A, R> List<R> map(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize)
            throws InterruptedException, java.util.concurrent.ExecutionException {
        List<R> out = new ArrayList<>(items.size());
        java.util.Iterator<R> results = imap(fn, items, chunkSize);
        try {
            while (results.hasNext()) {
                out.add(results.next());
            }
        } catch (ChunkFailed e) {
            if (e.getCause() instanceof InterruptedException ie) {
                throw ie;
            }
            throw (java.util.concurrent.ExecutionException) e.getCause();
        }
        return out;
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
     * As {@link #map}, streaming: the results come in the items' order as their chunks finish (Python's
     * {@code imap}). A failed chunk surfaces as a {@link RuntimeException} from {@code next()} whose cause is the
     * {@link java.util.concurrent.ExecutionException}.
     */
    public <A, R> java.util.Iterator<R> imap(Fn<? super A, ? extends R> fn, List<? extends A> items, int chunkSize) {
        List<java.util.concurrent.Future<List<R>>> futures = new ArrayList<>();
        for (Task<List<R>> task : this.<A, R>chunks(fn, items, chunkSize)) {
            futures.add(submit(task));
        }
        return futures.stream().<R>flatMap(f -> {
            try {
                return f.get().stream();
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                throw new ChunkFailed(e);
            }
        }).iterator();
    }

    /**
     * As {@link #imap}, in the order the chunks finish (Python's {@code imap_unordered}); each chunk's results stay
     * in their items' order.
     */
    public <A, R> java.util.Iterator<R> imapUnordered(Fn<? super A, ? extends R> fn, List<? extends A> items,
                                                      int chunkSize) {
        java.util.concurrent.BlockingQueue<PoolTask<?>> finished = new java.util.concurrent.LinkedBlockingQueue<>();
        List<Task<List<R>>> tasks = this.<A, R>chunks(fn, items, chunkSize);
        for (Task<List<R>> task : tasks) {
            @SuppressWarnings("unchecked")
            PoolTask<List<R>> f = (PoolTask<List<R>>) newTaskFor(task);
            f.listener = finished;
            execute(f);
        }
        return java.util.stream.IntStream.range(0, tasks.size()).boxed().<R>flatMap(i -> {
            try {
                @SuppressWarnings("unchecked")
                PoolTask<List<R>> f = (PoolTask<List<R>>) finished.take();
                return f.get().stream();
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                throw new ChunkFailed(e);
            }
        }).iterator();
    }

    /** Submits a task that runs in a worker JVM. */
    public <T> java.util.concurrent.Future<T> submit(Task<T> task) {
        return super.submit(task);
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        byte[] body = serialize(callable);
        synchronized (this) {
            return new PoolTask<>(nextId++, body);
        }
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        if (!(runnable instanceof Serializable)) {
            throw new IllegalArgumentException("a pool task must be Serializable: task=" + runnable);
        }
        Runnable r = runnable;
        return newTaskFor((Task<T>) () -> {
            r.run();
            return value;
        });
    }

    @Override
    public synchronized void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        if (shutdown) {
            throw new RejectedExecutionException("the pool is shut down");
        }
        PoolTask<?> task = command instanceof PoolTask<?> t ? t : (PoolTask<?>) newTaskFor(command, null);
        pending.add(task);
        dispatch();
    }

    /** Gives pending tasks to idle workers; the caller holds the monitor. */
    private void dispatch() {
        for (int i = 0; i < workers.length && !pending.isEmpty(); i++) {
            Worker w = workers[i];
            if (w.current == null && w.process.isAlive()) {
                PoolTask<?> task = pending.poll();
                if (task.isDone()) {
                    i--; // cancelled while it waited
                    continue;
                }
                byte[] m = ByteBuffer.allocate(8 + task.body.length).putLong(task.id).put(task.body).array();
                if (m.length + 4 > w.tasks.capacityBytes()) {
                    task.fail(new IllegalArgumentException("the task is " + m.length + " bytes serialized, more than "
                            + "a worker's queue holds (" + (w.tasks.capacityBytes() - 4) + ")"));
                    i--;
                    continue;
                }
                w.current = task;
                task.slot = i;
                send(w, m);
            }
        }
        if (shutdown && pending.isEmpty()) {
            for (Worker w : workers) {
                if (w.current == null && !w.stopSent && w.process.isAlive()) {
                    w.stopSent = true;
                    send(w, ByteBuffer.allocate(8).putLong(STOP).array());
                }
            }
        }
    }

    /** Puts a message on a worker's queue, which holds one task at a time: there is always room. */
    private static void send(Worker w, byte[] m) {
        try {
            w.tasks.put(m);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RejectedExecutionException("interrupted while handing a task to a worker", e);
        }
    }

    private synchronized void cancelled(PoolTask<?> task, boolean interrupt) {
        pending.remove(task);
        if (interrupt && task.slot >= 0 && workers[task.slot].current == task) {
            workers[task.slot].process.kill(); // the collector sees the death and replaces the worker
        }
    }

    /** The collector: completes futures from the results queue, and replaces workers that died. */
    private void collect() {
        while (true) {
            byte[] m;
            try {
                m = results.poll(20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                try {
                    if (m != null) {
                        complete(ByteBuffer.wrap(m));
                    }
                    replaceDead();
                    dispatch();
                } catch (RuntimeException e) {
                    System.getLogger(ProcessPool.class.getName()).log(System.Logger.Level.ERROR,
                            "the pool's collector failed; it goes on", e);
                }
                if (shutdown && pending.isEmpty() && allWorkersEnded()) {
                    for (Worker w : workers) {
                        w.process.close();
                        w.tasks.close();
                    }
                    results.close();
                    terminated = true;
                    notifyAll();
                    return;
                }
            }
        }
    }

    private void complete(ByteBuffer m) {
        int slot = m.getInt();
        long id = m.getLong();
        boolean ok = m.get() == 1;
        byte[] payload = new byte[m.remaining()];
        m.get(payload);
        Worker w = workers[slot];
        if (w.current == null || w.current.id != id) {
            return; // a task cancelled meanwhile, or a result of a replaced worker's task
        }
        PoolTask<?> task = w.current;
        w.current = null;
        try {
            Object outcome = Bootstrap.deserialize(payload, ChildMain::attach);
            if (ok) {
                task.succeed(outcome);
            } else {
                task.fail((Throwable) outcome);
            }
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            task.fail(new IllegalStateException("the task's outcome cannot be read here: " + e, e));
        }
    }

    private void replaceDead() {
        for (int i = 0; i < workers.length; i++) {
            Worker w = workers[i];
            if (w.process.isAlive()) {
                continue;
            }
            PoolTask<?> task = w.current;
            w.current = null;
            if (task != null) {
                Integer code = w.process.exitCode();
                task.fail(new WorkerDiedException(w.process.pid(), code == null ? 0 : code));
            }
            if (!shutdown || !pending.isEmpty()) {
                w.process.close();
                startWorker(i);
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

    /** Accepts no new task, kills the workers (their tasks fail) and returns the tasks that never started. */
    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> never = new ArrayList<>(pending);
        pending.clear();
        for (Worker w : workers) {
            w.process.kill();
        }
        return never;
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
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!terminated) {
            long left = deadline - System.nanoTime();
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
            pids.add(w.process.pid());
        }
        return pids;
    }

    /** The number of workers. */
    public int size() {
        return workers.length;
    }
}
