package org.multiprocess4j.internal.process;

import org.multiprocess4j.ProcessPool;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parent JVM of {@link AotCacheEndToEndTest}'s pool case, run from jars: its first pool has the pool workers'
 * cache trained, and the worker of a later pool starts from it. Prints the cache option each worker ran with.
 */
public final class PoolWorkerCacheParent {
    private PoolWorkerCacheParent() {
    }

    /** A worker's task: the ahead-of-time cache option its JVM was started with, or "none". */
    public static String cacheOption() {
        return ProcessHandle.current().info().arguments().stream().flatMap(java.util.Arrays::stream)
                .filter(a -> a.startsWith("-XX:AOTCache=")).findFirst().orElse("none");
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty(AotCache.DIRECTORY_PROPERTY));
        try (ProcessPool pool = ProcessPool.create(1)) {
            System.out.println("first worker " + pool.submit(PoolWorkerCacheParent::cacheOption).get());
        }
        String key = AotCache.key(System.getProperty("java.class.path"), AotCache.Profile.POOL_WORKER);
        Path cache = awaitCache(dir, key);
        System.out.println("trained " + (Files.size(cache) > 0));
        try (ProcessPool pool = ProcessPool.create(1)) {
            String option = pool.submit(PoolWorkerCacheParent::cacheOption).get();
            System.out.println("later worker " + (option.equals("-XX:AOTCache=" + cache) ? "the pool workers' cache"
                    : option));
        }
        try (var files = Files.list(dir)) {
            System.out.println("child caches " + files.filter(f -> f.toString().endsWith(".aot")
                    && !f.getFileName().toString().startsWith(key)).count());
        }
    }

    private static Path awaitCache(Path dir, String key) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(dir)) {
                var found = files.filter(f -> f.getFileName().toString().startsWith(key + "-")
                        && f.toString().endsWith(".aot")).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no pool workers' cache within 120 s in " + dir);
    }
}
