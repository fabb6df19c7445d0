package org.multiprocess4j.inspect;

import org.multiprocess4j.internal.memory.ArenaLayout;
import org.multiprocess4j.internal.memory.ArenaRef;
import org.multiprocess4j.internal.os.Platform;
import org.multiprocess4j.internal.queue.QueueCore;
import org.multiprocess4j.internal.sync.ConditionCore;
import org.multiprocess4j.internal.sync.LockLayout;
import org.multiprocess4j.internal.sync.SyncLayout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * What shared memory of the library the processes of this user hold, read from {@code /proc} and the arena
 * headers only: as {@code ipcs} shows System V IPC. It never writes, never maps, never takes a lock, so it works on
 * a process that is stuck. {@code ./mp4j inspect [PID] [--json]} prints it.
 *
 * <p>An arena is found through the descriptor its creator keeps open; its live objects by walking the block
 * headers of {@code docs/FORMAT.md}. Each block's descriptor record says what it holds: its kind, C type or
 * structure and length, from which the object's handle is rebuilt (for an arena the inspected process created).
 * Its memory says the rest: a lock's owner (pid, the holding thread's id, and whether that process still runs), a
 * semaphore's or barrier's value, an event's flag, a queue's message count. A block without a readable descriptor
 * is told by its layout alone. Every file read is treated as hostile: a header that is not an arena's, or a size
 * that does not fit, ends the walk of that arena with a note instead of an error; a descriptor that does not parse
 * is ignored.
 */
public final class Inspector {
    private static final Path PROC = Path.of("/proc");
    /** The most blocks listed per arena: a walk that finds more stops with a note. */
    private static final int MAX_OBJECTS = 100_000;
    /** The most blocks listed by one inspection, all arenas together: what it keeps in memory is bounded. */
    private static final int MAX_OBJECTS_IN_ALL = 200_000;

    /** The characters of text, types, handles and states, that one inspection keeps at most, all objects together. */
    private static final long MAX_CHARACTERS_IN_ALL = 32L << 20;

    /**
     * The bytes between blocks that one inspection looks through at most, all arenas together: an arena's free space
     * is such a gap, up to 4 MiB in a real one, so this lets a process with a thousand arenas half empty be read
     * whole, while a hostile one with thousands of sparse files costs seconds, not hours (~1 GB/s here).
     */
    private static final long MAX_GAP_IN_ALL = 4L << 30;

    /**
     * The objects an inspection may still list, the characters of their texts it may still keep, and the bytes
     * between blocks it may still look through.
     */
    private static final class Budget {
        int objects = MAX_OBJECTS_IN_ALL;
        long characters = MAX_CHARACTERS_IN_ALL;
        long gapBytes = MAX_GAP_IN_ALL;
    }

    private Inspector() {
    }

    /**
     * A process holding shared memory of the library.
     *
     * @param pid      its pid
     * @param command  its command line, shortened
     * @param arenas   the arenas it created (and keeps open)
     * @param children its child processes: pid and command, shortened
     */
    public record ProcessView(long pid, String command, List<ArenaView> arenas, List<String> children) {
    }

    /**
     * An arena.
     *
     * @param id        its id, in hexadecimal, as handles have it
     * @param bytes     its size
     * @param usedBytes the bytes of its live blocks, headers included
     * @param objects   its live objects
     * @param note      why the walk stopped early, or empty
     */
    public record ArenaView(String id, long bytes, long usedBytes, List<ObjectView> objects, String note) {
    }

    /**
     * A live object.
     *
     * @param offset its offset in the arena, as its handle has it
     * @param bytes  its size
     * @param kind   value, struct, array, lock, rlock, condition, semaphore, event, barrier, queue, internal (a block
     *               of the library's own), or data (a block whose descriptor this inspector does not read)
     * @param type   a value's or array element's C type ({@code c_int}, {@code struct Point}, {@code c_double[3]}),
     *               what an internal block is, or empty
     * @param length an array's element count; 1 otherwise
     * @param handle the object's handle (a synchronized object's with its lock), or empty when the inspected process
     *               did not create the arena or the block has no descriptor
     * @param state  what its memory says now: a lock's owner, a semaphore's permits, a queue's messages
     */
    public record ObjectView(long offset, long bytes, String kind, String type, long length, String handle,
                             String state) {
    }

