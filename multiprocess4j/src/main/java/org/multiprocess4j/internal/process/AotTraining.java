package org.multiprocess4j.internal.process;

/** The target of the training child behind {@link AotCache}: a child that does nothing but start and end. */
public final class AotTraining {
    private AotTraining() {
    }

    /** Does nothing: the child's start path is what is recorded. */
    public static void run() {
    }
}
