package org.multiprocess4j.internal.memory;

import org.multiprocess4j.internal.os.CurrentProcess;
import org.multiprocess4j.internal.os.Platform;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.SplittableRandom;

/**
 * One shared-memory file mapped into this process: either created here (this process holds its descriptor,
 * through which children reopen it) or attached from another process's descriptor.
 *
 * <p>The file never has a name that outlives its creation, so nothing is left in the file system whatever
 * happens to any process; the memory lives while some process holds the descriptor or a mapping.
 */
public final class MappedArena {
    /**
     * Random numbers for arena ids and first generations, made when this process first creates something. An id
     * keeps a stale handle from matching a new arena at the same descriptor, in this process or another, so ids
     * must differ between processes, not stay secret (a process of the creator's user may open the arena anyway,
     * and no other may): a generator seeded from the kernel's random source, not SecureRandom, whose provider
     * set-up costs a cold JVM about 25 ms (3 ms this way).
     */
    static final class Ids {
        private static final SplittableRandom RANDOM = new SplittableRandom(Platform.current().randomSeed());

        private Ids() {
        }

        static synchronized long nextLong() {
            return RANDOM.nextLong();
        }

        static synchronized int nextInt() {
            return RANDOM.nextInt();
        }
    }

    private final ArenaRef ref;
    private final MemorySegment memory;
    private final Arena mapping;
    private final boolean created;
    /** The move of this arena onto huge pages, or null; set by create before the arena is published. */
    private HugePageMoves.Move move;
    /** Blocks and views that still use this mapping; guarded by {@link ArenaRegistry}. */
    int users;

    private MappedArena(ArenaRef ref, MemorySegment memory, Arena mapping, boolean created) {
        this.ref = ref;
        this.memory = memory;
        this.mapping = mapping;
        this.created = created;
    }

    /** Arenas from this size on are moved onto huge pages after they are made, unless the property says no. */
    static final long HUGE_PAGES_FROM = 32L << 20;
    /** The system property that turns the move onto huge pages off ({@code false}). */
    public static final String HUGE_PAGES_PROPERTY = "multiprocess4j.shm.hugePages";

    /**
     * Creates, reserves and maps a new arena of {@code size} bytes (header included) in {@code directory}. One of
     * {@link #HUGE_PAGES_FROM} bytes or more is then moved onto huge pages behind its creation (HugePageMoves), as
     * the memory a program allocates is, so that a scan of a large array in a process that maps it at a 2 MiB
     * boundary (Python does) walks 2 MiB pages, not 4 KiB ones (numpy's sum of 100M doubles: 62 ms -> 44 ms, as
     * over numpy's own array).
     */
    static MappedArena create(Path directory, long size) {
        Platform platform = Platform.current();
        int fd = platform.createUnnamedSharedFile(directory, size);
        ArenaRef ref = new ArenaRef(CurrentProcess.PID, CurrentProcess.START_TIME, fd, Ids.nextLong(), size);
        boolean huge = size >= HUGE_PAGES_FROM && !"false".equals(System.getProperty(HUGE_PAGES_PROPERTY));
        MappedArena arena;
        try {
            arena = huge ? mapAligned(platform, fd, ref) : null;
            if (arena == null) {
                arena = map(platform.descriptorPath(CurrentProcess.PID, fd), ref, true);
            }
        } catch (RuntimeException e) {
            platform.close(fd);
            throw e;
        }
        ArenaLayout.write(arena.memory, ref);
        if (huge) {
            arena.move = HugePageMoves.start(platform, fd, size, ref.arenaId());
        }
        return arena;
    }

    /**
     * Maps a new large arena at a 2 MiB boundary, so that once it is moved onto huge pages this process's own scans
     * walk them as such (mapped where the kernel likes, they are reached through 4 KiB entries: a sum of 100M
     * doubles took 106-127 ms that way, 105-107 ms aligned, in one scratch run); null where it cannot, and the
     * caller maps it as any other. Processes that attach map it as any other (a Python one aligns its own mapping).
     */
    private static MappedArena mapAligned(Platform platform, int fd, ArenaRef ref) {
        long address = platform.mapAligned(fd, ref.size());
        if (address == 0) {
            return null;
        }
        Arena mapping = Arena.ofShared();
        long length = ref.size();
        MemorySegment memory = MemorySegment.ofAddress(address).reinterpret(length, mapping,
                unmapped -> platform.unmap(address, length));
        return new MappedArena(ref, memory, mapping, true);
    }

