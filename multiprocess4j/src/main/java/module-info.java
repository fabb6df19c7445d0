/**
 * multiprocess4j: typed shared memory between JVM processes, the Java form of Python's
 * {@code multiprocessing.sharedctypes}, with process-safe robust locks and child JVM processes.
 *
 * <p>{@link org.multiprocess4j.sharedctypes.SharedCTypes} allocates values, arrays and structures;
 * {@link org.multiprocess4j.ProcessLock} and {@link org.multiprocess4j.ProcessRLock} guard them. The module needs
 * native access: run with {@code --enable-native-access=org.multiprocess4j} (or {@code ALL-UNNAMED} on the class
 * path).
 */
module org.multiprocess4j {
    requires jdk.jfr;
    exports org.multiprocess4j;
    exports org.multiprocess4j.sharedctypes;
    exports org.multiprocess4j.inspect;
    exports org.multiprocess4j.coordination;
    uses org.multiprocess4j.coordination.BackendProvider;
}
