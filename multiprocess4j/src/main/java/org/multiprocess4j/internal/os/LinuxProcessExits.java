package org.multiprocess4j.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * {@link ProcessExits} on Linux: a pidfd per watched process in one epoll set, and an eventfd that interrupts the
 * wait. A pidfd becomes readable when its process ends, zombie or not, and names that one process even if its pid
 * is reused later.
 */
final class LinuxProcessExits implements ProcessExits {
    private static final int EPOLL_CLOEXEC = 02000000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EFD_NONBLOCK = 04000;
    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLLIN = 0x001;
    private static final int ESRCH = 3;
    private static final int MAX_EVENTS = 64;
    /** The epoll data of the eventfd: no watched key is negative (keys are pid << 32 | start time). */
    private static final long INTERRUPT_KEY = -1;
    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes). */
    static final long EVENT_SIZE = Architecture.CURRENT == Architecture.X86_64 ? 12 : 16;
    static final long EVENT_DATA = Architecture.CURRENT == Architecture.X86_64 ? 4 : 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle SYSCALL = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("syscall"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT), Linker.Option.firstVariadicArg(1),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle EPOLL_CREATE1 = downcall("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CTL = downcall("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = downcall("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = downcall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** The one instance of this JVM, or null when the kernel has no pidfd_open (or a sandbox forbids it). */
    static final LinuxProcessExits INSTANCE = open(); // after the method handles it uses

    private final int epoll;
    private final int interrupts;
    /** The pidfd of each watched key. */
    private final Map<Long, Integer> watched = new ConcurrentHashMap<>();
    /** The events buffer, used by the one thread that awaits. */
    private final MemorySegment events = Arena.global().allocate(EVENT_SIZE * MAX_EVENTS, 8);

    private LinuxProcessExits(int epoll, int interrupts) {
        this.epoll = epoll;
        this.interrupts = interrupts;
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor);
    }

    static LinuxProcessExits open() {
        try {
            int self = pidfdOpen(ProcessHandle.current().pid());
            if (self < 0) {
                return null; // no pidfd_open here: callers poll /proc instead
            }
            close(self);
            int epoll = (int) EPOLL_CREATE1.invokeExact(EPOLL_CLOEXEC);
            int interrupts = (int) EVENTFD.invokeExact(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (epoll < 0 || interrupts < 0) {
                return null;
            }
            LinuxProcessExits exits = new LinuxProcessExits(epoll, interrupts);
            if (!exits.add(interrupts, INTERRUPT_KEY)) {
                return null;
            }
            return exits;
        } catch (Throwable t) {
            System.getLogger("org.multiprocess4j").log(System.Logger.Level.DEBUG,
                    "no kernel notice of process exits: lock waiters look at /proc instead", t);
            return null;
        }
    }

    /** A pidfd for {@code pid}, -1 when no such process runs, -2 when the kernel refuses for another reason. */
    private static int pidfdOpen(long pid) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoState = arena.allocate(LinuxPlatform.errnoLayout());
            long fd = (long) SYSCALL.invokeExact(errnoState, LinuxPlatform.SYS_PIDFD_OPEN, pid, 0);
            if (fd >= 0) {
                return (int) fd;
            }
            return LinuxPlatform.errnoOf(errnoState) == ESRCH ? -1 : -2;
        }
    }

    private boolean add(int fd, long key) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(EVENT_SIZE, 8);
            event.set(JAVA_INT_UNALIGNED, 0, EPOLLIN);
            event.set(JAVA_LONG_UNALIGNED, EVENT_DATA, key);
            return (int) EPOLL_CTL.invokeExact(epoll, EPOLL_CTL_ADD, fd, event) == 0;
        }
    }

    private static void close(int fd) throws Throwable {
        int unused = (int) CLOSE.invokeExact(fd);
        assert unused == 0 || unused == -1;
    }

    @Override
    public boolean watch(long pid, long key) {
        if (watched.containsKey(key)) {
            return true;
        }
        try {
            int fd = pidfdOpen(pid);
            if (fd == -1) {
                return false;
            }
            if (fd < 0) {
                throw new IllegalStateException("pidfd_open(" + pid + ") failed");
            }
            if (watched.putIfAbsent(key, fd) != null) {
                close(fd);
                return true;
            }
            if (!add(fd, key)) {
                watched.remove(key);
                close(fd);
                throw new IllegalStateException("epoll_ctl(ADD, pidfd of " + pid + ") failed");
            }
            return true;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot watch process " + pid + ": " + t, t);
        }
    }

    @Override
    public void unwatch(long key) {
        Integer fd = watched.remove(key);
        if (fd != null) {
            try {
                close(fd); // also takes it out of the epoll set
            } catch (Throwable t) {
                throw new IllegalStateException("close(" + fd + ") failed: " + t, t);
            }
        }
    }

    @Override
    public long[] await() {
        try {
            int count = (int) EPOLL_WAIT.invokeExact(epoll, events, MAX_EVENTS, -1);
            long[] ended = new long[Math.max(0, count)];
            int n = 0;
            for (int i = 0; i < count; i++) {
                long key = events.get(JAVA_LONG_UNALIGNED, i * EVENT_SIZE + EVENT_DATA);
                if (key == INTERRUPT_KEY) {
                    try (Arena arena = Arena.ofConfined()) {
                        long unused = (long) READ.invokeExact(interrupts, arena.allocate(8), 8L);
                        assert unused == 8 || unused == -1;
                    }
                    continue;
                }
                Integer fd = watched.remove(key);
                if (fd != null) {
                    close(fd); // also takes it out of the epoll set
                    ended[n++] = key;
                }
            }
            return java.util.Arrays.copyOf(ended, n);
        } catch (Throwable t) {
            throw new IllegalStateException("epoll_wait failed: " + t, t);
        }
    }

    @Override
    public void interrupt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            long unused = (long) WRITE.invokeExact(interrupts, one, 8L);
            assert unused == 8 || unused == -1;
        } catch (Throwable t) {
            throw new IllegalStateException("eventfd write failed: " + t, t);
        }
    }
}
