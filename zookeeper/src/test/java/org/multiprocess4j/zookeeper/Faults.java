package org.multiprocess4j.zookeeper;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executor;

/** What the failure-mode tests share: a root of their own, member 0 to put a proxy before, and outcomes. */
final class Faults {
    /** Runs each task on a daemon thread of its own. */
    static final Executor POOL = r -> Thread.ofPlatform().daemon().start(r);

    private Faults() {
    }

    /** An action that may throw anything. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    /** "ok" when {@code action} returned, else the exception it threw. */
    static Object outcome(Action action) {
        try {
            action.run();
            return "ok";
        } catch (Exception e) {
            return e;
        }
    }

    /** A fresh root under /test for one test. */
    static String root(String kind) {
        return "/test/" + kind + "-" + UUID.randomUUID();
    }

    /** The client port of the shared ensemble's member 0. */
    static int member0Port() {
        String cs = SharedEnsemble.get().connectString().split(",")[0];
        return Integer.parseInt(cs.substring(cs.lastIndexOf(':') + 1));
    }

    /** A client of {@code root} that reaches member 0 only through {@code proxy}; connecting may take 5 s. */
    static Cluster through(CutProxy proxy, String root, Duration session, Duration bound) {
        return through(proxy, root, session, Duration.ofSeconds(5), bound);
    }

    /** A client of {@code root} that reaches member 0 only through {@code proxy}. */
    static Cluster through(CutProxy proxy, String root, Duration session, Duration connection, Duration bound) {
        return Cluster.connect(ClusterConfig.builder(proxy.connectString()).root(root).sessionTimeout(session)
                .connectionTimeout(connection).operationBound(bound).build());
    }

    /** A configuration that reaches every member directly. */
    static ClusterConfig direct(String root) {
        return ClusterConfig.builder(SharedEnsemble.get().connectString()).root(root)
                .sessionTimeout(Duration.ofMillis(5000)).operationBound(Duration.ofSeconds(5)).build();
    }
}
