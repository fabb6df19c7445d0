package org.multiprocess4j.internal.process;

/** The target of the training child behind {@link AotCache}: a child that starts, loads one class, and ends. */
public final class AotTraining {
    private AotTraining() {
    }

    /**
     * Loads (without initializing) the class of the first real child's target, if any, so that the cache holds it
     * and later children running that target do not open the class path's jars: that costs a child about 3 ms.
     */
    public static void run(String targetClass) {
        if (targetClass.isEmpty()) {
            return;
        }
        try {
            Class.forName(targetClass, false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            // The cache is made without it: children load it from the class path, as without a cache.
        }
    }
}
