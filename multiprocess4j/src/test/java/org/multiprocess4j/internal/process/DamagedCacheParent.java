package org.multiprocess4j.internal.process;

import org.multiprocess4j.ChildProcess;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parent JVM of {@link AotCacheEndToEndTest}, run from jars: trains a real cache, then for each offset given
 * damages a copy of it there, starts a child, and prints the child's exit code and whether the damaged file is gone.
 * On the way it starts children whose options choose class sharing themselves, which must start without the cache.
 */
public final class DamagedCacheParent {
    private DamagedCacheParent() {
    }

    public static void noop() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(System.getProperty(AotCache.DIRECTORY_PROPERTY));
        System.out.println("first child " + run());
        Path cache = awaitCache(dir);
        Path good = Files.copy(cache, dir.resolveSibling("good.aot"));
        System.out.println("trained " + Files.size(cache));
        System.out.println("cached child " + run());
        System.out.println("-Xshare:off child " + run("-Xshare:off") + ", -Xshare:auto child " + run("-Xshare:auto"));
        for (String offset : args) {
            Files.copy(good, cache, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            long at = Math.floorMod(Long.parseLong(offset), Files.size(cache));
            try (RandomAccessFile file = new RandomAccessFile(cache.toFile(), "rw")) {
                for (int i = 0; i < 16; i++) {
                    file.seek(at + i);
                    int b = file.read();
                    file.seek(at + i);
                    file.write(~b);
                }
            }
            System.out.println("damaged at " + at + ": child " + run() + ", deleted " + !Files.exists(cache));
        }
        Path rebuilt = awaitCache(dir);
        System.out.println("rebuilt " + (Files.size(rebuilt) > 0) + ", child " + run());
    }

    private static int run(String... jvmOptions) {
        ChildProcess child = new ChildProcess(DamagedCacheParent::noop).jvmOptions(jvmOptions);
        child.start();
        child.join();
        return child.exitCode();
    }

    private static Path awaitCache(Path dir) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(dir)) {
                var found = files.filter(f -> f.toString().endsWith(".aot")).findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no cache within 120 s in " + dir);
    }
}
