package org.multiprocess4j.internal.process;

/** What the training child behind {@link AotCache} does beyond a standby's warm-up: it loads the first child's target class. */
public final class AotTraining {
    private AotTraining() {
    }

    /**
     * Loads (without initializing) the class of the first real child's target, if any, and the classes its methods'
     * signatures name (a child looks its target up among the class's declared methods, which loads them), so that
     * the cache holds them and later children running that target do not open the class path's jars: that costs a
     * child 3 ms for a small jar and 10 ms for a large one.
     */
    public static void run(String targetClass) {
        if (targetClass.isEmpty()) {
            return;
        }
        try {
            Class.forName(targetClass, false, ClassLoader.getSystemClassLoader()).getDeclaredMethods();
        } catch (ClassNotFoundException | LinkageError e) {
            // The cache is made without it: children load it from the class path, as without a cache.
        }
    }
}
