package org.multiprocess4j;

import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.process.AotTraining;
import org.multiprocess4j.internal.process.Bootstrap;
import org.multiprocess4j.internal.process.ParentWatch;
import org.multiprocess4j.internal.process.Standby;
import org.multiprocess4j.internal.process.StatusLayout;
import org.multiprocess4j.internal.process.StatusWriter;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The main class of a child JVM: reads its {@link Bootstrap} from standard input, attaches the shared arguments,
 * runs the target and reports how it ended. Started as a {@link Standby}, it first warms up and reports that it is
 * ready, and ends quietly, with status 0, when its input ends before a bootstrap begins. A method-reference target is called by reflection on the method it
 * names, which spares the child the lambda metafactory. It lives beside {@link ChildProcess} because it attaches
 * public types (shared objects, locks), which the internal packages below do not import.
 */
final class ChildMain {
    /** Exit status when the target threw, as CPython's child does. */
    static final int THREW_EXIT_STATUS = 1;
    /** Exit status when the parent sent no complete bootstrap. */
    static final int NO_BOOTSTRAP_EXIT_STATUS = 2;

    private ChildMain() {
    }

    public static void main(String[] args) throws Exception {
        InputStream parent = System.in;
        System.setIn(new ByteArrayInputStream(new byte[0]));
        boolean standby = args.length == 4 && args[0].equals(Standby.FLAG);
        if (standby) {
            warmUp();
            new StatusWriter(args[1], Long.parseLong(args[2]), Long.parseLong(args[3])).ready();
        }
        Bootstrap bootstrap;
        try {
            bootstrap = standby ? Bootstrap.decodeOrNull(parent) : Bootstrap.decode(parent);
            if (bootstrap == null) {
                Runtime.getRuntime().halt(0); // a standby let go unused, or whose parent ended
                return;
            }
        } catch (IOException e) {
            // The parent died, or closed the pipe, before it had sent the whole bootstrap: nothing to run.
            System.err.println("multiprocess4j child: no complete bootstrap from the parent (" + e.getMessage() + ")");
            Runtime.getRuntime().halt(NO_BOOTSTRAP_EXIT_STATUS);
            return;
        }
        parent.close();
        if (bootstrap.daemon()) {
            ParentWatch.start(bootstrap.parentPid(), bootstrap.parentStartTime());
        }
        StatusWriter status = new StatusWriter(bootstrap.statusFile(), bootstrap.statusArena(),
                bootstrap.statusOffset());
        Thread.currentThread().setName(bootstrap.name());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> status.report(StatusLayout.EXITED, null),
                "multiprocess4j exit status"));
        try {
            Object[] arguments = new Object[bootstrap.arguments().size()];
            for (int i = 0; i < arguments.length; i++) {
                arguments[i] = resolve(bootstrap.arguments().get(i));
            }
            if (bootstrap.target() instanceof Bootstrap.StaticMethod method) {
                invokeStatic(method, arguments);
            } else {
                invoke((Serializable) Bootstrap.deserialize(
                        ((Bootstrap.SerializedTarget) bootstrap.target()).bytes(), ChildMain::attach), arguments);
            }
        } catch (Throwable t) {
            System.err.println("Process " + bootstrap.name() + ":");
            t.printStackTrace();
            System.err.flush();
            status.report(StatusLayout.THREW, serialize(t));
            awaitOtherNonDaemonThreads();
            System.exit(THREW_EXIT_STATUS);
        }
        System.out.flush();
        // Returning rather than System.exit(0): the JVM ends with status 0 once the target's non-daemon threads
        // have ended, as a CPython child does, and skips the exit logger that System.exit initializes (~6 ms).
    }

    /**
     * What a standby does before it waits: the steps every child takes after its bootstrap arrives, on stand-ins,
     * so that their classes are loaded and linked and the child that it becomes starts at once.
     */
    private static void warmUp() throws Exception {
        Class.forName(ParentWatch.class.getName(), true, ChildMain.class.getClassLoader());
        try {
            invokeStatic(new Bootstrap.StaticMethod(ChildMain.class.getName(), "standIn", "()V"), new Object[0]);
        } catch (Throwable t) {
            throw new IllegalStateException("the stand-in target failed", t);
        }
        ChildProcess.Task0 lambda = ChildMain::standIn;
        invoke((Serializable) Bootstrap.deserialize(Bootstrap.serialize(lambda, ChildProcess::handleOf),
                ChildMain::attach), new Object[0]);
        serialize(new IllegalStateException("a stand-in"));
        warmUpSharedObjects();
    }

    /**
     * Creates a value, a lock and a queue, attaches each through its handle as a child attaches its arguments, and
     * uses them: that initializes the FFM machinery and the library's shared-object classes, the bulk of what a
     * child that shares anything spends before its target runs.
     */
    private static void warmUpSharedObjects() throws InterruptedException {
        useAValue();
        ProcessLock lock = ProcessLock.create();
        ProcessQueue<byte[]> queue = ProcessQueue.create(4096);
        try {
            ProcessLock lockAttached = (ProcessLock) attach(lock.handle().toString());
            lockAttached.lock();
            lockAttached.unlock();
            @SuppressWarnings("unchecked")
            ProcessQueue<byte[]> queueAttached = (ProcessQueue<byte[]>) attach(queue.handle().toString());
            queueAttached.put(new byte[8]);
            queue.take();
        } finally {
            queue.close();
            lock.close();
        }
    }

    /**
     * The target of the child whose run makes the ahead-of-time cache: what it loads and links, every child later
     * loads as it starts. It uses a shared value, which readies the FFM machinery and the value classes (a child
     * attaching a value then starts in about 70 ms instead of 120, one sharing nothing in 33 instead of 29: a
     * cache holding a lock and a queue too would cost the latter 9 ms), then loads the first child's target class.
     */
    static void train(String targetClass) {
        useAValue();
        AotTraining.run(targetClass);
    }

    /**
     * The target of the child whose run makes the pool workers' ahead-of-time cache: a worker's life up to its
     * second task, in this JVM ({@link ProcessPool#rehearse}), then the class that made the first pool is loaded
     * (its tasks are likely its own methods and lambdas). A cold worker then finds every class it loads before its
     * first result in the cache.
     */
    static void trainPoolWorker(String poolMaker) throws Exception {
        ParentWatch.start(CurrentProcess.PID, CurrentProcess.START_TIME); // a worker's watch, on a parent that stays
        ProcessPool.rehearse();
        AotTraining.run(poolMaker);
    }

    /** Creates a value, attaches it through its handle as a child attaches its arguments, and uses it. */
    private static void useAValue() {
        SharedObject value = SharedCTypes.rawValue(CType.c_long, 1L);
        try {
            LongValue attached = (LongValue) attach(value.handle().toString());
            attached.set(attached.get() + 1);
        } finally {
            value.close();
        }
    }

    /** The target {@link #warmUp()} runs. */
    private static void standIn() {
    }

    private static Object resolve(Bootstrap.Argument argument) throws IOException, ClassNotFoundException {
        if (argument instanceof Bootstrap.SharedArgument shared) {
            return attach(Handle.parse(shared.handle()));
        }
        if (argument instanceof Bootstrap.PlainArgument plain) {
            return plain.value();
        }
        return Bootstrap.deserialize(((Bootstrap.SerializedArgument) argument).bytes(), ChildMain::attach);
    }

    /**
     * Runs a deserialized target with its arguments. (An instanceof chain rather than a pattern switch: the
     * switch's bootstrap costs a child a few milliseconds of start-up.)
     */
    @SuppressWarnings("unchecked")
    private static void invoke(Serializable target, Object[] a) throws Exception {
        if (target instanceof ChildProcess.Task0 t) {
            t.run();
        } else if (target instanceof ChildProcess.Task1<?> t) {
            ((ChildProcess.Task1<Object>) t).run(a[0]);
        } else if (target instanceof ChildProcess.Task2<?, ?> t) {
            ((ChildProcess.Task2<Object, Object>) t).run(a[0], a[1]);
        } else if (target instanceof ChildProcess.Task3<?, ?, ?> t) {
            ((ChildProcess.Task3<Object, Object, Object>) t).run(a[0], a[1], a[2]);
        } else if (target instanceof ChildProcess.Task4<?, ?, ?, ?> t) {
            ((ChildProcess.Task4<Object, Object, Object, Object>) t).run(a[0], a[1], a[2], a[3]);
        } else if (target instanceof ChildProcess.TaskN t) {
            t.run(a);
        } else {
            throw new IllegalArgumentException("target must be one of ChildProcess's Task interfaces: target="
                    + target);
        }
    }

    /** Calls the static method a method reference names; what it throws is thrown as is. */
    private static void invokeStatic(Bootstrap.StaticMethod target, Object[] arguments) throws Throwable {
        Method method = staticMethod(target);
        Class<?>[] types = method.getParameterTypes();
        for (int i = 0; i < types.length && i < arguments.length; i++) {
            if (arguments[i] == null && types[i].isPrimitive()) { // as the method reference would unbox it
                throw new NullPointerException("argument " + i + " of " + target.className() + "."
                        + target.method() + " is null, and its parameter is a " + types[i]);
            }
        }
        try {
            method.invoke(null, arguments);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** The static method {@code target} names, made accessible. */
    static Method staticMethod(Bootstrap.StaticMethod target) throws ClassNotFoundException, NoSuchMethodException {
        Class<?> owner = Class.forName(target.className(), true, ClassLoader.getSystemClassLoader());
        for (Method method : owner.getDeclaredMethods()) {
            if (method.getName().equals(target.method()) && Modifier.isStatic(method.getModifiers())
                    && MethodType.methodType(method.getReturnType(), method.getParameterTypes())
                    .toMethodDescriptorString().equals(target.descriptor())) {
                method.setAccessible(true);
                return method;
            }
        }
        throw new NoSuchMethodException(target.className() + "." + target.method() + target.descriptor());
    }

    static SharedObject attach(String handle) {
        return attach(Handle.parse(handle));
    }

    private static SharedObject attach(Handle handle) {
        return switch (handle.kind()) {
            case LOCK, RLOCK -> SharedLock.attach(handle);
            case CONDITION -> ProcessCondition.attach(handle);
            case VALUE, ARRAY -> SharedCTypes.attach(handle);
            case SEMAPHORE -> ProcessSemaphore.attach(handle);
            case EVENT -> ProcessEvent.attach(handle);
            case BARRIER -> ProcessBarrier.attach(handle);
            case QUEUE -> ProcessQueue.attach(handle);
        };
    }

    /** The most a child's report of its exception holds, serialized. */
    private static final int REPORT_ROOM = (int) StatusLayout.EXCEPTION_ROOM;
    /** The most of a too large exception's text, and of its stack trace, that its stand-in carries. */
    private static final int PLAIN_TEXT_CHARS = 8192;
    private static final int PLAIN_FRAMES = 256;

    /**
     * {@code t} serialized; when it cannot be (a class's own writeObject may throw anything), or is more than a
     * report holds, a {@link RuntimeException} with its text, the reason and its stack trace in its place (the
     * first {@value #PLAIN_TEXT_CHARS} characters and {@value #PLAIN_FRAMES} frames of them).
     */
    private static byte[] serialize(Throwable t) {
        try {
            byte[] bytes = serialized(t);
            if (bytes.length <= REPORT_ROOM) {
                return bytes;
            }
            return serialized(plain(t, "which is " + bytes.length + " bytes serialized, more than the " + REPORT_ROOM
                    + " a child's report holds"));
        } catch (IOException | RuntimeException | Error e) {
            try {
                return serialized(plain(t, "which could not be serialized: " + e));
            } catch (IOException | RuntimeException | Error impossible) {
                return new byte[0];
            }
        }
    }

    /** A {@link RuntimeException} saying what {@code t} is and {@code why} it stands in, with t's stack trace. */
    private static RuntimeException plain(Throwable t, String why) {
        String text = describe(t);
        if (text.length() > PLAIN_TEXT_CHARS) {
            text = text.substring(0, PLAIN_TEXT_CHARS) + "... (" + text.length() + " characters)";
        }
        RuntimeException plain = new RuntimeException(text + " (" + why + ")");
        StackTraceElement[] trace = t.getStackTrace();
        plain.setStackTrace(java.util.Arrays.copyOf(trace, Math.min(trace.length, PLAIN_FRAMES)));
        return plain;
    }

    private static byte[] serialized(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    /** What {@code t.toString()} says, or its class when that throws. */
    static String describe(Throwable t) {
        try {
            return t.toString();
        } catch (RuntimeException | StackOverflowError e) {
            return t.getClass().getName();
        }
    }

    /**
     * Waits until the threads that keep a JVM alive (not daemons) have ended, but this one: a child whose target
     * threw ends once they have, with status 1, as CPython's child joins its threads before it exits.
     */
    private static void awaitOtherNonDaemonThreads() {
        Thread self = Thread.currentThread();
        for (boolean waited = true; waited; ) {
            waited = false;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t != self && !t.isDaemon() && t.isAlive()) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        return; // nobody interrupts the child's main thread but to end it
                    }
                    waited = true;
                }
            }
        }
    }

}
