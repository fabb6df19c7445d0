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

    /** "ok" when {@code action} returned, else the exception it threw. */
    static Object of(Action action) {
        try {
            action.run();
            return "ok";
        } catch (Exception e) {
            return e;
        }
    }
}
