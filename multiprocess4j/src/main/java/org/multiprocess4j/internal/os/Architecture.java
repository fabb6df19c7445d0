package org.multiprocess4j.internal.os;

/** The processor architectures the library runs on, on Linux; anywhere else its first use says what it found. */
enum Architecture {
    X86_64,
    AARCH64;

    /** This JVM's architecture, or null where the library does not run. */
    static final Architecture CURRENT = of(System.getProperty("os.name"), System.getProperty("os.arch"));

    /** The architecture of {@code os} and {@code arch} (as the JDK names them), or null where the library does not run. */
    static Architecture of(String os, String arch) {
        if (!"Linux".equals(os)) {
            return null;
        }
        return switch (arch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64" -> AARCH64;
            default -> null;
        };
    }

    /** @throws UnsupportedOperationException naming the OS and architecture found, where the library does not run */
    static void require(String os, String arch) {
        if (of(os, arch) == null) {
            throw new UnsupportedOperationException("multiprocess4j runs on Linux on x86-64 and aarch64, not on " + os
                    + " on " + arch + " (it uses futexes, pidfds and /proc)");
        }
    }
}
