package org.multiprocess4j.zookeeper;

import java.time.Duration;

/** One 3-member loopback ensemble shared by the tests of a JVM, started on first use. */
final class SharedEnsemble {
    private static LocalEnsemble ensemble;

    private SharedEnsemble() {
    }

    static synchronized LocalEnsemble get() {
        if (ensemble == null) {
            ensemble = LocalEnsemble.start(3);
            Runtime.getRuntime().addShutdownHook(new Thread(ensemble::close));
        }
        return ensemble;
    }

    /** A configuration for the shared ensemble under a root of the test's own, with short timeouts. */
    static ClusterConfig config(String root) {
        return ClusterConfig.builder(get().connectString()).root("/test/" + root)
                .sessionTimeout(Duration.ofMillis(2000)).connectionTimeout(Duration.ofSeconds(5))
                .operationBound(Duration.ofSeconds(5)).build();
    }
}
