package org.multiprocess4j.coordination;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.multiprocess4j.Handle;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.ProcessRLock;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.SharedObject;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.CharArray;
import org.multiprocess4j.sharedctypes.LongValue;
import org.multiprocess4j.sharedctypes.SharedCTypes;

/**
 * The shared-memory {@link Backend}: a directory of names in shared memory, each line {@code kind name handle},
 * guarded by a {@link ProcessLock}; the objects it names are the library's own ({@link ProcessLock},
 * {@link ProcessRLock}, a raw {@code c_long} {@link LongValue}), so the hot paths are theirs.
 */
final class SharedMemoryBackend implements Backend {
    /** Room for about 300 names. */
    private static final int DIRECTORY_BYTES = 64 * 1024;
    private static final String NAME_RULE = "1 to 200 letters, digits, '_', '.' or '-'";

    private final ProcessLock directoryLock;
    private final CharArray directory;
    private final Map<String, Object> opened = new ConcurrentHashMap<>();
    private final List<SharedObject> toClose = new ArrayList<>();

    private SharedMemoryBackend(ProcessLock directoryLock, CharArray directory) {
        this.directoryLock = directoryLock;
        this.directory = directory;
    }

    static SharedMemoryBackend create() {
        ProcessLock lock = ProcessLock.create();
        CharArray directory = SharedCTypes.rawArray(CType.c_char, DIRECTORY_BYTES);
        return new SharedMemoryBackend(lock, directory);
    }

    static SharedMemoryBackend attach(String address) {
        String[] parts = address.substring("shm:".length()).split(" ", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("address must be shm:<lock handle> <directory handle>: address=\""
                    + address + "\"");
        }
        SharedLock lock = SharedLock.attach(Handle.parse(parts[0]));
        if (!(lock instanceof ProcessLock plain)) {
            lock.close();
            throw new IllegalArgumentException("address's first handle must name a ProcessLock: address=\""
                    + address + "\"");
        }
        try {
            CharArray directory = CharArray.attach(Handle.parse(parts[1]));
            if (directory.length() != DIRECTORY_BYTES) {
                directory.close();
                throw new IllegalArgumentException("address's second handle must name a " + DIRECTORY_BYTES
                        + "-byte c_char array: address=\"" + address + "\"");
            }
            return new SharedMemoryBackend(plain, directory);
        } catch (RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    @Override
    public RobustLock lock(String name) {
        return (RobustLock) named('L', name);
    }

    @Override
    public RobustLock rlock(String name) {
        return (RobustLock) named('R', name);
    }

    @Override
    public LongVariable longValue(String name) {
        return (LongVariable) named('V', name);
    }

    @Override
    public String address() {
        return "shm:" + directoryLock.handle() + " " + directory.handle();
    }

    @Override
    public synchronized void close() {
        for (SharedObject o : toClose) {
            o.close();
        }
        toClose.clear();
        opened.clear();
        directory.close();
        directoryLock.close();
    }

    @Override
    public String toString() {
        return "Backend[shared memory]";
    }

    private Object named(char kind, String name) {
        if (name == null || !name.matches("[A-Za-z0-9_.\\-]{1,200}")) {
            throw new IllegalArgumentException("name must be " + NAME_RULE + ": name="
                    + (name == null ? "null" : "\"" + name + "\""));
        }
        Object o = opened.get(name);
        if (o == null) {
            o = openOrCreate(kind, name);
        }
        if (kindOf(o) != kind) {
            throw new IllegalArgumentException("name \"" + name + "\" names a " + describe(kindOf(o)) + ", not a "
                    + describe(kind));
        }
        return o;
    }

    private synchronized Object openOrCreate(char kind, String name) {
        Object o = opened.get(name);
        if (o != null) {
            return o;
        }
        try (var _ = directoryLock.hold()) { // orders every process's reads and appends of the directory
            String text = new String(directory.value(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                String[] f = line.split(" ", -1);
                if (f.length != 3 || f[0].length() != 1) {
                    throw new IllegalStateException("the backend's directory is corrupt: line \"" + line + "\"");
                }
                if (f[1].equals(name)) {
                    o = attached(f[0].charAt(0), Handle.parse(f[2]));
                    break;
                }
            }
            if (o == null) {
                SharedObject made = switch (kind) {
                    case 'L' -> ProcessLock.create();
                    case 'R' -> ProcessRLock.create();
                    default -> SharedCTypes.rawValue(CType.c_long, 0L);
                };
                byte[] line = (kind + " " + name + " " + made.handle() + "\n").getBytes(StandardCharsets.UTF_8);
                int used = text.getBytes(StandardCharsets.UTF_8).length;
                if (used + line.length >= DIRECTORY_BYTES) {
                    made.close();
                    throw new IllegalStateException("the backend's directory is full (" + DIRECTORY_BYTES
                            + " bytes): cannot add name \"" + name + "\"");
                }
                directory.copyFrom(line, 0, used, line.length);
                o = made;
            }
        }
        toClose.add((SharedObject) o);
        opened.put(name, o);
        return o;
    }

    private static Object attached(char kind, Handle handle) {
        return switch (kind) {
            case 'L', 'R' -> SharedLock.attach(handle);
            case 'V' -> LongValue.attach(handle);
            default -> throw new IllegalStateException("the backend's directory is corrupt: kind '" + kind + "'");
        };
    }

    private static char kindOf(Object o) {
        return o instanceof ProcessRLock ? 'R' : o instanceof ProcessLock ? 'L' : 'V';
    }

    private static String describe(char kind) {
        return switch (kind) {
            case 'L' -> "lock";
            case 'R' -> "re-entrant lock";
            default -> "long value";
        };
    }
}