    /** Maps the arena another process created, checking that it is the very one the reference names. */
    static MappedArena attach(ArenaRef ref) {
        long startTime = Platform.current().processStartTime(ref.creatorPid());
        if (startTime != ref.creatorStartTime()) {
            throw new IllegalStateException("shared memory no longer exists: its creator, process "
                    + ref.creatorPid() + " (start time " + ref.creatorStartTime() + "), has exited");
        }
        Path path = Platform.current().descriptorPath(ref.creatorPid(), ref.fd());
        MappedArena arena = map(path, ref, false);
        try {
            ArenaLayout.check(arena.memory, ref, path.toString());
        } catch (RuntimeException e) {
            arena.unmap();
            throw e;
        }
        return arena;
    }

    /**
     * Maps the arena at {@code path}: created here, or the descriptor {@code path} names in another process. The
     * descriptor of a process other than this one's parent is looked at through one of this process's own that
     * opens nothing ({@code O_PATH}): that process may put anything behind its number at any time, and a device's,
     * FIFO's or terminal's open is never run; only a regular file is then opened, through that descriptor. The
     * parent's descriptors are opened by their path once a look at it finds a regular file: the parent, which chose
     * this process's command line, input and environment, gains nothing by swapping one between the look and the
     * open (a parent that closes an object while a child attaches it may reuse the number in that window, for a pipe
     * or a device the child then opens and closes again, and a terminal would become its own only if it led a
     * session that had none, which children started by {@code ChildProcess} never do); and a child attaching its
     * parent's objects on its way to its target makes no native call (a JVM's first costs it 30-70 ms of CPU, which
     * doubled the time a pool of two took to its first result).
     */
    private static MappedArena map(Path path, ArenaRef ref, boolean created) {
        Platform platform = Platform.current();
        boolean trusted = created || CurrentProcess.isParent(ref.creatorPid(), ref.creatorStartTime());
        int own = trusted ? -1 : platform.openPath(path);
        try {
            Path opened = path;
            if (!trusted) {
                if (own < 0) {
                    Files.readAttributes(path, BasicFileAttributes.class); // says why, unopened
                    throw new IllegalStateException("cannot open shared memory " + path);
                }
                opened = platform.descriptorPath(CurrentProcess.PID, own);
            }
            if (!created && !Files.readAttributes(opened, BasicFileAttributes.class).isRegularFile()) {
                throw new IllegalStateException("not shared memory: descriptor " + ref.fd() + " of process "
                        + ref.creatorPid() + " is not a regular file (" + path + ")");
            }
            return map(opened, path, ref, created);
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("shared memory no longer exists: process " + ref.creatorPid()
                    + " holds no descriptor " + ref.fd() + " (" + path + ")", e);
        } catch (AccessDeniedException e) {
            throw new IllegalStateException("permission denied: cannot open the shared memory of process "
                    + ref.creatorPid() + " (" + path + "); only processes of the creator's user may attach", e);
        } catch (IOException e) {
            throw new IllegalStateException("cannot map shared memory " + path + ": " + e.getMessage(), e);
        } finally {
            if (own >= 0) {
                platform.close(own);
            }
        }
    }

    /** Maps the regular file {@code opened} (named {@code path} in messages). */
    private static MappedArena map(Path opened, Path path, ArenaRef ref, boolean created) throws IOException {
        try (FileChannel channel = FileChannel.open(opened, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long fileSize = channel.size();
            if (fileSize != ref.size()) {
                throw new IllegalStateException("arena size does not match the handle: handle=" + ref.size()
                        + " file=" + fileSize + " in " + path + (fileSize < ref.size() ? " (truncated)" : ""));
            }
            Arena mapping = Arena.ofShared();
            try {
                return new MappedArena(ref, channel.map(FileChannel.MapMode.READ_WRITE, 0, ref.size(), mapping),
                        mapping, created);
            } catch (IOException | RuntimeException e) {
                mapping.close();
                throw e;
            }
        }
    }

    /** Where this arena is, for handles. */
    public ArenaRef ref() {
        return ref;
    }

    /** The whole mapping, header included; its lifetime is this arena's. */
    MemorySegment memory() {
        return memory;
    }

    void unmap() {
        if (move != null) {
            move.cancel();
        }
        mapping.close();
        if (created) {
            Platform.current().close(ref.fd());
        }
    }
}
