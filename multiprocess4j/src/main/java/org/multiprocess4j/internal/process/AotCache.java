package org.multiprocess4j.internal.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * An ahead-of-time cache (JEP 483/514) for child JVMs, made automatically: the first child started with a given
 * JDK and class path has one training child run in the background; once its cache exists, later children map it
 * and start faster. Set the system property {@value #PROPERTY} to {@code false} to turn it off.
 *
 * <p>Where: {@code $XDG_CACHE_HOME/multiprocess4j} or {@code ~/.cache/multiprocess4j}, a directory only its owner
 * can use, never a shared temporary directory (a cache planted there by another user would run as code). The
 * file name is a digest of the JDK, the class path and every class-path file's size and modification time, so a
 * rebuilt jar gets a new cache. Used only when the class path holds jar files alone: the JDK refuses directories.
 */
public final class AotCache {
    /** The system property that turns the cache off when {@code false}. */
    public static final String PROPERTY = "multiprocess4j.aot";
    private static final AtomicBoolean TRAINING = new AtomicBoolean();
    private static final int KEPT = 4;

    private AotCache() {
    }

    /**
     * The options that make a child use the cache, or none when it is not there (yet, or at all). When it is
     * missing, the first call of this JVM asks {@code trainer} to start a training child with the options it is
     * given, and publishes the cache once it is written.
     */
    public static List<String> options(String classPath, Function<List<String>, CompletableFuture<?>> trainer) {
        Path cache = location(classPath);
        if (cache == null) {
            return List.of();
        }
        if (!Files.isRegularFile(cache)) {
            adoptFinishedTraining(cache);
        }
        if (Files.isRegularFile(cache)) {
            return List.of("-XX:AOTCache=" + cache, "-Xlog:aot=off", "-Xlog:cds=off");
        }
        if (TRAINING.compareAndSet(false, true)) {
            Path partial = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
            try {
                trainer.apply(List.of("-XX:AOTCacheOutput=" + partial, "-Xlog:aot=off", "-Xlog:cds=off"))
                        .whenComplete((exit, failure) -> publishWhenAssembled(partial, cache));
            } catch (RuntimeException e) {
                publishWhenAssembled(partial, cache);
            }
        }
        return List.of();
    }

    /** Where the cache for this JDK and class path lives, or null when no cache can be used. */
    static Path location(String classPath) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true")) || classPath == null || classPath.isEmpty()) {
            return null;
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((System.getProperty("java.home") + "\n" + System.getProperty("java.vm.version") + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            for (String entry : classPath.split(File.pathSeparator)) {
                Path file = Path.of(entry);
                if (!entry.endsWith(".jar") || !Files.isRegularFile(file)) {
                    return null;
                }
                digest.update((file.toAbsolutePath() + "\n" + Files.size(file) + "\n"
                        + Files.getLastModifiedTime(file).toMillis() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            String home = System.getenv("XDG_CACHE_HOME");
            Path dir = (home != null && !home.isEmpty() ? Path.of(home) : Path.of(System.getProperty("user.home"),
                    ".cache")).resolve("multiprocess4j");
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            return dir.resolve(HexFormat.of().formatHex(digest.digest(), 0, 16) + ".aot");
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            return null;
        }
    }

    /** Keeps the {@value #KEPT} most recent caches: each rebuilt class path leaves one behind. */
    private static void removeOldCaches(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            List<Path> caches = files.filter(f -> f.getFileName().toString().endsWith(".aot"))
                    .sorted(Comparator.comparing(AotCache::modified).reversed()).toList();
            for (Path old : caches.subList(Math.min(KEPT, caches.size()), caches.size())) {
                Files.deleteIfExists(old);
            }
        }
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Publishes a cache whose training outlived the JVM that started it. */
    private static void adoptFinishedTraining(Path cache) {
        String prefix = cache.getFileName() + ".";
        try (var files = Files.list(cache.getParent())) {
            for (Path partial : files.filter(f -> f.getFileName().toString().startsWith(prefix)
                    && f.getFileName().toString().endsWith(".tmp")).toList()) {
                if (!Files.exists(partial.resolveSibling(partial.getFileName() + ".config"))) {
                    Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE);
                    return;
                }
            }
        } catch (IOException ignored) {
            // Another process adopted it first, or the directory is unreadable: no cache this time.
        }
    }

    /**
     * Moves the finished cache into place. The training JVM hands the assembly of the cache to a JVM of its own,
     * which may still run when the training JVM has exited; it is done when its configuration file is gone.
     */
    private static void publishWhenAssembled(Path partial, Path cache) {
        Path configuration = partial.resolveSibling(partial.getFileName() + ".config");
        Thread.ofPlatform().daemon().name("multiprocess4j-aot-publish").start(() -> {
            try {
                for (int i = 0; i < 1200 && (Files.exists(configuration) || !Files.isRegularFile(partial)); i++) {
                    Thread.sleep(100);
                }
                if (!Files.exists(configuration) && Files.isRegularFile(partial)) {
                    Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE);
                    removeOldCaches(cache.getParent());
                }
            } catch (IOException | InterruptedException ignored) {
                // The cache is an optimisation: children simply start without it.
            }
        });
    }
}