    /** Every process of this user that holds shared memory of the library, by pid. */
    public static List<ProcessView> all() {
        List<ProcessView> found = new ArrayList<>();
        java.util.Map<Long, List<String>> children = children();
        Budget budget = new Budget();
        for (long pid : pids()) {
            try {
                ProcessView view = read(pid, children, budget);
                if (!view.arenas().isEmpty()) {
                    found.add(view);
                }
            } catch (IllegalArgumentException | IOException | SecurityException notOurs) {
                // another user's process, or one that ended meanwhile
            }
        }
        return found;
    }

    /**
     * The process {@code pid}, with no arenas when it holds none.
     *
     * @throws IllegalArgumentException when there is no such process, or it is another user's
     */
    public static ProcessView of(long pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid must be > 0: pid=" + pid);
        }
        long process = threadGroupOf(pid);
        if (process > 0 && process != pid) {
            throw new IllegalArgumentException(pid + " is a thread of process " + process + ", not a process: inspect "
                    + process);
        }
        try {
            return read(pid, children(), new Budget());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot inspect process " + pid + ": " + e.getMessage(), e);
        }
    }

    private static List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit) && name.length() < 19) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        pids.sort(null);
        return pids;
    }

    private static ProcessView read(long pid, java.util.Map<Long, List<String>> children, Budget budget)
            throws IOException {
        Path dir = PROC.resolve(Long.toString(pid));
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no process " + pid);
        }
        Path fds = dir.resolve("fd");
        if (!Files.isReadable(fds)) {
            throw new IllegalArgumentException("process " + pid + " belongs to another user: its descriptors cannot"
                    + " be read");
        }
        TreeMap<String, ArenaView> arenas = new TreeMap<>();
        java.util.Set<String> walked = new java.util.HashSet<>(); // an arena behind many descriptors is walked once
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fds)) {
            for (Path fd : entries) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException ended) {
                    continue;
                }
                // Arenas are unnamed files: "(deleted)". Only regular files are read (see arena).
                if (target.startsWith("/") && target.endsWith(" (deleted)")) {
                    ArenaView arena = arena(pid, fd, target, walked, budget);
                    if (arena != null) {
                        arenas.putIfAbsent(arena.id(), arena);
                    }
                }
            }
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException("process " + pid + " belongs to another user: its descriptors cannot"
                    + " be read");
        }
        return new ProcessView(pid, command(pid), List.copyOf(arenas.values()),
                List.copyOf(children.getOrDefault(pid, List.of())));
    }

    private static String command(long pid) {
        try {
            String line = new String(Files.readAllBytes(PROC.resolve(pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
            // Another program's arguments: no control character (an escape sequence) reaches the terminal.
            line = line.codePoints().map(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
                    ? '?' : c).collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                    .toString();
            return Descriptors.shortened(line);
        } catch (IOException e) {
            return "?";
        }
    }

    /** Every process's children ("pid command"), by parent pid: /proc read once per inspection. */
    private static java.util.Map<Long, List<String>> children() {
        java.util.Map<Long, List<String>> children = new java.util.HashMap<>();
        for (long p : pids()) {
            long parent = parentOf(p);
            if (parent > 0) {
                children.computeIfAbsent(parent, k -> new ArrayList<>()).add(p + " " + command(p));
            }
        }
        return children;
    }

    private static long parentOf(long pid) {
        String[] stat = stat(pid);
        return stat == null ? -1 : number(stat[1]);
    }

    /**
     * The start time of {@code pid} in clock ticks since boot, or -1 when it no longer runs: a zombie (killed, not
     * yet reaped) runs no more, as the library's locks see it.
     */
    private static long startTime(long pid) {
        String[] stat = stat(pid);
        return stat == null || stat[0].equals("Z") || stat[0].equals("X") || stat[0].equals("x") ? -1
                : number(stat[19]);
    }

    /** The fields after the command of {@code /proc/<pid>/stat} (0: the state), or null. */
    private static String[] stat(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields.length > 19 ? fields : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long number(String field) {
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The process (thread group) that {@code id} belongs to, from {@code /proc/<id>/status}, or -1. */
    private static long threadGroupOf(long id) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(id + "/status"))) {
                if (line.startsWith("Tgid:")) {
                    return number(line.substring(5).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not readable: the read that follows says so
        }
        return -1;
    }

    /**
     * The arena behind an open descriptor of process {@code pid}, or null when the file is not one. The process may
     * put anything behind that number at any time: this JVM takes a descriptor of its own to the file without
     * opening it ({@code O_PATH}: a FIFO's open would wait for a writer, a device's act), checks it through that
     * descriptor, which nobody else can change, and only then opens and reads it.
     */
    private static ArenaView arena(long pid, Path fd, String target, java.util.Set<String> walked, Budget budget) {
        Platform platform = Platform.current();
        int own = platform.openPath(fd);
        if (own < 0) {
            return null;
        }
        try {
            Path opened = platform.descriptorPath(ProcessHandle.current().pid(), own);
            return Files.isRegularFile(opened) ? arena(pid, fd, opened, target, walked, budget) : null;
        } finally {
            platform.close(own);
        }
    }

    private static ArenaView arena(long pid, Path fd, Path opened, String target, java.util.Set<String> walked,
                                   Budget budget) {
        FileChannel file;
        try {
            file = FileChannel.open(opened, StandardOpenOption.READ);
        } catch (java.nio.file.AccessDeniedException e) {
            // Another user's file, held open by this user's process: it may be an arena; say so rather than hide it.
            return target.startsWith(SHM_PREFIX) ? new ArenaView("?" + fd.getFileName(), 0, 0, List.of(),
                    "descriptor " + fd.getFileName() + ": a file in /dev/shm this user cannot read: not known whether"
                    + " it is an arena") : null;
        } catch (IOException | RuntimeException gone) {
            return null;
        }
        try (file) {
            long fileSize = file.size();
            ByteBuffer header = read(file, 0, (int) Math.min(ArenaLayout.HEADER_SIZE, fileSize));
            if (header.limit() < ArenaLayout.HEADER_SIZE || header.getLong((int) ArenaLayout.MAGIC_OFFSET)
                    != ArenaLayout.MAGIC) {
                return null;
            }
            String id = Long.toHexString(header.getLong((int) ArenaLayout.ARENA_ID_OFFSET));
            if (!walked.add(id)) {
                return null; // listed from another descriptor already
            }
            int version = header.getInt((int) ArenaLayout.VERSION_OFFSET);
            long size = header.getLong((int) ArenaLayout.ARENA_SIZE_OFFSET);
            if (version != ArenaLayout.VERSION) {
                return new ArenaView(id, size, 0, List.of(), "layout version " + version + ", not "
                        + ArenaLayout.VERSION + ": not read");
            }
            if (size != fileSize) {
                return new ArenaView(id, fileSize, 0, List.of(), "its header says " + size + " bytes, the file has "
                        + fileSize + ": not read");
            }
            long creatorPid = header.getLong((int) ArenaLayout.CREATOR_PID_OFFSET);
            long creatorStart = header.getLong((int) ArenaLayout.CREATOR_START_OFFSET);
            String fdNumber = fd.getFileName().toString();
            ArenaRef creator = creatorPid == pid && creatorStart == startTime(pid) && fdNumber.matches("[0-9]{1,9}")
                    ? new ArenaRef(pid, creatorStart, Integer.parseInt(fdNumber),
                    header.getLong((int) ArenaLayout.ARENA_ID_OFFSET), size)
                    : null; // handles name the creator's descriptor: only the creator's arenas get them
            return walk(file, id, size, creator, budget);
        } catch (IOException | RuntimeException e) {
            return null; // gone meanwhile (a hostile header ends in a note: walk)
        }
    }

    /** Where arenas' unnamed files are (a descriptor's link names the directory). */
    private static final String SHM_PREFIX = "/dev/shm/";

    /**
     * Finds the live blocks: after each one, the next 8-byte-aligned tag of a live block. The file is read through a
     * window of {@link #WINDOW} bytes, so an arena of any size (a hostile one too) costs bounded memory, and at most
     * {@link #MAX_GAP} bytes between blocks are looked through, so it costs bounded time too (a live block is
     * stepped over whatever its size: an arena's free space is its only gap, 4 MiB at most in a real one).
     */
    private static ArenaView walk(FileChannel file, String id, long size, ArenaRef creator, Budget budget) {
        List<ObjectView> objects = new ArrayList<>();
        long used = ArenaLayout.HEADER_SIZE;
        String note = "";
        long at = ArenaLayout.HEADER_SIZE;
        long gaps = 0;
        try {
            Window window = new Window(file, size);
            while (at + ArenaLayout.BLOCK_HEADER_SIZE <= size) {
                if (gaps > MAX_GAP) {
                    note = "more than " + MAX_GAP + " bytes without a block: not read past " + at;
                    break;
                }
                if (budget.gapBytes < 0) {
                    note = "this inspection has looked through all the space between blocks it may ("
                            + MAX_GAP_IN_ALL + " bytes, all arenas together): not read past " + at;
                    break;
                }
                long tag = window.getLong(at);
                long blockOffset = at + ArenaLayout.BLOCK_HEADER_SIZE;
                boolean live = (tag & 0xFFFF_FFFF_0000_0000L) == ArenaLayout.BLOCK_LIVE;
                long bytes = live ? window.getLong(at + 8) : -1;
                // A live block is a live tag, a size that fits, and the descriptor record every block ends with:
                // words left in freed memory that look like a tag (an array's old elements) are not one.
                long record = 0;
                long recordAt = 0;
                if (bytes >= 0 && bytes <= size - blockOffset - 16) { // room for the record after it (no overflow)
                    recordAt = ArenaLayout.descriptorOffset(blockOffset, bytes);
                    record = recordAt + 8 <= size ? window.getLong(recordAt) : 0;
                }
                long length = record & 0xFFFF_FFFFL;
                if ((record & 0xFFFF_FFFF_0000_0000L) != ArenaLayout.DESCRIPTOR || length > ArenaLayout.MAX_DESCRIPTOR
                        || length > size - recordAt - 8) {
                    at += 8; // not a block header after all (or a damaged one): look further
                    gaps += 8;
                    budget.gapBytes -= 8;
                    continue;
                }
                if (objects.size() == MAX_OBJECTS) {
                    note = "more than " + MAX_OBJECTS + " objects: the rest not listed";
                    break;
                }
                if (budget.objects == 0 || budget.characters <= 0) {
                    note = "this inspection has listed all it keeps (" + MAX_OBJECTS_IN_ALL + " objects, "
                            + MAX_CHARACTERS_IN_ALL + " characters of text): the rest not listed";
                    break;
                }
                budget.objects--;
                ObjectView object = describe(read(file, blockOffset, (int) Math.min(bytes, DESCRIBED)), blockOffset,
                        bytes);
                object = Descriptors.describe(object, read(file, recordAt + 8, (int) length), (int) tag, creator);
                budget.characters -= object.type().length() + object.handle().length() + object.state().length();
                long space = 8 + ((length + 7) & -8L);
                used += ArenaLayout.BLOCK_HEADER_SIZE + bytes + space;
                at = recordAt + space;
                objects.add(object);
            }
        } catch (IOException | RuntimeException e) {
            note = "the file changed while read, or says what cannot be (" + e.getMessage() + "): the objects before"
                    + " it are listed";
        }
        return new ArenaView(id, size, used, objects, note);
    }

    /** How much of a block {@link #describe} reads: the largest header it looks at. */
    private static final int DESCRIBED = (int) Math.max(SyncLayout.SIZE, QueueCore.HEADER);
    /** The most bytes between blocks that a walk looks through, all the gaps of an arena together. */
    private static final long MAX_GAP = 64L << 20;
    /** The bytes of an arena read at a time while walking it. */
    private static final int WINDOW = 1 << 20;

    /** Longs of a file, read a window at a time. */
    private static final class Window {
        private final FileChannel file;
        private final long size;
        private ByteBuffer buffer = ByteBuffer.allocate(0);
        private long base;

        Window(FileChannel file, long size) {
            this.file = file;
            this.size = size;
        }

        long getLong(long at) throws IOException {
            if (at < base || at + 8 > base + buffer.limit()) {
                base = at;
                buffer = read(file, at, (int) Math.min(WINDOW, size - at));
                if (buffer.limit() < 8) {
                    throw new IOException("the arena file ended at " + (at + buffer.limit()) + " of " + size);
                }
            }
            return buffer.getLong((int) (at - base));
        }
    }

    private static ByteBuffer read(FileChannel file, long from, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(Math.max(0, length)).order(ByteOrder.nativeOrder());
        while (buffer.hasRemaining() && file.read(buffer, from + buffer.position()) > 0) {
            // reads on
        }
        return buffer.flip();
    }

    /** Tells an object by its layout. */
    private static ObjectView describe(ByteBuffer b, long offset, long bytes) {
        if (b.limit() < Math.min(bytes, DESCRIBED)) {
            return view(offset, bytes, "data", "unreadable (the file ended)");
        }
        if (bytes < ConditionCore.SIZE) {
            return view(offset, bytes, "data", "a value, array or structure");
        }
        if (bytes == LockLayout.SIZE && lockKind(b, 0) != null) {
            return view(offset, bytes, lockKind(b, 0), lockState(b, 0));
        }
        if (bytes == ConditionCore.SIZE && b.getInt((int) ConditionCore.KIND) == ConditionCore.KIND_CONDITION) {
            return view(offset, bytes, "condition", "");
        }
        if (bytes == SyncLayout.SIZE && "lock".equals(lockKind(b, 0))) {
            int kind = b.getInt((int) SyncLayout.KIND);
            long value = b.getLong((int) SyncLayout.VALUE);
            long bound = b.getLong((int) SyncLayout.BOUND);
            String lock = "; its lock " + lockState(b, 0);
            switch (kind) {
                case SyncLayout.KIND_SEMAPHORE -> {
                    return view(offset, bytes, "semaphore", value + " permits free"
                            + (bound >= 0 ? " of " + bound : "") + lock);
                }
                case SyncLayout.KIND_EVENT -> {
                    return view(offset, bytes, "event", (value != 0 ? "set" : "clear") + lock);
                }
                case SyncLayout.KIND_BARRIER -> {
                    return view(offset, bytes, "barrier", value + " of " + bound + " parties arrived" + lock);
                }
                default -> {
                    // not a sync object: data, below
                }
            }
        }
        if (bytes > QueueCore.HEADER && b.getInt((int) QueueCore.KIND_OFFSET) == QueueCore.KIND
                && "lock".equals(lockKind(b, 0)) && b.getLong((int) QueueCore.CAPACITY) == bytes - QueueCore.HEADER) {
            return view(offset, bytes, "queue", messages(b.getLong((int) QueueCore.COUNT)) + "; its lock "
                    + lockState(b, 0));
        }
        return view(offset, bytes, "data", "a value, array or structure");
    }

    private static String messages(long count) {
        return count + (count == 1 ? " message" : " messages");
    }

    /** An object told by its layout alone. */
    private static ObjectView view(long offset, long bytes, String kind, String state) {
        return new ObjectView(offset, bytes, kind, "", 1, "", state);
    }

    private static String lockKind(ByteBuffer b, int at) {
        return switch (b.getInt(at + (int) LockLayout.KIND)) {
            case LockLayout.KIND_LOCK -> "lock";
            case LockLayout.KIND_RLOCK -> "rlock";
            default -> null;
        };
    }

    /** free, held by a running process, or held by one that is gone (the next taker recovers it). */
    private static String lockState(ByteBuffer b, int at) {
        long word = b.getLong(at + (int) LockLayout.OWNER);
        if (word == 0) {
            return "free";
        }
        long owner = word & ~LockLayout.WAITERS;
        long pid = owner >>> 32;
        long start = startTime(pid);
        boolean alive = start >= 0 && (start & 0xFFFF_FFFFL) == (owner & 0xFFFF_FFFFL);
        String thread = b.getLong(at + (int) LockLayout.HOLDER) == owner
                ? " thread " + b.getLong(at + (int) LockLayout.HOLDER_THREAD) : "";
        return "held by pid " + pid + thread + (alive ? "" : " (owner dead: the next taker recovers it)")
                + ((word & LockLayout.WAITERS) != 0 ? ", waiters" : "");
    }

    // ---- command line -------------------------------------------------------------------------------------------

    /** {@code [PID] [--json]}: every process of this user that holds shared memory of the library, or one. */
    public static void main(String[] args) {
        boolean json = false;
        Long pid = null;
        for (String arg : args) {
            if (arg.equals("--json")) {
                json = true;
            } else if (pid == null && arg.matches("[0-9]{1,18}")) {
                pid = Long.parseLong(arg);
            } else {
                System.err.println("usage: ./mp4j inspect [PID] [--json]   (not understood: " + arg + ")");
                System.exit(2);
                return;
            }
        }
        List<ProcessView> views;
        try {
            views = pid == null ? all() : List.of(of(pid));
        } catch (IllegalArgumentException e) {
            System.err.println("inspect: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.print(json ? json(views) : text(views, pid == null));
    }

    static String text(List<ProcessView> views, boolean everyProcess) {
        StringBuilder out = new StringBuilder();
        if (views.isEmpty() || (!everyProcess && views.getFirst().arenas().isEmpty())) {
            out.append(everyProcess ? "no process of this user holds shared memory of multiprocess4j\n"
                    : "process " + views.getFirst().pid() + " holds no shared memory of multiprocess4j\n");
        }
        for (ProcessView p : views) {
            out.append(String.format(Locale.ROOT, "process %d  %s%n", p.pid(), p.command()));
            for (ArenaView a : p.arenas()) {
                out.append(String.format(Locale.ROOT, "  arena %s  %,d bytes, %,d used, %,d free, %d objects%s%n",
                        a.id(), a.bytes(), a.usedBytes(), a.bytes() - a.usedBytes(), a.objects().size(),
                        a.note().isEmpty() ? "" : "  (" + a.note() + ")"));
                for (ObjectView o : a.objects()) {
                    String type = o.kind().equals("array") ? o.type() + " \u00d7 " + o.length() : o.type();
                    String what = String.join("  ", java.util.stream.Stream.of(type, o.state())
                            .filter(x -> !x.isEmpty()).toList());
                    out.append(String.format(Locale.ROOT, "    +%-10d %-9s %,12d bytes  %s%n", o.offset(), o.kind(),
                            o.bytes(), what));
                    if (!o.handle().isEmpty()) {
                        out.append("                handle ").append(o.handle()).append('\n');
                    }
                }
            }
            for (String child : p.children()) {
                out.append("  child ").append(child).append('\n');
            }
        }
        return out.toString();
    }

    static String json(List<ProcessView> views) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < views.size(); i++) {
            ProcessView p = views.get(i);
            out.append(i == 0 ? "" : ",").append("\n {\"pid\":").append(p.pid()).append(",\"command\":")
                    .append(quote(p.command())).append(",\"arenas\":[");
            for (int j = 0; j < p.arenas().size(); j++) {
                ArenaView a = p.arenas().get(j);
                out.append(j == 0 ? "" : ",").append("{\"id\":").append(quote(a.id())).append(",\"bytes\":")
                        .append(a.bytes()).append(",\"used\":").append(a.usedBytes()).append(",\"note\":")
                        .append(quote(a.note())).append(",\"objects\":[");
                for (int k = 0; k < a.objects().size(); k++) {
                    ObjectView o = a.objects().get(k);
                    out.append(k == 0 ? "" : ",").append("{\"offset\":").append(o.offset()).append(",\"bytes\":")
                            .append(o.bytes()).append(",\"kind\":").append(quote(o.kind())).append(",\"type\":")
                            .append(quote(o.type())).append(",\"length\":").append(o.length())
                            .append(",\"handle\":").append(quote(o.handle())).append(",\"state\":")
                            .append(quote(o.state())).append('}');
                }
                out.append("]}");
            }
            out.append("],\"children\":[");
            for (int j = 0; j < p.children().size(); j++) {
                out.append(j == 0 ? "" : ",").append(quote(p.children().get(j)));
            }
            out.append("]}");
        }
        return out.append("\n]\n").toString();
    }

    private static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
