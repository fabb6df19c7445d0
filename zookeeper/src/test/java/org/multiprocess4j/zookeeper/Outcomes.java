package org.multiprocess4j.zookeeper;

/** What an operation of a failure-mode test came to: "ok", or the exception it threw. */
final class Outcomes {
    private Outcomes() {
    }

    /** An action that may throw anything. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /** "ok" when {@code action} returned, else the runtime exception it threw. */
    static Object of(Action action) throws Exception {
        try {
            action.run();
            return "ok";
        } catch (RuntimeException e) {
            return e;
        }
    }
}
