package org.multiprocess4j.internal.os;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Linux on x86-64 and aarch64: unnamed tmpfs files ({@code O_TMPFILE}), {@code posix_fallocate}, {@code /proc} and futexes.
 */
final class LinuxPlatform implements Platform {

    static final LinuxPlatform INSTANCE = new LinuxPlatform();

    static final int O_RDWR = 02;
    static final int O_PATH = 010000000;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    // Where aarch64's flags differ from x86-64's (arch/arm64/include/uapi/asm/fcntl.h): O_DIRECTORY, in O_TMPFILE,
    // and O_NOFOLLOW; the generic values serve both for the others.
    static final int O_NOFOLLOW = switch (Architecture.CURRENT) {
        case X86_64 -> 0400000;
        case AARCH64 -> 0100000;
    };
    static final int O_CLOEXEC = 02000000;
    static final int O_TMPFILE = 020000000 | switch (Architecture.CURRENT) {
        case X86_64 -> 0200000;
        case AARCH64 -> 040000;
    };
    private static final int OWNER_ONLY = 0600;
    private static final int EISDIR = 21;
    private static final int EOPNOTSUPP = 95;
    private static final int ENOSPC = 28;
    private static final int EEXIST = 17;
    private static final int EAGAIN = 11;
    private static final int ENOMEM = 12;
    private static final int ETIMEDOUT = 110;

    private static final int FUTEX_WAIT = 0;
    private static final int FUTEX_WAKE = 1;

    private LinuxPlatform() {
    }

    /**
     * Downcalls, each in a holder of its own and linked when that holder is first touched: a cold JVM spends some
     * 5 ms on each link (the first one, and the first one capturing {@code errno}, 20-40 ms more), and making a
     * shared file needs only {@code open} and {@code posix_fallocate}.
     */
    private static final class Libc {
        static final Linker LINKER = Linker.nativeLinker();

