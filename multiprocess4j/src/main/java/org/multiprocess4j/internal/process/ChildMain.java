package org.multiprocess4j.internal.process;

import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessCondition;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.sharedctypes.SharedCTypes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.foreign.MemorySegment;

/**
 * The main class of a child JVM: reads its {@link Bootstrap} from standard input, attaches the shared arguments,
 * runs the target and reports how it ended.
 */
public final class ChildMain {
    /** Exit status when the target threw, as CPython's child does. */
    static final int THREW_EXIT_STATUS = 1;

    private ChildMain() {
    }

    public static void main(String[] args) throws Exception {
        InputStream parent = System.in;
        System.setIn(new ByteArrayInputStream(new byte[0]));
        Bootstrap bootstrap = readBootstrap(parent);
        watchParent(bootstrap.daemon());
        HandleCodec.HandleData where = HandleCodec.decode(bootstrap.status().toString());
        MemorySegment status;
        try {
            status = SharedBlock.attach(where.arena(), where.block(), where.generation()).segment();
        } catch (IllegalStateException parentGone) {
            // The parent died before this child started: a non-daemon child runs on, with no one to report to.
            status = MemorySegment.ofArray(new long[(int) (StatusLayout.SIZE / Long.BYTES)]);
        }
        Thread.currentThread().setName(bootstrap.name());
        MemorySegment report = status;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> StatusLayout.publishFirst(report, StatusLayout.EXITED)));
        try {
            Object[] arguments = bootstrap.arguments();
            for (int i = 0; i < arguments.length; i++) {
                if (arguments[i] instanceof Bootstrap.SharedArgument shared) {
                    arguments[i] = attach(shared.handle());
                }
            }
            ChildProcess.invoke(bootstrap.target(), arguments);
        } catch (Throwable t) {
            System.err.println("Process " + bootstrap.name() + ":");
            t.printStackTrace();
            System.err.flush();
            StatusLayout.writeException(status, serialize(t));
            StatusLayout.publishFirst(status, StatusLayout.THREW);
            System.exit(THREW_EXIT_STATUS);
        }
        StatusLayout.publishFirst(status, StatusLayout.RETURNED);
        System.out.flush();
        System.exit(0);
    }

    /** Reads the length-prefixed bootstrap, deserializing nothing beyond those bytes. */
    private static Bootstrap readBootstrap(InputStream in) throws IOException, ClassNotFoundException {
        DataInputStream data = new DataInputStream(in);
        int length = data.readInt();
        byte[] bytes = data.readNBytes(length);
        if (bytes.length != length) {
            throw new IOException("bootstrap truncated: " + bytes.length + " of " + length + " bytes");
        }
        try (ObjectInputStream objects = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            objects.setObjectInputFilter(info -> info.streamBytes() > length || info.depth() > 64
                    ? ObjectInputFilter.Status.REJECTED : ObjectInputFilter.Status.UNDECIDED);
            return (Bootstrap) objects.readObject();
        }
    }

    /**
     * A daemon child ends when its parent ends. The parent is watched through its process handle (pid and start
     * time, so a reused pid cannot fool it), not by a thread blocked reading the pipe: at exit the JVM waits up to
     * 300 ms for threads blocked in native calls, which would triple the cost of a short-lived child.
     */
    private static void watchParent(boolean daemon) {
        if (!daemon) {
            return;
        }
        ProcessHandle.current().parent().ifPresentOrElse(
                parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
                () -> Runtime.getRuntime().halt(0));
    }

    private static SharedObject attach(Handle handle) {
        char kind = HandleCodec.decode(handle.toString()).signature().charAt(0);
        if (kind == 'L' || kind == 'R') {
            return SharedLock.attach(handle);
        }
        return kind == 'C' ? ProcessCondition.attach(handle) : SharedCTypes.attach(handle);
    }

    private static byte[] serialize(Throwable t) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(t);
        } catch (IOException e) {
            bytes.reset();
            RuntimeException plain = new RuntimeException(t.toString());
            plain.setStackTrace(t.getStackTrace());
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(plain);
            } catch (IOException impossible) {
                return new byte[0];
            }
        }
        return bytes.toByteArray();
    }

}
