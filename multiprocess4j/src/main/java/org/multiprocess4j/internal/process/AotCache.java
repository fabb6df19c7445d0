package org.multiprocess4j.internal.process;

import org.multiprocess4j.internal.os.Platform;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * An ahead-of-time cache (JEP 483/514) for child JVMs, made automatically: the first child started with a given
 * JDK and class path has one training child run in the background; once its cache exists, later children map it
 * and start faster. Set the system property {@value #PROPERTY} to {@code false} to turn it off.
 *
 * <p>There is one cache per {@link Profile}: what a child does first decides what its cache should hold. The JVM
 * loads every class of its cache as it boots, so a cache trained on more than a child needs costs it start-up:
 * plain children get one trained on a shared value, pool workers one trained on a worker's whole first task.
 *
 * <p>Where: the directory the system property {@value #DIRECTORY_PROPERTY} names, else
 * {@code $XDG_CACHE_HOME/multiprocess4j} or {@code ~/.cache/multiprocess4j}. The directory is used only when it is
 * a real directory (not a link) owned by the current user and writable by nobody else, as {@code ssh} treats
 * {@code ~/.ssh}: a cache planted by another user would run as code in every child. Otherwise children start
 * without a cache and the reason is logged once. Used only when the class path holds jar files alone (the JDK
 * refuses directories), and not for a child whose JVM options choose class sharing themselves.
 *
 * <p>Integrity: a damaged cache makes the JVM that maps it crash, on every start. So each cache file carries the
 * CRC-32C of its bytes in its name, {@code <key>-<crc>.aot}, computed when it is published; this JVM checks it
 * once before the first child uses the file (and again whenever the file's size or modification time changes),
 * deletes a file that does not match, and trains a new one. Reading 15 MB costs a JVM's first child ~7 ms here,
 * so a file that matched has a record beside it, {@code <key>-<crc>.aot.verified}: its size, inode, device and
 * change time to the nanosecond, which any write to it, or a file put in its place, changes (a change time cannot
 * be set back). A later JVM that finds the record true of the file skips the read. {@code <key>} is a hash of the JDK, the class path
 * and every class-path file's size and modification time, so a rebuilt jar gets a new cache.
 *
 * <p>One training at a time per cache, across processes: the JVM that starts one first creates
 * {@code <key>.training} (exclusively) and writes in it the training child's pid and start time. Another JVM that
 * finds that file while the child lives, or while a training's assembly of the cache runs, starts none and takes
 * the cache once it is there; a file whose child is gone is taken over. A finished training whose cache is not the
 * one published (two that raced) is deleted by the next JVM that looks the cache up.
 */
public final class AotCache {
    /** The system property that turns the cache off when {@code false}. */
    public static final String PROPERTY = "multiprocess4j.aot";
    /** The system property naming the cache directory. */
    public static final String DIRECTORY_PROPERTY = "multiprocess4j.aot.dir";
    /** JVM options with which a child chooses its own class sharing: such a child gets no cache of ours. */
    private static final List<String> SHARING_OPTIONS = List.of("-Xshare", "-XX:SharedArchiveFile",
            "-XX:AOT", "-XX:+AutoCreateSharedArchive", "-XX:ArchiveClassesAtExit", "-XX:-UseSharedSpaces",
            "-XX:+UseSharedSpaces", "-XX:SharedClassListFile", "-XX:DumpLoadedClassList", "-XX:+RecordDynamicDumpInfo");
    private static final String SUFFIX = ".aot";
    /** The suffix, after a cache's name, of the record that it was checked (see the class comment). */
    private static final String VERIFIED_SUFFIX = ".verified";
    /** The suffix of the file that says who trains a key's cache (see the class comment). */
    private static final String MARKER_SUFFIX = ".training";
    /** How long a claim may stay empty (its creator writes the training child's pid in it) before it is stale. */
    private static final long MARKER_WRITE_MILLIS = 30_000;
    /** The most bytes a claim or a record of a check may hold: each takes fewer. */
    private static final int SMALL_FILE_BYTES = 127;
    /** The mode of every file this class writes, as of the directory: owner-only, whatever the umask. */
    private static final java.nio.file.attribute.FileAttribute<Set<java.nio.file.attribute.PosixFilePermission>>
            OWNER_ONLY = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final int KEPT = 4;
    /** How long a training's configuration file may go unchanged before it is taken for a killed one's. */
    private static final long STALE_TRAINING_MILLIS = 10 * 60 * 1000;
    /** How long a finished partial cache waits to be adopted by a JVM of its class path before it is removed. */
    private static final long UNADOPTED_MILLIS = 24 * 60 * 60 * 1000;
    /** Training runs once per JVM and profile, and again after each damaged cache found, up to this many times. */
    private static final int MAX_TRAININGS = 3;

    /** The keys whose training runs now, or whose cache is not yet published. */
    private static final Set<String> TRAINING = ConcurrentHashMap.newKeySet();
    /** The trainings this JVM has started, by key. */
    private static final ConcurrentHashMap<String, Integer> TRAININGS = new ConcurrentHashMap<>();
    /** Caches checked by this JVM, with the attributes they had then. */
    private static final ConcurrentHashMap<Path, Checked> CHECKED = new ConcurrentHashMap<>();
    /** The cache last found for each key, checked again (one stat) before each use instead of listed again. */
    private static final ConcurrentHashMap<String, Path> FOUND = new ConcurrentHashMap<>();
    /** Reasons already logged, so that each is said once. */
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    /**
     * A cache file's attributes when it was checked. Its {@code equals} and {@code hashCode} are written out: a
     * record's generated ones are bootstrapped at first use, some 11 classes spun on a parent's first child.
     */
    private record Checked(long size, long modified, Object fileKey) {
        static Checked of(BasicFileAttributes a) {
            return new Checked(a.size(), a.lastModifiedTime().toMillis(), a.fileKey());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Checked c && c.size == size && c.modified == modified
                    && Objects.equals(c.fileKey, fileKey);
        }

        @Override
        public int hashCode() {
            return (Long.hashCode(size) * 31 + Long.hashCode(modified)) * 31 + Objects.hashCode(fileKey);
        }
    }

    private AotCache() {
    }

    /** What a child does first, and so which cache it starts from. */
    public enum Profile {
        /** A child: its cache is trained on a shared value and the first child's target class. */
        CHILD(""),
        /** A process pool's worker: its cache is trained on a worker's queues, first task and wait for the next. */
        POOL_WORKER("pool-worker");

        private final String keyPart;

        Profile(String keyPart) {
            this.keyPart = keyPart;
        }
    }

    /**
     * Whether {@code jvmOptions} (or the {@code JDK_JAVA_OPTIONS} and {@code JAVA_TOOL_OPTIONS} a child inherits)
     * choose class sharing themselves: the JVM refuses them together with an ahead-of-time cache.
     */
    public static boolean conflicts(List<String> jvmOptions) {
        List<String> all = new ArrayList<>(jvmOptions);
        for (String variable : List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS")) {
            String value = System.getenv(variable);
            if (value != null) {
                all.addAll(List.of(value.trim().split("\\s+")));
            }
        }
        return all.stream().anyMatch(option -> SHARING_OPTIONS.stream().anyMatch(option::startsWith));
    }

    /**
     * The options that make a child use the {@code profile}'s cache, or none when it is not there (yet, or at all).
     * When it is missing and no process trains it, this JVM asks {@code trainer} (unless null) to start a training
     * child with the options it is given (it returns that child's handle), and publishes the cache once it is
     * written.
     */
    public static List<String> options(String classPath, Profile profile,
                                       Function<List<String>, ProcessHandle> trainer) {
        String key = key(classPath, profile);
        Path known = key == null ? null : FOUND.get(key);
        if (known != null && isIntact(known, key)) {
            return List.of("-XX:AOTCache=" + known, "-Xlog:aot=off", "-Xlog:cds=off");
        }
        Path dir = key == null ? null : directory();
        if (dir == null) {
            return List.of();
        }
        Path cache = findChecked(dir, key);
        if (cache == null) {
            adoptFinishedTraining(dir, key);
            cache = findChecked(dir, key);
        }
        if (cache != null) {
            FOUND.put(key, cache);
            return List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off");
        }
        if (trainer != null) {
            startTraining(dir, key, trainer);
        }
        return List.of();
    }

    /** Starts a training of {@code key}'s cache, unless this JVM or another process trains it already. */
    private static void startTraining(Path dir, String key, Function<List<String>, ProcessHandle> trainer) {
        synchronized (AotCache.class) {
            if (TRAININGS.getOrDefault(key, 0) >= MAX_TRAININGS || !TRAINING.add(key)) {
                return;
            }
        }
        Path marker = dir.resolve(key + MARKER_SUFFIX);
        if (!claim(dir, key, marker)) {
            TRAINING.remove(key);
            return;
        }
        TRAININGS.merge(key, 1, Integer::sum);
        Path partial = dir.resolve(key + "." + ProcessHandle.current().pid() + ".tmp");
        ProcessHandle training;
        try {
            training = Objects.requireNonNull(trainer.apply(
                    List.of("-XX:AOTCacheOutput=" + partial, "-Xlog:aot=off", "-Xlog:cds=off")), "training child");
        } catch (RuntimeException e) {
            log("the ahead-of-time cache training child could not start: " + e);
            release(marker, ""); // no training: another JVM may try
            TRAINING.remove(key);
            return;
        }
        String owner = training.pid() + " " + Platform.current().processStartTime(training.pid());
        try {
            Files.writeString(marker, owner);
        } catch (IOException e) {
            // The claim stays empty: others take it for a training that has just begun, for MARKER_WRITE_MILLIS.
        }
        training.onExit().whenComplete((exit, failure) -> publishWhenAssembled(partial, dir, key, marker, owner));
    }

    /**
     * Makes {@code marker} this JVM's: true when it created it, or took it over from a training that is over
     * (see {@link #underway}); false when another process trains, or the file cannot be made.
     */
    private static boolean claim(Path dir, String key, Path marker) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.createFile(marker, OWNER_ONLY);
                return true;
            } catch (FileAlreadyExistsException e) {
                if (underway(dir, key, marker)) {
                    return false;
                }
                try {
                    Files.deleteIfExists(marker); // two JVMs may both take a stale one over: a rare second training
                } catch (IOException notDeleted) { // a directory by that name, say: trainings go on, unclaimed
                    log("the ahead-of-time cache directory holds " + marker + ", which is no training's claim and "
                            + "cannot be removed (" + notDeleted + "): JVMs may train a cache at the same time");
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * Whether the training that {@code marker} names still runs: its child lives (the pid and start time written
     * in it), or the marker is younger than {@link #MARKER_WRITE_MILLIS} and not written yet, or an assembly of a
     * cache of {@code key} runs (its configuration file is younger than {@link #STALE_TRAINING_MILLIS}). The file
     * is read as untrusted: anything but two numbers is no training.
     */
    static boolean underway(Path dir, String key, Path marker) {
        long now = System.currentTimeMillis();
        try (DirectoryStream<Path> configurations = Files.newDirectoryStream(dir, key + ".*.tmp.config")) {
            for (Path configuration : configurations) {
                if (age(configuration, now) < STALE_TRAINING_MILLIS) {
                    return true;
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            return false;
        }
        return markerLive(marker, now);
    }

    /** Whether {@code marker} names a living training child, or is empty and younger than MARKER_WRITE_MILLIS. */
    private static boolean markerLive(Path marker, long now) {
        String content = readSmall(marker);
        if (content == null) {
            return false;
        }
        if (content.isEmpty()) {
            return age(marker, now) < MARKER_WRITE_MILLIS;
        }
        String[] fields = content.split(" ", -1);
        try {
            long pid = Long.parseLong(fields[0]);
            long startTime = Long.parseLong(fields[1]);
            return fields.length == 2 && pid > 0 && startTime >= 0
                    && Platform.current().processStartTime(pid) == startTime;
        } catch (RuntimeException e) { // not two numbers, or a /proc entry of an odd form: no training of ours
            return false;
        }
    }

    /** Whether a training child of this JVM is running or its cache not yet published: for tests. */
    static boolean training() {
        return !TRAINING.isEmpty();
    }

    /**
     * The name of the cache of this JDK, class path and profile (a {@link KeyHash}, after the profile's name but for
     * {@link Profile#CHILD}'s), or null when no cache can be used.
     */
    static String key(String classPath, Profile profile) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true")) || classPath == null || classPath.isEmpty()) {
            return null;
        }
        try {
            KeyHash hash = new KeyHash();
            hash.add(System.getProperty("java.home") + "\n" + System.getProperty("java.vm.version") + "\n"
                    + profile.keyPart + "\n");
            for (String entry : classPath.split(File.pathSeparator)) {
                Path file = Path.of(entry);
                if (!entry.endsWith(".jar") || !Files.isRegularFile(file)) {
                    return null;
                }
                hash.add(file.toAbsolutePath() + "\n" + Files.size(file) + "\n"
                        + Files.getLastModifiedTime(file).toMillis() + "\n");
            }
            String hex = hash.hex();
            return profile.keyPart.isEmpty() ? hex : profile.keyPart + "-" + hex;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A 128-bit hash of text, as 32 hex digits: two FNV-1a lanes of different primes, finished by MurmurHash3's mix
     * (the second with the first folded in). It names a cache and guards nothing (the directory's ownership does,
     * and the JVM refuses a cache made for another class path), so it need not be a cryptographic digest, whose
     * provider set-up costs a JVM's first child some 10 ms.
     */
    static final class KeyHash {
        private long first = 0xcbf29ce484222325L;
        private long second = 0x6c62272e07bb0142L;

        void add(String text) {
            for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                first = (first ^ (b & 0xff)) * 0x100000001b3L;
                second = (second ^ (b & 0xff)) * 0x9e3779b97f4a7c15L;
            }
        }

        String hex() {
            HexFormat hex = HexFormat.of();
            return hex.toHexDigits(mix(first)) + hex.toHexDigits(mix(second ^ first));
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
            z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
            return z ^ (z >>> 33);
        }
    }

    /**
     * The cache directory, created owner-only when missing, or null (logged once) when it is missing and cannot be
     * made, or is not safe to use.
     */
    static Path directory() {
        String configured = System.getProperty(DIRECTORY_PROPERTY, "");
        String home = System.getenv("XDG_CACHE_HOME");
        Path dir = !configured.isEmpty() ? Path.of(configured)
                : (home != null && !home.isEmpty() ? Path.of(home) : Path.of(System.getProperty("user.home"),
                ".cache")).resolve("multiprocess4j");
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir.toAbsolutePath().getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            String unsafe = unsafeBecause(dir);
            if (unsafe != null) {
                log("children start without an ahead-of-time cache: the cache directory " + dir + " " + unsafe);
                return null;
            }
            return dir;
        } catch (IOException | RuntimeException e) {
            log("children start without an ahead-of-time cache: the cache directory " + dir + " cannot be used: " + e);
            return null;
        }
    }

    /** Why {@code path} must not be trusted with code for this process, or null when it may. */
    static String unsafeBecause(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return "is a symbolic link";
        }
        int uid = (int) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int myUid = (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (uid != myUid) {
            return "is owned by uid " + uid + ", not by this process's uid " + myUid;
        }
        int mode = (int) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0022) != 0) {
            return "is writable by group or others (mode " + Integer.toOctalString(mode & 07777) + ")";
        }
        return null;
    }

    /**
     * The newest cache of {@code key} whose checksum holds; deletes those that do not. (A loop, not a stream: on a
     * JVM's first child, each lambda's bootstrap would cost it a millisecond.)
     */
    private static Path findChecked(Path dir, String key) {
        List<Path> candidates = new ArrayList<>();
        List<Path> partials = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(key) && name.startsWith("-", key.length()) && name.endsWith(SUFFIX)) {
                    candidates.add(f);
                } else if (name.startsWith(key) && name.startsWith(".", key.length()) && name.endsWith(".tmp")) {
                    partials.add(f);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            return null;
        }
        if (candidates.size() > 1) {
            candidates.sort(Comparator.comparing(AotCache::modified).reversed());
        }
        for (Path cache : candidates) {
            if (isIntact(cache, key)) {
                deleteFinished(partials);
                return cache;
            }
        }
        return null;
    }

    /**
     * Deletes the finished trainings among {@code partials} (no assembly runs for them: their configuration file is
     * gone) of a key whose cache is published: they lost a race to publish, and no JVM would adopt them.
     */
    private static void deleteFinished(List<Path> partials) {
        for (Path partial : partials) {
            try {
                if (!Files.exists(partial.resolveSibling(partial.getFileName() + ".config"))) {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException ignored) {
                // Gone meanwhile, or not ours to delete: removeOldCaches deletes it within a day.
            }
        }
    }

    /** Whether {@code cache} is ours and holds the bytes its name's checksum promises; deletes it if not. */
    private static boolean isIntact(Path cache, String key) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(cache, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            Checked now = Checked.of(attributes);
            if (now.equals(CHECKED.get(cache))) {
                return true;
            }
            String name = cache.getFileName().toString();
            String recorded = name.substring(key.length() + 1, name.length() - SUFFIX.length());
            String problem = !attributes.isRegularFile() ? "is not a regular file" : unsafeBecause(cache);
            if (problem == null && !verifiedBefore(cache)) {
                if (!recorded.equals(checksum(cache))) {
                    problem = "is damaged: its bytes do not match the checksum recorded when it was written";
                } else {
                    recordVerified(cache);
                }
            }
            if (problem != null) {
                log("deleted the ahead-of-time cache " + cache + ", which " + problem + "; a new one will be made");
                Files.deleteIfExists(cache);
                Files.deleteIfExists(verifiedRecord(cache));
                CHECKED.remove(cache);
                return false;
            }
            CHECKED.put(cache, now);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Whether the record beside {@code cache} says that it was checked as it is now: same size, inode, device and
     * change time. The record is read as untrusted: anything but that exact text is no record.
     */
    static boolean verifiedBefore(Path cache) {
        String record = readSmall(verifiedRecord(cache));
        try {
            return record != null && record.equals(identity(cache));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The text of a claim or a record, read as untrusted: null unless it is a regular file (not a link, nor a FIFO
     * whose open would wait for a writer) of at most {@link #SMALL_FILE_BYTES} bytes.
     */
    private static String readSmall(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isRegularFile() || attributes.size() > SMALL_FILE_BYTES) {
                return null;
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer buffer = ByteBuffer.allocate(SMALL_FILE_BYTES + 1);
                while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                    // at most one byte past the limit: a longer file is none of ours
                }
                return buffer.position() > SMALL_FILE_BYTES ? null
                        : new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Writes the record that {@code cache} was checked as it is now; without one, the next JVM checks it again. */
    private static void recordVerified(Path cache) {
        Path record = verifiedRecord(cache);
        Path partial = record.resolveSibling(record.getFileName() + "." + ProcessHandle.current().pid());
        try {
            Files.writeString(partial, identity(cache), StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(partial, OWNER_ONLY.value());
            Files.move(partial, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // left for removeOldCaches
            }
        }
    }

    private static Path verifiedRecord(Path cache) {
        return cache.resolveSibling(cache.getFileName() + VERIFIED_SUFFIX);
    }

    /** A file's size, inode, device and change time in nanoseconds, as the text of its record. */
    private static String identity(Path file) throws IOException {
        var attributes = Files.readAttributes(file, "unix:size,ino,dev,ctime", LinkOption.NOFOLLOW_LINKS);
        long changed = ((java.nio.file.attribute.FileTime) attributes.get("ctime"))
                .to(java.util.concurrent.TimeUnit.NANOSECONDS);
        return attributes.get("size") + " " + attributes.get("ino") + " " + attributes.get("dev") + " " + changed;
    }

    /** The CRC-32C of a file's bytes, as eight hex digits. */
    static String checksum(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            while (channel.read(buffer.clear()) > 0) {
                crc.update(buffer.flip());
            }
        }
        return String.format("%08x", crc.getValue());
    }

    /**
     * Keeps the {@value #KEPT} most recent caches of each profile (each rebuilt class path leaves one behind), and
     * deletes what trainings killed before their cache was written left: a configuration file, and the partial
     * cache beside it, that nothing has changed for {@link #STALE_TRAINING_MILLIS} (a training takes seconds); and
     * a finished partial cache that no JVM of its class path has adopted within {@link #UNADOPTED_MILLIS}; a
     * training's claim whose training is over; and a record of a check whose cache is gone, or half written. Only
     * files named as this class names them are looked at (see {@link OwnNames}): the directory may hold others. A
     * file that cannot be deleted is left, and the others are still looked at.
     */
    static void removeOldCaches(Path dir) throws IOException {
        List<Path> all;
        try (var files = Files.list(dir)) {
            all = files.filter(f -> OwnNames.PATTERN.matcher(f.getFileName().toString()).matches())
                    .sorted(Comparator.comparing(AotCache::modified).reversed()).toList();
        }
        for (Profile profile : Profile.values()) {
            List<Path> caches = all.stream().filter(f -> f.getFileName().toString().endsWith(SUFFIX)
                    && profileOf(f.getFileName().toString()) == profile).toList();
            for (Path old : caches.subList(Math.min(KEPT, caches.size()), caches.size())) {
                deleteQuietly(old);
                deleteQuietly(verifiedRecord(old));
            }
        }
        long now = System.currentTimeMillis();
        for (Path f : all) {
            String name = f.getFileName().toString();
            if (name.endsWith(".tmp.config") && age(f, now) > STALE_TRAINING_MILLIS) {
                deleteQuietly(f.resolveSibling(name.substring(0, name.length() - ".config".length())));
                deleteQuietly(f);
            } else if (name.endsWith(".tmp") && age(f, now) > UNADOPTED_MILLIS
                    && !Files.exists(f.resolveSibling(name + ".config"))) {
                deleteQuietly(f);
            } else if (name.endsWith(MARKER_SUFFIX) && !markerLive(f, now)) {
                deleteQuietly(f);
            } else if (name.endsWith(SUFFIX + VERIFIED_SUFFIX) && !Files.exists(f.resolveSibling(
                    name.substring(0, name.length() - VERIFIED_SUFFIX.length())), LinkOption.NOFOLLOW_LINKS)) {
                deleteQuietly(f); // the record of a cache that is gone
            } else if (name.contains(SUFFIX + VERIFIED_SUFFIX + ".") && age(f, now) > STALE_TRAINING_MILLIS) {
                deleteQuietly(f); // a record being written when its JVM was killed
            }
        }
    }

    /**
     * The names this class gives files: {@code <key>-<crc>.aot} and its record {@code .verified} (and
     * {@code .verified.<pid>} while written), {@code <key>.<pid>.tmp} and {@code .tmp.config}, {@code <key>.training},
     * where a key is 32 hex digits after its profile's name. A holder class: only the clean-up compiles it.
     */
    private static final class OwnNames {
        static final java.util.regex.Pattern PATTERN = java.util.regex.Pattern.compile(
                "(pool-worker-)?[0-9a-f]{32}(-[0-9a-f]{8}\\.aot(\\.verified(\\.[0-9]+)?)?|\\.[0-9]+\\.tmp(\\.config)?"
                        + "|\\.training)");
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A directory by that name, or not ours to delete: left as it is.
        }
    }

    /**
     * How old a file is by its modification time; one dated more than a second ahead (the clock set back since)
     * counts as ancient, so that it holds nothing up until the clock catches up.
     */
    private static long age(Path file, long now) {
        long age = now - modified(file);
        return age < -1000 ? Long.MAX_VALUE : Math.max(age, 0);
    }

    /** The profile whose cache a file of the cache directory is, by its name. */
    private static Profile profileOf(String name) {
        for (Profile profile : Profile.values()) {
            if (!profile.keyPart.isEmpty() && name.startsWith(profile.keyPart + "-")) {
                return profile;
            }
        }
        return Profile.CHILD;
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Whether any cache of {@code key} is published in {@code dir}, checked or not. */
    private static boolean anyCache(Path dir, String key) {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith(key + "-")
                    && f.getFileName().toString().endsWith(SUFFIX));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Publishes a cache whose training outlived the JVM that started it, and deletes that training's claim; nothing
     * while the claim's training child runs (its cache is not finished).
     */
    private static void adoptFinishedTraining(Path dir, String key) {
        Path marker = dir.resolve(key + MARKER_SUFFIX);
        if (Files.exists(marker, LinkOption.NOFOLLOW_LINKS) && markerLive(marker, System.currentTimeMillis())) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path partial : files.filter(f -> f.getFileName().toString().startsWith(key + ".")
                    && f.getFileName().toString().endsWith(".tmp")).toList()) {
                if (!Files.exists(partial.resolveSibling(partial.getFileName() + ".config"))
                        && Files.isRegularFile(partial, LinkOption.NOFOLLOW_LINKS)) { // a FIFO's read would wait
                    publish(partial, dir, key);
                    if (!markerLive(marker, System.currentTimeMillis())) {
                        Files.deleteIfExists(marker);
                    }
                    removeOldCachesAside(dir); // the training's JVM ended before it could
                    return;
                }
            }
        } catch (IOException ignored) {
            // Another process adopted it first, or the directory is unreadable: no cache this time.
        }
    }

    /**
     * {@link #removeOldCaches} on a thread of its own, off the child's start: a JVM that ends meanwhile leaves the
     * rest to the next publication.
     */
    private static void removeOldCachesAside(Path dir) {
        Thread.ofPlatform().daemon().name("multiprocess4j-aot-clean-up").start(() -> {
            try {
                removeOldCaches(dir);
            } catch (NoSuchFileException gone) {
                // The directory was removed meanwhile: nothing is left to clean.
            } catch (IOException | RuntimeException e) {
                log("old ahead-of-time caches could not be removed: " + e);
            }
        });
    }

    /** Moves a finished cache into place under the name that records its checksum. */
    private static void publish(Path partial, Path dir, String key) throws IOException {
        // Owner-only, as the directory: the JVM writes it as the umask says (0664 under 002), which the check of
        // each cache before use would refuse, and the cache be trained again by every JVM.
        Files.setPosixFilePermissions(partial, OWNER_ONLY.value());
        Path cache = dir.resolve(key + "-" + checksum(partial) + SUFFIX);
        Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE);
        recordVerified(cache); // after the move, which changes the file's change time
    }

    /**
     * Moves the finished cache into place, then gives up the claim {@code marker} when it still holds {@code owner}.
     * The training JVM hands the assembly of the cache to a JVM of its own, which may still run when the training
     * JVM has exited; it is done when its configuration file is gone.
     */
    private static void publishWhenAssembled(Path partial, Path dir, String key, Path marker, String owner) {
        Path configuration = partial.resolveSibling(partial.getFileName() + ".config");
        Thread.ofPlatform().daemon().name("multiprocess4j-aot-publish").start(() -> {
            try {
                // Until assembled, or until a cache of this key exists: a JVM that found the finished partial first
                // may have published it already (adoptFinishedTraining), and then there is nothing to wait for.
                for (int i = 0; i < 1200 && (Files.exists(configuration) || !Files.isRegularFile(partial))
                        && !anyCache(dir, key); i++) {
                    Thread.sleep(100);
                }
                if (!Files.exists(configuration) && Files.isRegularFile(partial)) {
                    publish(partial, dir, key);
                    removeOldCaches(dir);
                } else if (!anyCache(dir, key)) {
                    log("the ahead-of-time cache training wrote no cache (" + partial + "); children start without");
                }
            } catch (NoSuchFileException adopted) {
                // Another JVM of this class path published it first (see adoptFinishedTraining).
            } catch (IOException | InterruptedException e) {
                log("the ahead-of-time cache could not be published: " + e);
            } finally {
                release(marker, owner);
                TRAINING.remove(key);
            }
        });
    }

    /** Deletes {@code marker} when it holds {@code owner} (an empty one is this JVM's too): not another's claim. */
    private static void release(Path marker, String owner) {
        try {
            if (owner.equals(readSmall(marker))) {
                Files.deleteIfExists(marker);
            }
        } catch (IOException | RuntimeException ignored) {
            // Gone, or taken over by another JVM: not ours to delete.
        }
    }

    private static void log(String message) {
        if (LOGGED.add(message)) {
            System.getLogger("org.multiprocess4j").log(Level.WARNING, message); // made only here: ~19 ms at first
        }
    }
}
