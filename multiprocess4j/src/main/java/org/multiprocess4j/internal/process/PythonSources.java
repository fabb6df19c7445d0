package org.multiprocess4j.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The library's Python package ({@code python/multiprocess4j} of the repository, carried inside the jar), written
 * out once per version into the cache directory, so that a Python child imports exactly the code this JVM
 * speaks with. The directory is named by the checksum of the files, so a changed package gets a directory of its
 * own, and it is used only when the cache directory is safe (owner-only, not a link); otherwise into a fresh
 * owner-only temporary directory.
 */
public final class PythonSources {
    /** Every file of the package, as the jar carries them (a test checks this list against the folder). */
    public static final List<String> FILES = List.of("__init__.py", "_format.py", "_atomics.py", "_fastlock.py", "_locks.py",
            "_objects.py", "_child.py");
    private static final String RESOURCES = "/org/multiprocess4j/python/multiprocess4j/";
    private static volatile Path root;

    private PythonSources() {
    }

    /** The directory to put on a Python child's {@code sys.path}: it holds the {@code multiprocess4j} package. */
    public static Path root() {
        Path r = root;
        if (r == null) {
            synchronized (PythonSources.class) {
                r = root;
                if (r == null) {
                    r = root = writeOut();
                }
            }
        }
        return r;
    }

    private static Path writeOut() {
        try {
            Map<String, byte[]> files = new LinkedHashMap<>();
            CRC32C crc = new CRC32C();
            for (String name : FILES) {
                try (InputStream in = PythonSources.class.getResourceAsStream(RESOURCES + name)) {
                    if (in == null) {
                        throw new IllegalStateException("the library's jar lacks its Python package file " + name);
                    }
                    byte[] bytes = in.readAllBytes();
                    files.put(name, bytes);
                    crc.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    crc.update(bytes);
                }
            }
            Path cache = AotCache.directory();
            Path dir = cache != null ? cache.resolve("python-" + Long.toHexString(crc.getValue()))
                    : Files.createTempDirectory("multiprocess4j-python", PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwx------")));
            Path pkg = dir.resolve("multiprocess4j");
            if (Files.isDirectory(pkg, LinkOption.NOFOLLOW_LINKS) && AotCache.unsafeBecause(dir) == null
                    && matches(pkg, files)) {
                return dir;
            }
            Files.createDirectories(pkg, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            for (Map.Entry<String, byte[]> file : files.entrySet()) { // each written whole, then renamed in
                Path part = Files.createTempFile(pkg, file.getKey(), ".part");
                Files.write(part, file.getValue());
                Files.move(part, pkg.resolve(file.getKey()), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write out the library's Python package: " + e.getMessage(), e);
        }
    }

    private static boolean matches(Path pkg, Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path p = pkg.resolve(file.getKey());
            if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                    || !java.util.Arrays.equals(Files.readAllBytes(p), file.getValue())) {
                return false;
            }
        }
        return true;
    }
}
