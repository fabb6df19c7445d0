package org.multiprocess4j.internal.os;

/** The processor architectures the library runs on; anything else fails on first use, naming what it found. */
enum Architecture {
    X86_64,
    AARCH64;

    /** This JVM's architecture. */
    static final Architecture CURRENT = current();

    private static Architecture current() {
        String os = System.getProperty("os.name");
        String arch = System.getProperty("os.arch");
        if (!"Linux".equals(os)) {
            throw new UnsupportedOperationException("multiprocess4j runs on Linux (x86-64, aarch64), not on "
                    + os + " " + arch);
        }
        return switch (arch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64" -> AARCH64;
            default -> throw new UnsupportedOperationException("multiprocess4j runs on Linux on x86-64 and aarch64, "
                    + "not on " + arch);
        };
    }
}