        static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, options);
        }
    }

    /** {@code open}, without {@code errno}: a call that fails is made again by {@link OpenWithErrno} to learn why. */
    private static final class Open {
        static final MethodHandle OPEN = Libc.link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }

    private static final class OpenWithErrno {
        static final MethodHandle OPEN = Libc.link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    }

    private static final class Fallocate {
        static final MethodHandle POSIX_FALLOCATE = Libc.link("posix_fallocate",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final class Unlink {
        static final MethodHandle UNLINK = Libc.link("unlink", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private static final class Close {
        static final MethodHandle CLOSE = Libc.link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class StrError {
        static final MethodHandle STRERROR = Libc.link("strerror", FunctionDescriptor.of(
                ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)), JAVA_INT));
    }

    /** The layout of the captured {@code errno}, with its var handle: made when a call first captures it. */
    private static final class ErrnoLayout {
        static final MemoryLayout LAYOUT = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    }

    /** The futex wait downcall, linked apart from the others: only contended locks and waits need it. */
    private static final class FutexWait {
        static final MethodHandle SYSCALL = Libc.link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    /**
     * The futex wake downcall, without errno: a wake, on every contended release, needs none and allocates
     * nothing. Linked apart from the wait: a process whose first native call is a wake (a cold child releasing a
     * lock someone waits for) links only this one on its way.
     */
    private static final class FutexWake {
        static final MethodHandle WAKE = Libc.link("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(1));
    }

    /** The calls that move a large file onto huge pages, linked when the first one is. */
    private static final class HugePages {
        static final MethodHandle MMAP = Libc.link("mmap",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle MADVISE = Libc.link("madvise",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT), Linker.Option.captureCallState("errno"));
        static final MethodHandle MUNMAP = Libc.link("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    }

    private static final long PAGE = 4096;
    private static final int PROT_NONE = 0;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_SHARED = 0x01;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final int MADV_COLLAPSE = 25;

    /** The system call numbers of this architecture, where they differ. */
    static final long SYS_FUTEX = switch (Architecture.CURRENT) {
        case X86_64 -> 202;
        case AARCH64 -> 98;
    };
    /** pidfd_open(2): the same number on both architectures (the generic table's). */
    static final long SYS_PIDFD_OPEN = 434;

    @Override
    public int createUnnamedSharedFile(Path directory, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: size=" + size);
        }
        try (Arena arena = Arena.ofConfined()) {
            int flags = O_TMPFILE | O_RDWR | O_CLOEXEC;
            int fd = (int) Open.OPEN.invokeExact(arena.allocateFrom(directory.toString()), flags, OWNER_ONLY);
            if (fd < 0) {
                MemorySegment errnoState = arena.allocate(ErrnoLayout.LAYOUT);
                fd = open(arena, errnoState, directory.toString(), flags); // again, to learn why
                int errno = errno(errnoState);
                if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR) {
                    throw failure("open(" + directory + ", O_TMPFILE)", errno);
                }
                if (fd < 0) {
                    fd = createAndUnlink(arena, errnoState, directory);
                }
            }
            int error = (int) Fallocate.POSIX_FALLOCATE.invokeExact(fd, 0L, size);
            if (error != 0) {
                close(fd);
                if (error == ENOSPC) {
                    throw new SharedMemoryExhaustedException("no room for " + size + " bytes of shared memory in "
                            + directory + " (" + freeSpace(directory) + "): free some, or point the system property "
                            + "multiprocess4j.shm.dir at a larger tmpfs");
                }
                throw failure("posix_fallocate(" + size + " bytes in " + directory + ")", error);
            }
            return fd;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
    }

    @Override
    public int openPath(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Open.OPEN.invokeExact(arena.allocateFrom(path.toString()), O_PATH | O_CLOEXEC, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("native call failed: " + t, t);
        }
    }

    /** The fallback for file systems without {@code O_TMPFILE}: an unguessable name, removed at once. */
    private static int createAndUnlink(Arena arena, MemorySegment errnoState, Path directory) throws Throwable {
        SecureRandom random = new SecureRandom();
        for (int attempt = 0; attempt < 16; attempt++) {
            byte[] name = new byte[16];
            random.nextBytes(name);
            String path = directory.resolve("mp4j-" + HexFormat.of().formatHex(name)).toString();
            int fd = open(arena, errnoState, path, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC);
            if (fd >= 0) {
                int unused = (int) Unlink.UNLINK.invokeExact(arena.allocateFrom(path));
                assert unused == 0 || unused == -1;
                return fd;
            }
            int errno = errno(errnoState);
            if (errno != EEXIST) {
                throw failure("open(" + path + ", O_CREAT|O_EXCL)", errno);
            }
        }
        throw new IllegalStateException("could not create a uniquely named file in " + directory);
    }

    private static int open(Arena arena, MemorySegment errnoState, String path, int flags) throws Throwable {
        return (int) OpenWithErrno.OPEN.invokeExact(errnoState, arena.allocateFrom(path), flags, OWNER_ONLY);
    }

    private static int errno(MemorySegment errnoState) {
        return (int) ErrnoLayout.ERRNO.get(errnoState, 0L);
    }

    private static IllegalStateException failure(String call, int errno) {
        String text;
        try {
            MemorySegment message = (MemorySegment) StrError.STRERROR.invokeExact(errno);
            text = message.getString(0);
        } catch (Throwable t) {
            text = "error " + errno;
        }
        return new IllegalStateException(call + " failed: " + text + " (errno " + errno + ")");
    }

    private static String freeSpace(Path directory) {
        try {
            var store = Files.getFileStore(directory);
            return store.getUsableSpace() + " of " + store.getTotalSpace() + " bytes free";
        } catch (IOException e) {
            return "free space unknown";
        }
    }

    @Override
    public Path descriptorPath(long pid, int fd) {
        return Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd));
    }

    @Override
    public void close(int fd) {
        try {
            int unused = (int) Close.CLOSE.invokeExact(fd);
            assert unused == 0 || unused == -1;
        } catch (Throwable t) {
            throw new IllegalStateException("close(" + fd + ") failed: " + t, t);
        }
    }

    @Override
    public long randomSeed() {
        try (InputStream in = Files.newInputStream(Path.of("/dev/urandom"))) {
            byte[] bytes = in.readNBytes(Long.BYTES);
            if (bytes.length == Long.BYTES) {
                long seed = 0;
                for (byte b : bytes) {
                    seed = seed << 8 | (b & 0xFF);
                }
                return seed;
            }
        } catch (IOException e) {
            // a sandbox without the device: the slower way below
        }
        return new SecureRandom().nextLong();
    }

    @Override
    public long processStartTime(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            return -1;
        }
        // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
        int close = stat.lastIndexOf(')');
        String[] fields = stat.substring(close + 2).split(" ");
        char state = fields[0].charAt(0);
        if (state == 'Z' || state == 'X' || state == 'x') {
            return -1;
        }
        return Long.parseLong(fields[19]);
    }

    @Override
    public int futexWait(long address, int expected, long timeoutNanos) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoState = arena.allocate(ErrnoLayout.LAYOUT);
            MemorySegment timeout = arena.allocate(16, 8);
            timeout.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timeout.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            long result = (long) FutexWait.SYSCALL.invokeExact(errnoState, SYS_FUTEX, address, FUTEX_WAIT, expected,
                    timeout, MemorySegment.NULL, 0);
            if (result == 0) {
                return WOKEN;
            }
            return switch (errno(errnoState)) {
                case EAGAIN -> VALUE_CHANGED;
                case ETIMEDOUT -> TIMED_OUT;
                default -> INTERRUPTED;
            };
        } catch (Throwable t) {
            throw new IllegalStateException("futex wait failed: " + t, t);
        }
    }

    @Override
    public int futexWake(long address, int count) {
        try {
            long woken = (long) FutexWake.WAKE.invokeExact(SYS_FUTEX, address, FUTEX_WAKE, count);
            return (int) Math.max(0, woken);
        } catch (Throwable t) {
            throw new IllegalStateException("futex wake failed: " + t, t);
        }
    }

    @Override
    public void linkWaiting() {
        linkFutexCalls();
        processExits();
    }

    @Override
    public void linkFutexCalls() {
        MethodHandle wait = FutexWait.SYSCALL; // initializes the holder classes, which link the futex calls
        MethodHandle wake = FutexWake.WAKE;
        assert wait != null && wake != null;
    }

    @Override
    public ProcessExits processExits() {
        return LinuxProcessExits.INSTANCE;
    }

    @Override
    public long mapAlignedToHugePages(int fd, long size) {
        return mapAligned(fd, size & -HUGE_PAGE);
    }

    @Override
    public long mapAligned(int fd, long length) {
        long span = (length + PAGE - 1) & -PAGE;
        if (span <= 0) {
            return 0;
        }
        try {
            // Huge pages need the mapping's address and the file's offsets to agree modulo 2 MiB: so an address
            // range one huge page longer is reserved, the file mapped at its first boundary, and the rest let go.
            long reserved = (long) HugePages.MMAP.invokeExact(0L, span + HUGE_PAGE, PROT_NONE, MAP_PRIVATE_ANONYMOUS,
                    -1, 0L);
            if (reserved == -1) {
                return 0;
            }
            long start = (reserved + HUGE_PAGE - 1) & -HUGE_PAGE;
            long mapped = (long) HugePages.MMAP.invokeExact(start, span, PROT_READ_WRITE, MAP_SHARED | MAP_FIXED,
                    fd, 0L);
            unmap(reserved, start - reserved);
            unmap(start + span, reserved + HUGE_PAGE - start);
            if (mapped != start) {
                unmap(start, span);
                return 0;
            }
            return start;
        } catch (Throwable t) {
            return 0;
        }
    }

    @Override
    public int collapseIntoHugePages(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoState = arena.allocate(ErrnoLayout.LAYOUT);
            int result = (int) HugePages.MADVISE.invokeExact(errnoState, address, length, MADV_COLLAPSE);
            if (result == 0) {
                return COLLAPSED;
            }
            int errno = errno(errnoState);
            return errno == EAGAIN || errno == ENOMEM ? COLLAPSE_LATER : NEVER_COLLAPSED;
        } catch (Throwable t) {
            return NEVER_COLLAPSED;
        }
    }

    @Override
    public void unmap(long address, long length) {
        if (length > 0) {
            try {
                int unused = (int) HugePages.MUNMAP.invokeExact(address, length);
                assert unused == 0;
            } catch (Throwable t) {
                throw new IllegalStateException("munmap failed: " + t, t);
            }
        }
    }

    /** The errno a downcall captured into {@code errnoState}. */
    static int errnoOf(MemorySegment errnoState) {
        return errno(errnoState);
    }

    /** The layout that holds a captured errno, for the other downcalls of this package. */
    static MemoryLayout errnoLayout() {
        return ErrnoLayout.LAYOUT;
    }
}
